//! The documented JSON of every event, and how decoding treats the unexpected.

use std::collections::BTreeSet;

use pubsub_core::{Event, Message};
use staff_events::{
    DepartmentPayload, PeopleBulkPayload, PersonPayload, PersonSkillPayload, PersonTarget,
    SkillPayload, StaffEvent, TeamMembershipPayload, TeamPayload,
};
use uuid::Uuid;

const A: Uuid = Uuid::from_u128(0xaaaa_aaaa_aaaa_4aaa_8aaa_aaaa_aaaa_aaaa);
const B: Uuid = Uuid::from_u128(0xbbbb_bbbb_bbbb_4bbb_8bbb_bbbb_bbbb_bbbb);
const C: Uuid = Uuid::from_u128(0xcccc_cccc_cccc_4ccc_8ccc_cccc_cccc_cccc);

fn department() -> DepartmentPayload {
    DepartmentPayload {
        uuid: A,
        name: "Sales".to_owned(),
    }
}

fn team() -> TeamPayload {
    TeamPayload {
        uuid: A,
        name: "Crew".to_owned(),
        department_uuid: Some(B),
    }
}

fn one() -> PersonTarget {
    PersonTarget::One(PersonPayload { uuid: A })
}

fn membership() -> TeamMembershipPayload {
    TeamMembershipPayload {
        team_uuid: A,
        staff_person_uuid: B,
        uuid: C,
    }
}

fn skill() -> SkillPayload {
    SkillPayload {
        uuid: A,
        name: "Welding".to_owned(),
    }
}

fn person_skill() -> PersonSkillPayload {
    PersonSkillPayload {
        skill_uuid: A,
        staff_person_uuid: B,
        uuid: C,
    }
}

/// Every event beside its documented JSON, written out by hand (both shapes of the person
/// events that have two).
#[allow(clippy::too_many_lines)] // Reason: one entry per event is the point of this table.
fn golden() -> Vec<(StaffEvent, &'static str)> {
    use StaffEvent as E;
    let bulk = PersonTarget::Bulk(PeopleBulkPayload);
    vec![
        (
            E::DepartmentCreated(department()),
            r#"{"event":"department_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Sales"}}"#,
        ),
        (
            E::DepartmentUpdated(department()),
            r#"{"event":"department_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Sales"}}"#,
        ),
        (
            E::DepartmentDeleted(department()),
            r#"{"event":"department_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Sales"}}"#,
        ),
        (
            E::TeamCreated(team()),
            r#"{"event":"team_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Crew","department_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}}"#,
        ),
        (
            E::TeamUpdated(TeamPayload {
                department_uuid: None,
                ..team()
            }),
            r#"{"event":"team_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Crew","department_uuid":null}}"#,
        ),
        (
            E::TeamDeleted(team()),
            r#"{"event":"team_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Crew","department_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}}"#,
        ),
        (
            E::PersonCreated(PersonPayload { uuid: A }),
            r#"{"event":"person_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::PersonUpdated(one()),
            r#"{"event":"person_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::PersonUpdated(bulk),
            r#"{"event":"person_updated","payload":{"bulk":true}}"#,
        ),
        (
            E::PersonDeleted(one()),
            r#"{"event":"person_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::PersonDeleted(bulk),
            r#"{"event":"person_deleted","payload":{"bulk":true}}"#,
        ),
        (
            E::PersonEmploymentChanged(PersonPayload { uuid: A }),
            r#"{"event":"person_employment_changed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::TeamPersonAdded(membership()),
            r#"{"event":"team_person_added","payload":{"team_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","staff_person_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","uuid":"cccccccc-cccc-4ccc-8ccc-cccccccccccc"}}"#,
        ),
        (
            E::TeamPersonRemoved(membership()),
            r#"{"event":"team_person_removed","payload":{"team_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","staff_person_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","uuid":"cccccccc-cccc-4ccc-8ccc-cccccccccccc"}}"#,
        ),
        (
            E::SkillCreated(skill()),
            r#"{"event":"skill_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Welding"}}"#,
        ),
        (
            E::SkillUpdated(skill()),
            r#"{"event":"skill_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Welding"}}"#,
        ),
        (
            E::SkillDeleted(skill()),
            r#"{"event":"skill_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Welding"}}"#,
        ),
        (
            E::PersonSkillAdded(person_skill()),
            r#"{"event":"person_skill_added","payload":{"skill_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","staff_person_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","uuid":"cccccccc-cccc-4ccc-8ccc-cccccccccccc"}}"#,
        ),
        (
            E::PersonSkillUpdated(person_skill()),
            r#"{"event":"person_skill_updated","payload":{"skill_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","staff_person_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","uuid":"cccccccc-cccc-4ccc-8ccc-cccccccccccc"}}"#,
        ),
        (
            E::PersonSkillRemoved(person_skill()),
            r#"{"event":"person_skill_removed","payload":{"skill_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","staff_person_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","uuid":"cccccccc-cccc-4ccc-8ccc-cccccccccccc"}}"#,
        ),
    ]
}

