//! Broadcasts are best-effort: a broken broker is logged and counted, never the caller's problem.
//!
//! Exact per call: each test installs its own [`LogCapture`] (thread-local; `#[tokio::test]` runs
//! on one thread) and compares each call's report and the log lines it wrote with the topics it
//! had to try. The process-wide `broadcast_failures()` is not used: other tests add to it
//! concurrently.

use std::future::Future;

use projects_events::{
    AssignmentChange, AssignmentPayload, DependencyChange, DependencyPayload, EmbedIntent,
    EmbedPayload, ProjectChange, ProjectKind, ProjectPayload, TaskChange, TaskPayload,
    broadcast_assignment, broadcast_dependency, broadcast_embed, broadcast_project, broadcast_task,
    topic_embed, topic_project,
};
use pubsub_core::testing::{
    BROADCAST_FAILURE_MESSAGE as FAILURE_LINE, BroadcastCall, EagerPanickingBroker, FailingBroker,
    FailingExcept, LogCapture, PanickingBroker,
};
use pubsub_core::{BroadcastReport, Broker, MemoryBroker, Topic};

use crate::harness::{
    ASSIGNMENT, DEPENDS_ON, PROJECT, TASK, all, project, tasks, templates, watch_candidates,
};

fn template() -> ProjectPayload {
    let mut payload = ProjectPayload::new(PROJECT, "Roof template");
    payload.is_template = true;
    payload
}

type Call = BroadcastCall;

/// Runs one broadcast of this domain and keeps its report and log lines.
async fn call(
    logs: &LogCapture,
    event: &'static str,
    topics: Vec<String>,
    broadcast: impl Future<Output = BroadcastReport>,
) -> Call {
    BroadcastCall::record(logs, "projects", event, topics, broadcast).await
}

/// Runs every broadcast function against `broker`.
async fn broadcast_everything(broker: &dyn Broker, logs: &LogCapture) -> Vec<Call> {
    let task = TaskPayload {
        uuid: TASK,
        title: "Tiles".to_owned(),
    };
    let assignment = AssignmentPayload {
        uuid: ASSIGNMENT,
        project_uuid: PROJECT,
    };
    let dependency = DependencyPayload {
        assignment_uuid: ASSIGNMENT,
        depends_on_uuid: DEPENDS_ON,
        project_uuid: PROJECT,
    };
    let host = topic_embed(Topic::new("host:popup:1").expect("valid topic"));
    vec![
        call(
            logs,
            "project_created",
            vec![all(), templates(), project(PROJECT)],
            broadcast_project(broker, ProjectChange::Created, template()),
        )
        .await,
        call(
            logs,
            "task_updated",
            vec![all(), tasks()],
            broadcast_task(broker, TaskChange::Updated, task),
        )
        .await,
        call(
            logs,
            "assignment_deleted",
            vec![all(), project(PROJECT)],
            broadcast_assignment(broker, AssignmentChange::Deleted, assignment),
        )
        .await,
        call(
            logs,
            "dependency_added",
            vec![all(), project(PROJECT)],
            broadcast_dependency(broker, DependencyChange::Added, dependency),
        )
        .await,
        call(
            logs,
            "saved",
            vec!["host:popup:1".to_owned()],
            broadcast_embed(broker, &host, EmbedIntent::Saved, EmbedPayload::new()),
        )
        .await,
    ]
}

/// Every call's publishes all failed, and each failure was reported and logged exactly once,
/// naming its topic, the domain, the event and `error`.
fn assert_every_publish_failed_and_was_logged_once(calls: &[Call], error: &str) {
    BroadcastCall::assert_all_failed_and_logged_once(calls, error);
}

#[tokio::test]
async fn a_broker_whose_publish_fails_costs_the_caller_nothing_and_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&FailingBroker, &logs).await;
    assert_every_publish_failed_and_was_logged_once(&calls, "the broker is closed");
    assert_eq!(calls.len(), 5, "every broadcast function");
    assert_eq!(logs.contents().lines().count(), 10);
}

#[tokio::test]
async fn a_broker_whose_publish_panics_costs_the_caller_nothing_and_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&PanickingBroker, &logs).await;
    assert_every_publish_failed_and_was_logged_once(&calls, "exploded (PanickingBroker)");
    assert_eq!(logs.contents().lines().count(), 10);
}

#[tokio::test]
async fn a_publish_that_panics_before_its_future_costs_the_caller_nothing_and_is_counted_and_logged()
 {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&EagerPanickingBroker, &logs).await;
    assert_every_publish_failed_and_was_logged_once(
        &calls,
        "exploded before its future (EagerPanickingBroker)",
    );
    assert_eq!(logs.contents().lines().count(), 10);
}

#[tokio::test]
async fn a_healthy_broker_reports_every_publish_as_done_and_logs_nothing() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let broker = MemoryBroker::new();
    let calls = broadcast_everything(&broker, &logs).await;
    BroadcastCall::assert_all_complete(&calls);
    assert_eq!(logs.contents(), "", "nothing logged");
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
async fn one_failing_topic_does_not_stop_the_others_and_only_it_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let broker = FailingExcept::new([topic_project(PROJECT).into_topic()]);
    let mut screens = watch_candidates(broker.get_ref()).await;

    let payload = ProjectPayload::new(PROJECT, "Roof");
    let report = broadcast_project(&broker, ProjectChange::Updated, payload.clone()).await;
    assert_eq!(
        report,
        BroadcastReport {
            topics: 2,
            failed: 1
        }
    );
    assert!(!report.is_complete());
    screens.assert_only(&ProjectChange::Updated.event(payload), &[&project(PROJECT)]);

    let text = logs.contents();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line for the one failure:\n{text}");
    assert!(
        lines[0].contains(FAILURE_LINE) && lines[0].contains("topic=\"projects:all\""),
        "{text}"
    );
}
