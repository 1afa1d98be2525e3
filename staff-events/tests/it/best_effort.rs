//! Broadcasts are best-effort: a broken broker is logged and counted, never the caller's problem.

use pubsub_core::testing::{FailingBroker, FailingExcept, LogCapture, PanickingBroker};
use pubsub_core::{Broker, broadcast_failures};
use staff_events::{
    DepartmentChange, DepartmentPayload, PeopleBulkChange, PersonChange, PersonPayload,
    PersonSkillChange, PersonSkillPayload, SkillChange, SkillPayload, TeamChange,
    TeamMembershipChange, TeamMembershipPayload, TeamPayload, broadcast_department,
    broadcast_people_bulk, broadcast_person, broadcast_person_skill, broadcast_skill,
    broadcast_team, broadcast_team_membership, topic_person,
};

use crate::harness::{DEPARTMENT, PERSON, RECORD, SKILL, TEAM, person, watch_candidates};

fn team() -> TeamPayload {
    TeamPayload {
        uuid: TEAM,
        name: "Crew".to_owned(),
        department_uuid: Some(DEPARTMENT),
    }
}

async fn every_broadcast_function_absorbs(broker: &dyn Broker) {
    let before = broadcast_failures();

    let department = DepartmentPayload {
        uuid: DEPARTMENT,
        name: "Sales".to_owned(),
    };
    let report = broadcast_department(broker, DepartmentChange::Created, department).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let report = broadcast_team(broker, TeamChange::Updated, team()).await;
    assert_eq!((report.topics, report.failed), (3, 3));
    let person = PersonPayload { uuid: PERSON };
    let report = broadcast_person(broker, PersonChange::Deleted, person).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let report = broadcast_people_bulk(broker, PeopleBulkChange::Updated).await;
    assert_eq!((report.topics, report.failed), (1, 1));
    let membership = TeamMembershipPayload {
        team_uuid: TEAM,
        staff_person_uuid: PERSON,
        uuid: RECORD,
    };
    let report = broadcast_team_membership(broker, TeamMembershipChange::Added, membership).await;
    assert_eq!((report.topics, report.failed), (4, 4));
    let skill = SkillPayload {
        uuid: SKILL,
        name: "Welding".to_owned(),
    };
    let report = broadcast_skill(broker, SkillChange::Deleted, skill).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let person_skill = PersonSkillPayload {
        skill_uuid: SKILL,
        staff_person_uuid: PERSON,
        uuid: RECORD,
    };
    let report = broadcast_person_skill(broker, PersonSkillChange::Removed, person_skill).await;
    assert_eq!((report.topics, report.failed), (4, 4));

    // Other tests may fail publishes concurrently, so the process-wide counter grows by at least ours.
    assert!(broadcast_failures() >= before + 18);
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
    broadcast_team(&FailingBroker, TeamChange::Deleted, team()).await;

    let text = logs.contents();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "one line per failed topic:\n{text}");
    let topics = [
        "staff:teams".to_owned(),
        format!("staff:team:{TEAM}"),
        format!("staff:department:{DEPARTMENT}"),
    ];
    for (line, topic) in lines.iter().zip(&topics) {
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains(topic.as_str()), "{line}");
        assert!(line.contains("staff"), "{line}");
        assert!(line.contains("team_deleted"), "{line}");
        assert!(line.contains("the broker is closed"), "{line}");
    }
}

#[tokio::test]
async fn a_panicking_publish_is_logged_with_the_panic_message() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    broadcast_people_bulk(&PanickingBroker, PeopleBulkChange::Deleted).await;

    let text = logs.contents();
    assert!(text.contains("staff:people"), "{text}");
    assert!(text.contains("person_deleted"), "{text}");
    assert!(text.contains("exploded (PanickingBroker)"), "{text}");
}

#[tokio::test]
async fn one_failing_topic_does_not_stop_the_others() {
    let broker = FailingExcept::new([topic_person(PERSON).into_topic()]);
    let mut screens = watch_candidates(broker.get_ref()).await;

    let payload = PersonPayload { uuid: PERSON };
    let report = broadcast_person(&broker, PersonChange::Updated, payload).await;
    assert_eq!((report.topics, report.failed), (2, 1));
    assert!(!report.is_complete());
    screens.assert_only(&PersonChange::Updated.event(payload), &[&person(PERSON)]);
}