/// The events SPEC.md lists, by wire name.
const SPEC_NAMES: [&str; 18] = [
    "department_created",
    "department_updated",
    "department_deleted",
    "team_created",
    "team_updated",
    "team_deleted",
    "person_created",
    "person_updated",
    "person_deleted",
    "person_employment_changed",
    "team_person_added",
    "team_person_removed",
    "skill_created",
    "skill_updated",
    "skill_deleted",
    "person_skill_added",
    "person_skill_updated",
    "person_skill_removed",
];

fn tag_of(json: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value["event"].as_str().unwrap().to_owned()
}

#[test]
fn every_event_serialises_to_its_documented_json() {
    for (event, json) in golden() {
        assert_eq!(serde_json::to_string(&event).unwrap(), json);
    }
}

#[test]
fn every_documented_json_decodes_to_its_event() {
    for (event, json) in golden() {
        assert_eq!(serde_json::from_str::<StaffEvent>(json).unwrap(), event);
    }
}

#[test]
fn name_equals_the_serde_tag_for_every_event() {
    for (event, json) in golden() {
        assert_eq!(event.name(), tag_of(json));
    }
}

#[test]
fn the_golden_table_covers_exactly_the_events_spec_lists() {
    let names: BTreeSet<&str> = golden().iter().map(|(e, _)| e.name()).collect();
    assert_eq!(names, SPEC_NAMES.into_iter().collect());
}

#[test]
fn the_enum_carries_the_staff_domain_tag() {
    assert_eq!(<StaffEvent as Event>::DOMAIN, "staff");
    assert_eq!(staff_events::DOMAIN, "staff");
}

#[test]
fn unknown_fields_in_the_payload_and_the_envelope_are_ignored() {
    let json = r#"{"event":"skill_created","v":2,"payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Welding","level":3}}"#;
    assert_eq!(
        serde_json::from_str::<StaffEvent>(json).unwrap(),
        StaffEvent::SkillCreated(skill())
    );
    let json = r#"{"event":"person_deleted","payload":{"bulk":true,"count":40}}"#;
    assert_eq!(
        serde_json::from_str::<StaffEvent>(json).unwrap(),
        StaffEvent::PersonDeleted(PersonTarget::Bulk(PeopleBulkPayload))
    );
}

#[test]
fn a_team_without_department_uuid_decodes_as_in_no_department() {
    let json = r#"{"event":"team_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Crew"}}"#;
    let StaffEvent::TeamCreated(payload) = serde_json::from_str(json).unwrap() else {
        panic!("wrong variant");
    };
    assert_eq!(payload.department_uuid, None);
}

#[test]
fn a_person_payload_with_neither_uuid_nor_bulk_true_is_a_clear_error() {
    for payload in [r"{}", r#"{"bulk":false}"#] {
        let json = format!(r#"{{"event":"person_updated","payload":{payload}}}"#);
        let err = serde_json::from_str::<StaffEvent>(&json).unwrap_err();
        assert!(
            err.to_string()
                .contains("a person payload needs `uuid`, or `bulk: true`"),
            "{err}"
        );
    }
}

#[test]
fn a_person_created_payload_must_name_its_person() {
    // Only person_updated and person_deleted have a bulk form.
    let json = r#"{"event":"person_created","payload":{"bulk":true}}"#;
    let err = serde_json::from_str::<StaffEvent>(json).unwrap_err();
    assert!(err.to_string().contains("uuid"), "{err}");
}

#[test]
fn an_unknown_event_name_is_an_error_that_names_it() {
    let json =
        r#"{"event":"team_exploded","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#;
    let err = serde_json::from_str::<StaffEvent>(json).unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `team_exploded`"),
        "{err}"
    );
}

#[test]
fn a_message_from_the_wire_decodes_into_the_event() {
    for (event, json) in golden() {
        let message = Message::from_json("staff", event.name(), json);
        assert_eq!(*message.decode::<StaffEvent>().unwrap(), event);
    }
}

#[test]
fn a_local_message_makes_the_documented_json() {
    for (event, json) in golden() {
        let message = Message::new(event);
        assert_eq!(message.json().unwrap(), json);
        assert_eq!(message.domain(), "staff");
    }
}
