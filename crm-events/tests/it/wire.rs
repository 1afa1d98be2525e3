//! The wire form: golden JSON for every event, names equal to serde tags, tolerance of unknown
//! fields, and a clear error for an unknown event.

use crm_events::{
    CompanyMemberPayload, CompanyVisibilityPayload, ContactOptPayload, CrmEvent,
    InteractionPayload, ListLocalePayload, ListMemberPayload, ListPayload, topic_lists,
};
use pubsub_core::{Delivery, Event, MemoryBroker, Message};
use uuid::Uuid;

const U1: &str = "11111111-1111-4111-8111-111111111111";
const U2: &str = "22222222-2222-4222-8222-222222222222";

fn u1() -> Uuid {
    Uuid::parse_str(U1).expect("valid uuid")
}

fn u2() -> Uuid {
    Uuid::parse_str(U2).expect("valid uuid")
}

fn list() -> ListPayload {
    ListPayload {
        list_uuid: u1(),
        subscriber_count: 42,
        status: "active".to_owned(),
    }
}

fn member() -> ListMemberPayload {
    ListMemberPayload {
        list_uuid: u1(),
        member_uuid: u2(),
        subscriber_count: 43,
        status: "active".to_owned(),
    }
}

/// `{"event": <event>, "payload": <payload>}`.
fn wire(event: &str, payload: &str) -> String {
    format!(r#"{{"event":"{event}","payload":{payload}}}"#)
}

/// Every variant with its documented JSON, written by hand.
pub(crate) fn golden() -> Vec<(CrmEvent, String)> {
    let mut all = golden_feeds();
    all.extend(golden_lists());
    all
}

/// The interaction-feed and roster events.
fn golden_feeds() -> Vec<(CrmEvent, String)> {
    let interaction = InteractionPayload {
        interaction_uuid: u1(),
    };
    let roster = CompanyMemberPayload { contact_uuid: u2() };
    let interaction_json = format!(r#"{{"interaction_uuid":"{U1}"}}"#);
    let roster_json = format!(r#"{{"contact_uuid":"{U2}"}}"#);
    vec![
        (
            CrmEvent::InteractionCreated(interaction),
            wire("interaction_created", &interaction_json),
        ),
        (
            CrmEvent::InteractionUpdated(interaction),
            wire("interaction_updated", &interaction_json),
        ),
        (
            CrmEvent::InteractionDeleted(interaction),
            wire("interaction_deleted", &interaction_json),
        ),
        (
            CrmEvent::CompanyVisibilityChanged(CompanyVisibilityPayload { company_uuid: u1() }),
            wire(
                "company_visibility_changed",
                &format!(r#"{{"company_uuid":"{U1}"}}"#),
            ),
        ),
        (
            CrmEvent::MemberJoined(roster),
            wire("member_joined", &roster_json),
        ),
        (
            CrmEvent::MemberLeft(roster),
            wire("member_left", &roster_json),
        ),
        (
            CrmEvent::MemberChanged(roster),
            wire("member_changed", &roster_json),
        ),
    ]
}

/// The `crm:lists` events.
fn golden_lists() -> Vec<(CrmEvent, String)> {
    let list_json = format!(r#"{{"list_uuid":"{U1}","subscriber_count":42,"status":"active"}}"#);
    let member_json = format!(
        r#"{{"list_uuid":"{U1}","member_uuid":"{U2}","subscriber_count":43,"status":"active"}}"#
    );
    vec![
        (
            CrmEvent::ListCreated(list()),
            wire("list_created", &list_json),
        ),
        (
            CrmEvent::ListUpdated(list()),
            wire("list_updated", &list_json),
        ),
        (
            CrmEvent::ListArchived(list()),
            wire("list_archived", &list_json),
        ),
        (
            CrmEvent::ListUnarchived(list()),
            wire("list_unarchived", &list_json),
        ),
        (
            CrmEvent::ListRecounted(list()),
            wire("list_recounted", &list_json),
        ),
        (
            CrmEvent::MemberAdded(member()),
            wire("member_added", &member_json),
        ),
        (
            CrmEvent::MemberRemoved(member()),
            wire("member_removed", &member_json),
        ),
        (
            CrmEvent::ListLocaleApplied(ListLocalePayload {
                list_uuid: u1(),
                locale: "de".to_owned(),
                mode: "missing_only".to_owned(),
                updated_count: 17,
            }),
            wire(
                "list_locale_applied",
                &format!(
                    r#"{{"list_uuid":"{U1}","locale":"de","mode":"missing_only","updated_count":17}}"#
                ),
            ),
        ),
        (
            CrmEvent::ContactOptOut(ContactOptPayload {
                contact_uuid: u2(),
                opted_out_at: Some("2024-05-01T09:30:00Z".to_owned()),
            }),
            wire(
                "contact_opt_out",
                &format!(r#"{{"contact_uuid":"{U2}","opted_out_at":"2024-05-01T09:30:00Z"}}"#),
            ),
        ),
        (
            CrmEvent::ContactOptIn(ContactOptPayload {
                contact_uuid: u2(),
                opted_out_at: None,
            }),
            wire(
                "contact_opt_in",
                &format!(r#"{{"contact_uuid":"{U2}","opted_out_at":null}}"#),
            ),
        ),
    ]
}

#[test]
fn golden_list_covers_all_seventeen_events_of_spec() {
    let mut names: Vec<&str> = golden().iter().map(|(e, _)| e.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 17);
}

#[test]
fn every_event_serialises_to_its_documented_json() {
    for (event, json) in golden() {
        assert_eq!(
            serde_json::to_string(&event).expect("encode"),
            json,
            "{event:?}"
        );
    }
}

#[test]
fn every_documented_json_decodes_to_its_event() {
    for (event, json) in golden() {
        let decoded: CrmEvent = serde_json::from_str(&json).expect("decode");
        assert_eq!(decoded, event);
    }
}

#[test]
fn every_event_name_equals_its_serde_tag_and_the_domain_is_crm() {
    assert_eq!(CrmEvent::DOMAIN, "crm");
    for (event, _) in golden() {
        let value = serde_json::to_value(&event).expect("encode");
        assert_eq!(value["event"], event.name(), "{event:?}");
    }
}

#[test]
fn unknown_fields_in_the_payload_and_envelope_are_ignored() {
    let json = format!(
        r#"{{"event":"interaction_deleted","payload":{{"interaction_uuid":"{U1}","by":"admin"}},"node":"n1"}}"#
    );
    let decoded: CrmEvent = serde_json::from_str(&json).expect("decode");
    assert_eq!(
        decoded,
        CrmEvent::InteractionDeleted(InteractionPayload {
            interaction_uuid: u1()
        })
    );
}

#[test]
fn a_missing_opted_out_at_decodes_as_none() {
    let json = format!(r#"{{"event":"contact_opt_in","payload":{{"contact_uuid":"{U2}"}}}}"#);
    let decoded: CrmEvent = serde_json::from_str(&json).expect("decode");
    assert_eq!(
        decoded,
        CrmEvent::ContactOptIn(ContactOptPayload {
            contact_uuid: u2(),
            opted_out_at: None
        })
    );
}

#[test]
fn an_unknown_event_name_is_an_error_that_names_it() {
    let json = r#"{"event":"interaction_exploded","payload":{}}"#;
    let error = serde_json::from_str::<CrmEvent>(json).expect_err("unknown event");
    assert!(
        error.to_string().contains("interaction_exploded"),
        "error should name the event: {error}"
    );
}

#[test]
fn a_missing_payload_field_is_an_error_that_names_the_field() {
    let json = r#"{"event":"member_joined","payload":{}}"#;
    let error = serde_json::from_str::<CrmEvent>(json).expect_err("missing field");
    assert!(error.to_string().contains("contact_uuid"), "{error}");
}

#[tokio::test]
async fn an_event_from_the_wire_reaches_a_typed_subscriber_decoded() {
    let broker = MemoryBroker::new();
    let mut sub = crm_events::subscribe(&broker, &topic_lists())
        .await
        .expect("subscribe");
    for (event, json) in golden() {
        broker.publish_now(
            topic_lists().topic(),
            &Message::from_json("crm", event.name(), json),
        );
        match sub.try_recv() {
            Ok(Delivery::Message(received)) => assert_eq!(*received, event),
            other => panic!("expected {event:?}, got {other:?}"),
        }
    }
}
