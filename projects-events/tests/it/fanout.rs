//! Every event reaches exactly the topics of its SPEC.md rule, and no others.

use std::sync::Arc;

use projects_events::{
    AssignmentChange, AssignmentKind, AssignmentPayload, AssignmentReorderedPayload,
    AssignmentsReordered, DependencyChange, DependencyPayload, ModulesChanged, ProjectActivity,
    ProjectChange, ProjectKind, ProjectModulesPayload, ProjectPayload, ProjectRefPayload,
    ProjectsEvent, TaskChange, TaskPayload, broadcast_assignment, broadcast_dependency,
    broadcast_project, broadcast_task, topic_all,
};
use pubsub_core::{Broker, MemoryBroker};

use crate::harness::{
    ASSIGNMENT, DEPENDS_ON, PROJECT, TASK, TEMPLATE, all, project, tasks, templates,
    watch_candidates,
};

fn project_payload() -> ProjectPayload {
    let mut payload = ProjectPayload::new(PROJECT, "Kitchen refit");
    payload.status_entity_uuid = Some(TASK);
    payload.current_status_slug = Some("in_progress".to_owned());
    payload.external_id = Some("ERP-7".to_owned());
    payload
}

fn template_payload() -> ProjectPayload {
    let mut payload = ProjectPayload::new(TEMPLATE, "Bathroom template");
    payload.is_template = true;
    payload
}

#[tokio::test]
async fn every_project_change_reaches_all_and_its_project_but_not_templates() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in ProjectChange::ALL {
        let report = broadcast_project(&broker, change, project_payload()).await;
        assert_eq!((report.topics, report.failed), (2, 0), "{change:?}");
        screens.assert_only(
            &change.event(project_payload()),
            &[&all(), &project(PROJECT)],
        );
    }
}

#[tokio::test]
async fn every_template_change_also_reaches_the_templates_topic() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in ProjectChange::ALL {
        let report = broadcast_project(&broker, change, template_payload()).await;
        assert_eq!((report.topics, report.failed), (3, 0), "{change:?}");
        screens.assert_only(
            &change.event(template_payload()),
            &[&all(), &templates(), &project(TEMPLATE)],
        );
    }
}

#[tokio::test]
async fn every_project_activity_reaches_all_and_its_project_only() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for activity in ProjectActivity::ALL {
        // Even a template's activity: the payload cannot say is_template, so no templates topic.
        for uuid in [PROJECT, TEMPLATE] {
            let payload = ProjectRefPayload { uuid };
            broadcast_project(&broker, activity, payload).await;
            screens.assert_only(&activity.event(payload), &[&all(), &project(uuid)]);
        }
    }
}

#[tokio::test]
async fn modules_changed_reaches_all_and_its_project_only() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    let payload = ProjectModulesPayload {
        uuid: PROJECT,
        ext_key: "invoicing".to_owned(),
    };
    broadcast_project(&broker, ModulesChanged, payload.clone()).await;
    screens.assert_only(
        &ProjectsEvent::ProjectModulesChanged(payload),
        &[&all(), &project(PROJECT)],
    );
}

#[tokio::test]
async fn every_task_change_reaches_all_and_tasks_but_no_project() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in TaskChange::ALL {
        let payload = TaskPayload {
            uuid: TASK,
            title: "Order tiles".to_owned(),
        };
        let report = broadcast_task(&broker, change, payload.clone()).await;
        assert_eq!(report.topics, 2);
        screens.assert_only(&change.event(payload), &[&all(), &tasks()]);
    }
}

#[tokio::test]
async fn every_assignment_change_reaches_all_and_the_parent_project_not_its_own_uuid() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in AssignmentChange::ALL {
        let payload = AssignmentPayload {
            uuid: ASSIGNMENT,
            project_uuid: PROJECT,
        };
        broadcast_assignment(&broker, change, payload).await;
        screens.assert_only(&change.event(payload), &[&all(), &project(PROJECT)]);
    }
}

#[tokio::test]
async fn assignment_reordered_reaches_all_and_the_parent_project() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    let payload = AssignmentReorderedPayload {
        project_uuid: PROJECT,
    };
    broadcast_assignment(&broker, AssignmentsReordered, payload).await;
    screens.assert_only(
        &ProjectsEvent::AssignmentReordered(payload),
        &[&all(), &project(PROJECT)],
    );
}

#[tokio::test]
async fn every_dependency_change_reaches_all_and_the_parent_project_only() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in DependencyChange::ALL {
        let payload = DependencyPayload {
            assignment_uuid: ASSIGNMENT,
            depends_on_uuid: DEPENDS_ON,
            project_uuid: PROJECT,
        };
        broadcast_dependency(&broker, change, payload).await;
        screens.assert_only(&change.event(payload), &[&all(), &project(PROJECT)]);
    }
}

#[tokio::test]
async fn a_template_changed_into_a_project_stops_reaching_the_templates_topic() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    let mut payload = template_payload();
    payload.is_template = false;
    broadcast_project(&broker, ProjectChange::Updated, payload.clone()).await;
    screens.assert_only(
        &ProjectsEvent::ProjectUpdated(payload),
        &[&all(), &project(TEMPLATE)],
    );
}

#[tokio::test]
async fn broadcasts_take_dyn_and_arc_dyn_brokers() {
    let memory = MemoryBroker::new();
    let mut screens = watch_candidates(&memory).await;
    let as_dyn: &dyn Broker = &memory;
    let as_arc: Arc<dyn Broker> = Arc::new(memory.clone());

    broadcast_project(as_dyn, ProjectChange::Created, project_payload()).await;
    screens.assert_only(
        &ProjectsEvent::ProjectCreated(project_payload()),
        &[&all(), &project(PROJECT)],
    );
    broadcast_project(&as_arc, ProjectChange::Deleted, project_payload()).await;
    screens.assert_only(
        &ProjectsEvent::ProjectDeleted(project_payload()),
        &[&all(), &project(PROJECT)],
    );
}

#[tokio::test]
async fn every_subscriber_shares_the_one_published_value() {
    let broker = MemoryBroker::new();
    let mut a = projects_events::subscribe(&broker, &topic_all())
        .await
        .unwrap();
    let mut b = projects_events::subscribe(&broker, &projects_events::topic_project(PROJECT))
        .await
        .unwrap();
    broadcast_project(&broker, ProjectChange::Created, project_payload()).await;
    let x = a.try_recv().unwrap().message().unwrap();
    let y = b.try_recv().unwrap().message().unwrap();
    assert!(std::ptr::eq(&raw const *x, &raw const *y));
}
