//! Every event reaches exactly the topics of its SPEC.md rule, and no others.

use std::sync::Arc;

use pubsub_core::{Broker, MemoryBroker};
use staff_events::{
    DepartmentChange, DepartmentPayload, PeopleBulkChange, PeopleBulkPayload, PersonChange,
    PersonPayload, PersonSkillChange, PersonSkillPayload, PersonTarget, SkillChange, SkillPayload,
    StaffEvent, TeamChange, TeamMembershipChange, TeamMembershipPayload, TeamPayload,
    broadcast_department, broadcast_people_bulk, broadcast_person, broadcast_person_skill,
    broadcast_skill, broadcast_team, broadcast_team_membership,
};

use crate::harness::{
    DEPARTMENT, PERSON, RECORD, SKILL, TEAM, department, departments, people, person, skill,
    skills, team, teams, watch_candidates,
};

#[tokio::test]
async fn every_department_change_reaches_departments_and_its_own_topic() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in DepartmentChange::ALL {
        let payload = DepartmentPayload {
            uuid: DEPARTMENT,
            name: "Sales".to_owned(),
        };
        let report = broadcast_department(&broker, change, payload.clone()).await;
        assert_eq!((report.topics, report.failed), (2, 0));
        screens.assert_only(
            &change.event(payload),
            &[&departments(), &department(DEPARTMENT)],
        );
    }
}

#[tokio::test]
async fn every_team_change_without_a_department_reaches_teams_and_its_own_topic_only() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in TeamChange::ALL {
        let payload = TeamPayload {
            uuid: TEAM,
            name: "Crew".to_owned(),
            department_uuid: None,
        };
        let report = broadcast_team(&broker, change, payload.clone()).await;
        assert_eq!(report.topics, 2);
        screens.assert_only(&change.event(payload), &[&teams(), &team(TEAM)]);
    }
}

#[tokio::test]
async fn every_team_change_in_a_department_also_reaches_that_department() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in TeamChange::ALL {
        let payload = TeamPayload {
            uuid: TEAM,
            name: "Crew".to_owned(),
            department_uuid: Some(DEPARTMENT),
        };
        let report = broadcast_team(&broker, change, payload.clone()).await;
        assert_eq!(report.topics, 3);
        // Not staff:departments: a team change is not a department mutation.
        screens.assert_only(
            &change.event(payload),
            &[&teams(), &team(TEAM), &department(DEPARTMENT)],
        );
    }
}

#[tokio::test]
async fn every_person_change_reaches_people_and_the_persons_own_topic() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in PersonChange::ALL {
        let payload = PersonPayload { uuid: PERSON };
        let report = broadcast_person(&broker, change, payload).await;
        assert_eq!(report.topics, 2);
        screens.assert_only(&change.event(payload), &[&people(), &person(PERSON)]);
    }
}

#[tokio::test]
async fn person_updated_and_deleted_carry_one_person_as_the_wire_names_say() {
    let one = PersonTarget::One(PersonPayload { uuid: PERSON });
    let payload = PersonPayload { uuid: PERSON };
    assert_eq!(
        PersonChange::Updated.event(payload),
        StaffEvent::PersonUpdated(one)
    );
    assert_eq!(
        PersonChange::Deleted.event(payload),
        StaffEvent::PersonDeleted(one)
    );
    assert_eq!(
        PersonChange::Created.event(payload),
        StaffEvent::PersonCreated(payload)
    );
    assert_eq!(
        PersonChange::EmploymentChanged.event(payload),
        StaffEvent::PersonEmploymentChanged(payload)
    );
}

#[tokio::test]
async fn every_bulk_people_change_reaches_the_people_topic_only() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    let bulk = PersonTarget::Bulk(PeopleBulkPayload);
    for (change, event) in [
        (PeopleBulkChange::Updated, StaffEvent::PersonUpdated(bulk)),
        (PeopleBulkChange::Deleted, StaffEvent::PersonDeleted(bulk)),
    ] {
        let report = broadcast_people_bulk(&broker, change).await;
        assert_eq!((report.topics, report.failed), (1, 0));
        assert_eq!(change.event(), event);
        screens.assert_only(&event, &[&people()]);
    }
}

#[tokio::test]
async fn every_membership_change_reaches_the_four_team_and_person_topics() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in TeamMembershipChange::ALL {
        let payload = TeamMembershipPayload {
            team_uuid: TEAM,
            staff_person_uuid: PERSON,
            uuid: RECORD,
        };
        let report = broadcast_team_membership(&broker, change, payload).await;
        assert_eq!(report.topics, 4);
        screens.assert_only(
            &change.event(payload),
            &[&teams(), &team(TEAM), &people(), &person(PERSON)],
        );
    }
}

#[tokio::test]
async fn every_skill_change_reaches_skills_and_its_own_topic() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in SkillChange::ALL {
        let payload = SkillPayload {
            uuid: SKILL,
            name: "Welding".to_owned(),
        };
        let report = broadcast_skill(&broker, change, payload.clone()).await;
        assert_eq!(report.topics, 2);
        screens.assert_only(&change.event(payload), &[&skills(), &skill(SKILL)]);
    }
}

#[tokio::test]
async fn every_person_skill_change_reaches_the_four_skill_and_person_topics() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    for change in PersonSkillChange::ALL {
        let payload = PersonSkillPayload {
            skill_uuid: SKILL,
            staff_person_uuid: PERSON,
            uuid: RECORD,
        };
        let report = broadcast_person_skill(&broker, change, payload).await;
        assert_eq!(report.topics, 4);
        screens.assert_only(
            &change.event(payload),
            &[&skills(), &skill(SKILL), &people(), &person(PERSON)],
        );
    }
}

#[tokio::test]
async fn broadcasts_take_dyn_and_arc_dyn_brokers() {
    let memory = MemoryBroker::new();
    let mut screens = watch_candidates(&memory).await;
    let as_dyn: &dyn Broker = &memory;
    let as_arc: Arc<dyn Broker> = Arc::new(memory.clone());
    let payload = PersonPayload { uuid: PERSON };

    broadcast_person(as_dyn, PersonChange::Created, payload).await;
    screens.assert_only(
        &StaffEvent::PersonCreated(payload),
        &[&people(), &person(PERSON)],
    );
    broadcast_people_bulk(&as_arc, PeopleBulkChange::Updated).await;
    screens.assert_only(
        &StaffEvent::PersonUpdated(PersonTarget::Bulk(PeopleBulkPayload)),
        &[&people()],
    );
}
