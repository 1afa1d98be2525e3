//! Broadcasts are best-effort: a broken broker is logged and counted, never the caller's problem.
//!
//! Exact per call: each test installs its own [`LogCapture`] (thread-local; `#[tokio::test]` runs
//! on one thread) and compares each call's report and the log lines it wrote with the topics it
//! had to try. The process-wide `broadcast_failures()` is not used: other tests add to it
//! concurrently.

use std::future::Future;

use pubsub_core::testing::{
    BROADCAST_FAILURE_MESSAGE as FAILURE_LINE, BroadcastCall, EagerPanickingBroker, FailingBroker,
    FailingExcept, LogCapture, PanickingBroker,
};
use pubsub_core::{BroadcastReport, Broker, MemoryBroker};
use staff_events::{
    DepartmentChange, DepartmentPayload, PeopleBulkChange, PersonChange, PersonPayload,
    PersonSkillChange, PersonSkillPayload, SkillChange, SkillPayload, TeamChange,
    TeamMembershipChange, TeamMembershipPayload, TeamPayload, broadcast_department,
    broadcast_people_bulk, broadcast_person, broadcast_person_skill, broadcast_skill,
    broadcast_team, broadcast_team_membership, topic_person,
};

use crate::harness::{
    DEPARTMENT, PERSON, RECORD, SKILL, TEAM, department, departments, people, person, skill,
    skills, team, teams, watch_candidates,
};

fn team_payload() -> TeamPayload {
    TeamPayload {
        uuid: TEAM,
        name: "Crew".to_owned(),
        department_uuid: Some(DEPARTMENT),
    }
}

type Call = BroadcastCall;

/// Runs one broadcast of this domain and keeps its report and log lines.
async fn call(
    logs: &LogCapture,
    event: &'static str,
    topics: Vec<String>,
    broadcast: impl Future<Output = BroadcastReport>,
) -> Call {
    BroadcastCall::record(logs, "staff", event, topics, broadcast).await
}

/// Runs every broadcast function against `broker`.
async fn broadcast_everything(broker: &dyn Broker, logs: &LogCapture) -> Vec<Call> {
    let department_payload = DepartmentPayload {
        uuid: DEPARTMENT,
        name: "Sales".to_owned(),
    };
    let membership = TeamMembershipPayload {
        team_uuid: TEAM,
        staff_person_uuid: PERSON,
        uuid: RECORD,
    };
    let skill_payload = SkillPayload {
        uuid: SKILL,
        name: "Welding".to_owned(),
    };
    let person_skill = PersonSkillPayload {
        skill_uuid: SKILL,
        staff_person_uuid: PERSON,
        uuid: RECORD,
    };
    vec![
        call(
            logs,
            "department_created",
            vec![departments(), department(DEPARTMENT)],
            broadcast_department(broker, DepartmentChange::Created, department_payload),
        )
        .await,
        call(
            logs,
            "team_updated",
            vec![teams(), team(TEAM), department(DEPARTMENT)],
            broadcast_team(broker, TeamChange::Updated, team_payload()),
        )
        .await,
        call(
            logs,
            "person_deleted",
            vec![people(), person(PERSON)],
            broadcast_person(
                broker,
                PersonChange::Deleted,
                PersonPayload { uuid: PERSON },
            ),
        )
        .await,
        call(
            logs,
            "person_updated",
            vec![people()],
            broadcast_people_bulk(broker, PeopleBulkChange::Updated),
        )
        .await,
        call(
            logs,
            "team_person_added",
            vec![teams(), team(TEAM), people(), person(PERSON)],
            broadcast_team_membership(broker, TeamMembershipChange::Added, membership),
        )
        .await,
        call(
            logs,
            "skill_deleted",
            vec![skills(), skill(SKILL)],
            broadcast_skill(broker, SkillChange::Deleted, skill_payload),
        )
        .await,
        call(
            logs,
            "person_skill_removed",
            vec![skills(), skill(SKILL), people(), person(PERSON)],
            broadcast_person_skill(broker, PersonSkillChange::Removed, person_skill),
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
    assert_eq!(calls.len(), 7, "every broadcast function");
    assert_eq!(logs.contents().lines().count(), 18);
}

#[tokio::test]
async fn a_broker_whose_publish_panics_costs_the_caller_nothing_and_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&PanickingBroker, &logs).await;
    assert_every_publish_failed_and_was_logged_once(&calls, "exploded (PanickingBroker)");
    assert_eq!(logs.contents().lines().count(), 18);
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
    assert_eq!(logs.contents().lines().count(), 18);
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
    broadcast_team(&FailingBroker, TeamChange::Deleted, team_payload()).await;

    let text = logs.contents();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "one line per failed topic:\n{text}");
    let topics = [teams(), team(TEAM), department(DEPARTMENT)];
    for (line, topic) in lines.iter().zip(&topics) {
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains(topic.as_str()), "{line}");
        assert!(line.contains("staff"), "{line}");
        assert!(line.contains("team_deleted"), "{line}");
        assert!(line.contains("the broker is closed"), "{line}");
    }
}

#[tokio::test]
async fn one_failing_topic_does_not_stop_the_others_and_only_it_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let broker = FailingExcept::new([topic_person(PERSON).into_topic()]);
    let mut screens = watch_candidates(broker.get_ref()).await;

    let payload = PersonPayload { uuid: PERSON };
    let report = broadcast_person(&broker, PersonChange::Updated, payload).await;
    assert_eq!(
        report,
        BroadcastReport {
            topics: 2,
            failed: 1
        }
    );
    assert!(!report.is_complete());
    screens.assert_only(&PersonChange::Updated.event(payload), &[&person(PERSON)]);

    let text = logs.contents();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line for the one failure:\n{text}");
    assert!(
        lines[0].contains(FAILURE_LINE) && lines[0].contains("topic=\"staff:people\""),
        "{text}"
    );
}
