//! Properties of the fan-out rules over every payload, checked against a model of SPEC.md read
//! from the event's JSON (as an Elixir subscriber would see it).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::select;
use pubsub_core::testing::Screens;
use pubsub_core::{Event, MemoryBroker, Message, Topic, TypedTopic};
use staff_events::{
    DepartmentChange, DepartmentPayload, PeopleBulkChange, PersonChange, PersonPayload,
    PersonSkillChange, PersonSkillPayload, PersonTarget, SkillChange, SkillPayload, StaffEvent,
    TeamChange, TeamMembershipChange, TeamMembershipPayload, TeamPayload, broadcast_department,
    broadcast_people_bulk, broadcast_person, broadcast_person_skill, broadcast_skill,
    broadcast_team, broadcast_team_membership, topic_department, topic_person, topics_for,
    topics_for_team,
};
use uuid::Uuid;

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _-]{0,12}"
}

fn team_payload() -> impl Strategy<Value = TeamPayload> {
    (uuid(), text(), proptest::option::of(uuid())).prop_map(|(uuid, name, department_uuid)| {
        TeamPayload {
            uuid,
            name,
            department_uuid,
        }
    })
}

/// Any staff event, through the kinds the broadcast functions take.
fn event() -> impl Strategy<Value = StaffEvent> {
    prop_oneof![
        (select(DepartmentChange::ALL.to_vec()), uuid(), text())
            .prop_map(|(k, uuid, name)| k.event(DepartmentPayload { uuid, name })),
        (select(TeamChange::ALL.to_vec()), team_payload()).prop_map(|(k, p)| k.event(p)),
        (select(PersonChange::ALL.to_vec()), uuid())
            .prop_map(|(k, uuid)| k.event(PersonPayload { uuid })),
        select(PeopleBulkChange::ALL.to_vec()).prop_map(PeopleBulkChange::event),
        (
            select(TeamMembershipChange::ALL.to_vec()),
            uuid(),
            uuid(),
            uuid()
        )
            .prop_map(|(k, team_uuid, staff_person_uuid, uuid)| {
                k.event(TeamMembershipPayload {
                    team_uuid,
                    staff_person_uuid,
                    uuid,
                })
            }),
        (select(SkillChange::ALL.to_vec()), uuid(), text())
            .prop_map(|(k, uuid, name)| k.event(SkillPayload { uuid, name })),
        (
            select(PersonSkillChange::ALL.to_vec()),
            uuid(),
            uuid(),
            uuid()
        )
            .prop_map(|(k, skill_uuid, staff_person_uuid, uuid)| {
                k.event(PersonSkillPayload {
                    skill_uuid,
                    staff_person_uuid,
                    uuid,
                })
            }),
    ]
}

/// SPEC.md's rules, applied to the wire form, by event-name prefix.
fn model(event: &StaffEvent) -> BTreeSet<String> {
    let json = serde_json::to_value(event).unwrap();
    let name = json["event"].as_str().unwrap();
    let p = &json["payload"];
    let s = |key: &str| p[key].as_str().unwrap().to_owned();
    let topics: Vec<String> = if name.starts_with("department_") {
        vec![
            "staff:departments".into(),
            format!("staff:department:{}", s("uuid")),
        ]
    } else if name.starts_with("team_person_") {
        vec![
            "staff:teams".into(),
            format!("staff:team:{}", s("team_uuid")),
            "staff:people".into(),
            format!("staff:person:{}", s("staff_person_uuid")),
        ]
    } else if name.starts_with("team_") {
        let mut topics = vec!["staff:teams".into(), format!("staff:team:{}", s("uuid"))];
        if let Some(department) = p["department_uuid"].as_str() {
            topics.push(format!("staff:department:{department}"));
        }
        topics
    } else if name.starts_with("person_skill_") {
        vec![
            "staff:skills".into(),
            format!("staff:skill:{}", s("skill_uuid")),
            "staff:people".into(),
            format!("staff:person:{}", s("staff_person_uuid")),
        ]
    } else if name.starts_with("person_") {
        if p["bulk"] == serde_json::Value::Bool(true) {
            vec!["staff:people".into()]
        } else {
            vec!["staff:people".into(), format!("staff:person:{}", s("uuid"))]
        }
    } else if name.starts_with("skill_") {
        vec!["staff:skills".into(), format!("staff:skill:{}", s("uuid"))]
    } else {
        panic!("no rule for {name}")
    };
    topics.into_iter().collect()
}

fn names(topics: &[TypedTopic<StaffEvent>]) -> Vec<String> {
    topics.iter().map(ToString::to_string).collect()
}

