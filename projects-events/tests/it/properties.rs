//! Properties of the fan-out rules over every payload, checked against a model of SPEC.md read
//! from the event's JSON (as an Elixir subscriber would see it).

use std::collections::{BTreeMap, BTreeSet};

use projects_events::{
    AssignmentChange, AssignmentKind, AssignmentPayload, AssignmentReorderedPayload,
    AssignmentsReordered, DependencyChange, DependencyPayload, ModulesChanged, ProjectActivity,
    ProjectChange, ProjectKind, ProjectModulesPayload, ProjectPayload, ProjectRefPayload,
    ProjectsEvent, TaskChange, TaskPayload, topic_project, topics_for, topics_for_project,
};
use proptest::prelude::*;
use proptest::sample::select;
use pubsub_core::testing::Screens;
use pubsub_core::{Event, MemoryBroker, Message, Topic, TypedTopic};
use uuid::Uuid;

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _-]{0,12}"
}

fn project_payload() -> impl Strategy<Value = ProjectPayload> {
    (
        uuid(),
        text(),
        any::<bool>(),
        proptest::option::of(uuid()),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(
            |(uuid, name, is_template, status_entity_uuid, current_status_slug, external_id)| {
                ProjectPayload {
                    uuid,
                    name,
                    is_template,
                    status_entity_uuid,
                    current_status_slug,
                    external_id,
                }
            },
        )
}

/// Any content event, through the kinds the broadcast functions take.
fn event() -> impl Strategy<Value = ProjectsEvent> {
    prop_oneof![
        (select(ProjectChange::ALL.to_vec()), project_payload()).prop_map(|(k, p)| k.event(p)),
        (select(ProjectActivity::ALL.to_vec()), uuid())
            .prop_map(|(k, uuid)| k.event(ProjectRefPayload { uuid })),
        (uuid(), text()).prop_map(|(uuid, ext_key)| {
            ModulesChanged.event(ProjectModulesPayload { uuid, ext_key })
        }),
        (select(TaskChange::ALL.to_vec()), uuid(), text())
            .prop_map(|(k, uuid, title)| k.event(TaskPayload { uuid, title })),
        (select(AssignmentChange::ALL.to_vec()), uuid(), uuid())
            .prop_map(|(k, uuid, project_uuid)| k.event(AssignmentPayload { uuid, project_uuid })),
        uuid().prop_map(|project_uuid| {
            AssignmentsReordered.event(AssignmentReorderedPayload { project_uuid })
        }),
        (
            select(DependencyChange::ALL.to_vec()),
            uuid(),
            uuid(),
            uuid()
        )
            .prop_map(|(k, assignment_uuid, depends_on_uuid, project_uuid)| {
                k.event(DependencyPayload {
                    assignment_uuid,
                    depends_on_uuid,
                    project_uuid,
                })
            }),
    ]
}

/// SPEC.md's rules, applied to the wire form: tasks go to all + tasks; a payload with a
/// `project_uuid` goes to all + that project; any other goes to all + the project `uuid`, and
/// to templates only when it says `is_template: true`.
fn model(event: &ProjectsEvent) -> BTreeSet<String> {
    let json = serde_json::to_value(event).unwrap();
    let name = json["event"].as_str().unwrap();
    let payload = &json["payload"];
    let mut topics = BTreeSet::from(["projects:all".to_owned()]);
    if name.starts_with("task_") {
        topics.insert("projects:tasks".to_owned());
    } else if let Some(project) = payload["project_uuid"].as_str() {
        topics.insert(format!("projects:project:{project}"));
    } else {
        topics.insert(format!(
            "projects:project:{}",
            payload["uuid"].as_str().unwrap()
        ));
        if payload["is_template"] == serde_json::Value::Bool(true) {
            topics.insert("projects:templates".to_owned());
        }
    }
    topics
}

fn names(topics: &[TypedTopic<ProjectsEvent>]) -> Vec<String> {
    topics.iter().map(ToString::to_string).collect()
}

proptest! {
    #[test]
    fn topics_for_any_event_equal_the_model_without_duplicates(event in event()) {
        let topics = names(&topics_for(&event));
        let unique: BTreeSet<String> = topics.iter().cloned().collect();
        prop_assert_eq!(unique.len(), topics.len(), "duplicates in {:?}", topics);
        prop_assert_eq!(unique, model(&event));
        prop_assert_eq!(&topics[0], "projects:all");
    }

    #[test]
    fn a_project_reaches_templates_iff_it_says_is_template(
        change in select(ProjectChange::ALL.to_vec()),
        payload in project_payload(),
    ) {
        let topics = names(&topics_for(&change.event(payload.clone())));
        prop_assert_eq!(topics.contains(&"projects:templates".to_owned()), payload.is_template);
        prop_assert!(topics.contains(&topic_project(payload.uuid).to_string()));
        prop_assert_eq!(topics_for(&change.event(payload.clone())), topics_for_project(payload.uuid, payload.is_template));
    }

    #[test]
    fn every_event_but_a_task_reaches_exactly_one_project_topic(event in event()) {
        let topics = names(&topics_for(&event));
        let project_topics = topics.iter().filter(|t| t.starts_with("projects:project:")).count();
        let is_task = event.name().starts_with("task_");
        prop_assert_eq!(project_topics, usize::from(!is_task));
        prop_assert_eq!(topics.contains(&"projects:tasks".to_owned()), is_task);
    }

    #[test]
    fn any_event_round_trips_through_json_and_names_its_tag(event in event()) {
        let message = Message::new(event.clone());
        let json = message.json().unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        prop_assert_eq!(value["event"].as_str(), Some(event.name()));
        let wire = Message::from_json("projects", event.name(), json);
        prop_assert_eq!(&*wire.decode::<ProjectsEvent>().unwrap(), &event);
    }

    #[test]
    fn a_broadcast_reaches_exactly_the_subscribers_of_its_rules_topics(
        event in event(),
        stranger in uuid(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let broker = MemoryBroker::new();
            let mut candidates: BTreeSet<String> = model(&event);
            candidates.extend(["projects:tasks", "projects:templates"].map(str::to_owned));
            candidates.insert(topic_project(stranger).to_string());
            let topics: Vec<TypedTopic<ProjectsEvent>> = candidates
                .iter()
                .map(|name| TypedTopic::new(Topic::new(name).unwrap()))
                .collect();
            let labelled = candidates.iter().map(String::as_str).zip(&topics);
            let mut screens = Screens::watch(&broker, labelled).await.unwrap();
            rebroadcast(&broker, event.clone()).await;
            let expected: BTreeMap<String, Vec<ProjectsEvent>> = model(&event)
                .into_iter()
                .map(|name| (name, vec![event.clone()]))
                .collect();
            prop_assert_eq!(screens.received(), expected, "fan-out of {:?}", event);
            Ok(())
        })?;
    }
}

