//! Broadcasts are best-effort: a broken broker is logged and counted, never the caller's problem.

use projects_events::{
    AssignmentChange, AssignmentPayload, DependencyChange, DependencyPayload, EmbedIntent,
    EmbedPayload, ProjectChange, ProjectKind, ProjectPayload, TaskChange, TaskPayload,
    broadcast_assignment, broadcast_dependency, broadcast_embed, broadcast_project, broadcast_task,
    topic_embed, topic_project,
};
use pubsub_core::testing::{FailingBroker, FailingExcept, LogCapture, PanickingBroker};
use pubsub_core::{Broker, Topic, broadcast_failures};

use crate::harness::{ASSIGNMENT, DEPENDS_ON, PROJECT, TASK, project, watch_candidates};

fn template() -> ProjectPayload {
    let mut payload = ProjectPayload::new(PROJECT, "Roof template");
    payload.is_template = true;
    payload
}

async fn every_broadcast_function_absorbs(broker: &dyn Broker) {
    let before = broadcast_failures();

    let report = broadcast_project(broker, ProjectChange::Created, template()).await;
    assert_eq!((report.topics, report.failed), (3, 3));
    let task = TaskPayload {
        uuid: TASK,
        title: "Tiles".to_owned(),
    };
    let report = broadcast_task(broker, TaskChange::Updated, task).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let assignment = AssignmentPayload {
        uuid: ASSIGNMENT,
        project_uuid: PROJECT,
    };
    let report = broadcast_assignment(broker, AssignmentChange::Deleted, assignment).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let dependency = DependencyPayload {
        assignment_uuid: ASSIGNMENT,
        depends_on_uuid: DEPENDS_ON,
        project_uuid: PROJECT,
    };
    let report = broadcast_dependency(broker, DependencyChange::Added, dependency).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let host = topic_embed(Topic::new("host:popup:1").unwrap());
    let report = broadcast_embed(broker, &host, EmbedIntent::Saved, EmbedPayload::new()).await;
    assert_eq!((report.topics, report.failed), (1, 1));

    // Other tests may fail publishes concurrently, so the process-wide counter grows by at least ours.
    assert!(broadcast_failures() >= before + 10);
}

#[tokio::test]
async fn a_broker_whose_publish_fails_costs_the_caller_nothing_and_is_counted() {
    every_broadcast_function_absorbs(&FailingBroker).await;
}

#[tokio::test]
async fn a_broker_whose_publish_panics_costs_the_caller_nothing_and_is_counted() {
    every_broadcast_function_absorbs(&PanickingBroker).await;
}

#[tokio::test]
async fn a_failed_publish_is_logged_with_topic_domain_event_and_error() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    broadcast_project(&FailingBroker, ProjectChange::Archived, template()).await;

    let text = logs.contents();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "one line per failed topic:\n{text}");
    for (line, topic) in lines
        .iter()
        .zip(["projects:all", "projects:templates", &project(PROJECT)])
    {
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains(topic), "{line}");
        assert!(line.contains("projects"), "{line}");
        assert!(line.contains("project_archived"), "{line}");
        assert!(line.contains("the broker is closed"), "{line}");
    }
}

#[tokio::test]
async fn a_panicking_publish_is_logged_with_the_panic_message() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let task = TaskPayload {
        uuid: TASK,
        title: "Tiles".to_owned(),
    };
    broadcast_task(&PanickingBroker, TaskChange::Deleted, task).await;

    let text = logs.contents();
    assert!(text.contains("projects:tasks"), "{text}");
    assert!(text.contains("task_deleted"), "{text}");
    assert!(text.contains("exploded (PanickingBroker)"), "{text}");
}

#[tokio::test]
async fn one_failing_topic_does_not_stop_the_others() {
    let broker = FailingExcept::new([topic_project(PROJECT).into_topic()]);
    let mut screens = watch_candidates(broker.get_ref()).await;

    let payload = ProjectPayload::new(PROJECT, "Roof");
    let report = broadcast_project(&broker, ProjectChange::Updated, payload.clone()).await;
    assert_eq!((report.topics, report.failed), (2, 1));
    assert!(!report.is_complete());
    screens.assert_only(&ProjectChange::Updated.event(payload), &[&project(PROJECT)]);
}