/// Sends `event` through the public broadcast function its kind belongs to.
async fn rebroadcast(broker: &MemoryBroker, event: StaffEvent) {
    use StaffEvent as E;
    let report = match event {
        E::DepartmentCreated(p) => broadcast_department(broker, DepartmentChange::Created, p).await,
        E::DepartmentUpdated(p) => broadcast_department(broker, DepartmentChange::Updated, p).await,
        E::DepartmentDeleted(p) => broadcast_department(broker, DepartmentChange::Deleted, p).await,
        E::TeamCreated(p) => broadcast_team(broker, TeamChange::Created, p).await,
        E::TeamUpdated(p) => broadcast_team(broker, TeamChange::Updated, p).await,
        E::TeamDeleted(p) => broadcast_team(broker, TeamChange::Deleted, p).await,
        E::PersonCreated(p) => broadcast_person(broker, PersonChange::Created, p).await,
        E::PersonUpdated(PersonTarget::One(p)) => {
            broadcast_person(broker, PersonChange::Updated, p).await
        }
        E::PersonUpdated(PersonTarget::Bulk(_)) => {
            broadcast_people_bulk(broker, PeopleBulkChange::Updated).await
        }
        E::PersonDeleted(PersonTarget::One(p)) => {
            broadcast_person(broker, PersonChange::Deleted, p).await
        }
        E::PersonDeleted(PersonTarget::Bulk(_)) => {
            broadcast_people_bulk(broker, PeopleBulkChange::Deleted).await
        }
        E::PersonEmploymentChanged(p) => {
            broadcast_person(broker, PersonChange::EmploymentChanged, p).await
        }
        E::TeamPersonAdded(p) => {
            broadcast_team_membership(broker, TeamMembershipChange::Added, p).await
        }
        E::TeamPersonRemoved(p) => {
            broadcast_team_membership(broker, TeamMembershipChange::Removed, p).await
        }
        E::SkillCreated(p) => broadcast_skill(broker, SkillChange::Created, p).await,
        E::SkillUpdated(p) => broadcast_skill(broker, SkillChange::Updated, p).await,
        E::SkillDeleted(p) => broadcast_skill(broker, SkillChange::Deleted, p).await,
        E::PersonSkillAdded(p) => broadcast_person_skill(broker, PersonSkillChange::Added, p).await,
        E::PersonSkillUpdated(p) => {
            broadcast_person_skill(broker, PersonSkillChange::Updated, p).await
        }
        E::PersonSkillRemoved(p) => {
            broadcast_person_skill(broker, PersonSkillChange::Removed, p).await
        }
    };
    assert!(report.is_complete());
}

proptest! {
    #[test]
    fn topics_for_any_event_equal_the_model_without_duplicates(event in event()) {
        let topics = names(&topics_for(&event));
        let unique: BTreeSet<String> = topics.iter().cloned().collect();
        prop_assert_eq!(unique.len(), topics.len(), "duplicates in {:?}", topics);
        prop_assert_eq!(unique, model(&event));
    }

    #[test]
    fn a_team_reaches_a_department_topic_iff_it_has_a_department(
        change in select(TeamChange::ALL.to_vec()),
        payload in team_payload(),
    ) {
        let topics = names(&topics_for(&change.event(payload.clone())));
        let department_topics: Vec<String> = topics
            .iter()
            .filter(|t| t.starts_with("staff:department:"))
            .cloned()
            .collect();
        let expected: Vec<String> = payload
            .department_uuid
            .map(|department| topic_department(department).to_string())
            .into_iter()
            .collect();
        prop_assert_eq!(department_topics, expected);
        prop_assert!(!topics.contains(&"staff:departments".to_owned()));
        prop_assert_eq!(
            topics_for(&change.event(payload.clone())),
            topics_for_team(payload.uuid, payload.department_uuid)
        );
    }

    #[test]
    fn a_person_topic_is_reached_iff_the_event_names_one_person(event in event()) {
        let topics = names(&topics_for(&event));
        let person_topics: Vec<&String> =
            topics.iter().filter(|t| t.starts_with("staff:person:")).collect();
        let named = match &event {
            StaffEvent::PersonCreated(p) | StaffEvent::PersonEmploymentChanged(p) => Some(p.uuid),
            StaffEvent::PersonUpdated(t) | StaffEvent::PersonDeleted(t) => t.uuid(),
            StaffEvent::TeamPersonAdded(p) | StaffEvent::TeamPersonRemoved(p) => {
                Some(p.staff_person_uuid)
            }
            StaffEvent::PersonSkillAdded(p)
            | StaffEvent::PersonSkillUpdated(p)
            | StaffEvent::PersonSkillRemoved(p) => Some(p.staff_person_uuid),
            _ => None,
        };
        let expected: Vec<String> = named.map(|u| topic_person(u).to_string()).into_iter().collect();
        prop_assert_eq!(person_topics, expected.iter().collect::<Vec<_>>());
        prop_assert_eq!(topics.contains(&"staff:people".to_owned()), named.is_some() || event.name().starts_with("person_"));
    }

    #[test]
    fn any_event_round_trips_through_json_and_names_its_tag(event in event()) {
        let message = Message::new(event.clone());
        let json = message.json().unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        prop_assert_eq!(value["event"].as_str(), Some(event.name()));
        let wire = Message::from_json("staff", event.name(), json);
        prop_assert_eq!(&*wire.decode::<StaffEvent>().unwrap(), &event);
    }

    #[test]
    fn a_broadcast_reaches_exactly_the_subscribers_of_its_rules_topics(
        event in event(),
        stranger in uuid(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let broker = MemoryBroker::new();
            let mut candidates = model(&event);
            candidates.extend(
                ["staff:departments", "staff:teams", "staff:people", "staff:skills"]
                    .map(str::to_owned),
            );
            for kind in ["department", "team", "person", "skill"] {
                candidates.insert(format!("staff:{kind}:{stranger}"));
            }
            let topics: Vec<TypedTopic<StaffEvent>> = candidates
                .iter()
                .map(|name| TypedTopic::new(Topic::new(name).unwrap()))
                .collect();
            let labelled = candidates.iter().map(String::as_str).zip(&topics);
            let mut screens = Screens::watch(&broker, labelled).await.unwrap();
            rebroadcast(&broker, event.clone()).await;
            let expected: BTreeMap<String, Vec<StaffEvent>> = model(&event)
                .into_iter()
                .map(|name| (name, vec![event.clone()]))
                .collect();
            prop_assert_eq!(screens.received(), expected, "fan-out of {:?}", event);
            Ok(())
        })?;
    }
}