/// Sends `event` through the public broadcast function its kind belongs to.
async fn rebroadcast(broker: &MemoryBroker, event: ProjectsEvent) {
    use ProjectsEvent as E;
    use projects_events::{
        broadcast_assignment, broadcast_dependency, broadcast_project, broadcast_task,
    };
    let report = match event {
        E::ProjectCreated(p) => broadcast_project(broker, ProjectChange::Created, p).await,
        E::ProjectUpdated(p) => broadcast_project(broker, ProjectChange::Updated, p).await,
        E::ProjectStatusChanged(p) => {
            broadcast_project(broker, ProjectChange::StatusChanged, p).await
        }
        E::ProjectDeleted(p) => broadcast_project(broker, ProjectChange::Deleted, p).await,
        E::ProjectStarted(p) => broadcast_project(broker, ProjectChange::Started, p).await,
        E::ProjectArchived(p) => broadcast_project(broker, ProjectChange::Archived, p).await,
        E::ProjectUnarchived(p) => broadcast_project(broker, ProjectChange::Unarchived, p).await,
        E::ProjectCompleted(p) => broadcast_project(broker, ProjectChange::Completed, p).await,
        E::ProjectReopened(p) => broadcast_project(broker, ProjectChange::Reopened, p).await,
        E::ProjectModulesChanged(p) => broadcast_project(broker, ModulesChanged, p).await,
        E::ProjectFeaturesChanged(p) => {
            broadcast_project(broker, ProjectActivity::FeaturesChanged, p).await
        }
        E::ProjectGrantsChanged(p) => {
            broadcast_project(broker, ProjectActivity::GrantsChanged, p).await
        }
        E::ProjectInvoiceGenerated(p) => {
            broadcast_project(broker, ProjectActivity::InvoiceGenerated, p).await
        }
        E::ProjectLabelsChanged(p) => {
            broadcast_project(broker, ProjectActivity::LabelsChanged, p).await
        }
        E::WorkLogged(p) => broadcast_project(broker, ProjectActivity::WorkLogged, p).await,
        E::ProjectMembersChanged(p) => {
            broadcast_project(broker, ProjectActivity::MembersChanged, p).await
        }
        E::PortalRotated(p) => broadcast_project(broker, ProjectActivity::PortalRotated, p).await,
        E::ProjectEventCreated(p) => {
            broadcast_project(broker, ProjectActivity::EventCreated, p).await
        }
        E::ProjectEventUpdated(p) => {
            broadcast_project(broker, ProjectActivity::EventUpdated, p).await
        }
        E::ProjectEventDeleted(p) => {
            broadcast_project(broker, ProjectActivity::EventDeleted, p).await
        }
        E::WhiteboardCreated(p) => {
            broadcast_project(broker, ProjectActivity::WhiteboardCreated, p).await
        }
        E::WhiteboardUpdated(p) => {
            broadcast_project(broker, ProjectActivity::WhiteboardUpdated, p).await
        }
        E::WhiteboardDeleted(p) => {
            broadcast_project(broker, ProjectActivity::WhiteboardDeleted, p).await
        }
        E::TaskCreated(p) => broadcast_task(broker, TaskChange::Created, p).await,
        E::TaskUpdated(p) => broadcast_task(broker, TaskChange::Updated, p).await,
        E::TaskDeleted(p) => broadcast_task(broker, TaskChange::Deleted, p).await,
        E::AssignmentCreated(p) => broadcast_assignment(broker, AssignmentChange::Created, p).await,
        E::AssignmentUpdated(p) => broadcast_assignment(broker, AssignmentChange::Updated, p).await,
        E::AssignmentDeleted(p) => broadcast_assignment(broker, AssignmentChange::Deleted, p).await,
        E::AssignmentReordered(p) => broadcast_assignment(broker, AssignmentsReordered, p).await,
        E::DependencyAdded(p) => broadcast_dependency(broker, DependencyChange::Added, p).await,
        E::DependencyRemoved(p) => broadcast_dependency(broker, DependencyChange::Removed, p).await,
    };
    assert!(report.is_complete());
}
