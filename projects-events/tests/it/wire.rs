//! The documented JSON of every event, and how decoding treats the unexpected.

use std::collections::BTreeSet;

use projects_events::{
    AssignmentPayload, AssignmentReorderedPayload, DependencyPayload, EmbedEvent, EmbedPayload,
    ProjectModulesPayload, ProjectPayload, ProjectRefPayload, ProjectsEvent, TaskPayload,
};
use pubsub_core::{Event, Message};
use uuid::Uuid;

const A: Uuid = Uuid::from_u128(0xaaaa_aaaa_aaaa_4aaa_8aaa_aaaa_aaaa_aaaa);
const B: Uuid = Uuid::from_u128(0xbbbb_bbbb_bbbb_4bbb_8bbb_bbbb_bbbb_bbbb);
const C: Uuid = Uuid::from_u128(0xcccc_cccc_cccc_4ccc_8ccc_cccc_cccc_cccc);

fn project() -> ProjectPayload {
    ProjectPayload {
        uuid: A,
        name: "Roof".to_owned(),
        is_template: true,
        status_entity_uuid: Some(B),
        current_status_slug: Some("active".to_owned()),
        external_id: None,
    }
}

fn reference() -> ProjectRefPayload {
    ProjectRefPayload { uuid: A }
}

fn task() -> TaskPayload {
    TaskPayload {
        uuid: A,
        title: "Tiles".to_owned(),
    }
}

fn assignment() -> AssignmentPayload {
    AssignmentPayload {
        uuid: A,
        project_uuid: B,
    }
}

fn dependency() -> DependencyPayload {
    DependencyPayload {
        assignment_uuid: A,
        depends_on_uuid: B,
        project_uuid: C,
    }
}

/// Every content event beside its documented JSON, written out by hand.
#[allow(clippy::too_many_lines)] // Reason: one line per event is the point of this table.
fn golden() -> Vec<(ProjectsEvent, &'static str)> {
    use ProjectsEvent as E;
    vec![
        (
            E::ProjectCreated(project()),
            r#"{"event":"project_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectUpdated(project()),
            r#"{"event":"project_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectStatusChanged(project()),
            r#"{"event":"project_status_changed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectDeleted(project()),
            r#"{"event":"project_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectStarted(project()),
            r#"{"event":"project_started","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectArchived(project()),
            r#"{"event":"project_archived","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectUnarchived(project()),
            r#"{"event":"project_unarchived","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectCompleted(project()),
            r#"{"event":"project_completed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectReopened(project()),
            r#"{"event":"project_reopened","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof","is_template":true,"status_entity_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","current_status_slug":"active","external_id":null}}"#,
        ),
        (
            E::ProjectModulesChanged(ProjectModulesPayload {
                uuid: A,
                ext_key: "invoicing".to_owned(),
            }),
            r#"{"event":"project_modules_changed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","ext_key":"invoicing"}}"#,
        ),
        (
            E::ProjectFeaturesChanged(reference()),
            r#"{"event":"project_features_changed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::ProjectGrantsChanged(reference()),
            r#"{"event":"project_grants_changed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::ProjectInvoiceGenerated(reference()),
            r#"{"event":"project_invoice_generated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::ProjectLabelsChanged(reference()),
            r#"{"event":"project_labels_changed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::WorkLogged(reference()),
            r#"{"event":"work_logged","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::ProjectMembersChanged(reference()),
            r#"{"event":"project_members_changed","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::PortalRotated(reference()),
            r#"{"event":"portal_rotated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::ProjectEventCreated(reference()),
            r#"{"event":"project_event_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::ProjectEventUpdated(reference()),
            r#"{"event":"project_event_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::ProjectEventDeleted(reference()),
            r#"{"event":"project_event_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::WhiteboardCreated(reference()),
            r#"{"event":"whiteboard_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::WhiteboardUpdated(reference()),
            r#"{"event":"whiteboard_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::WhiteboardDeleted(reference()),
            r#"{"event":"whiteboard_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#,
        ),
        (
            E::TaskCreated(task()),
            r#"{"event":"task_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","title":"Tiles"}}"#,
        ),
        (
            E::TaskUpdated(task()),
            r#"{"event":"task_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","title":"Tiles"}}"#,
        ),
        (
            E::TaskDeleted(task()),
            r#"{"event":"task_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","title":"Tiles"}}"#,
        ),
        (
            E::AssignmentCreated(assignment()),
            r#"{"event":"assignment_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","project_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}}"#,
        ),
        (
            E::AssignmentUpdated(assignment()),
            r#"{"event":"assignment_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","project_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}}"#,
        ),
        (
            E::AssignmentDeleted(assignment()),
            r#"{"event":"assignment_deleted","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","project_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}}"#,
        ),
        (
            E::AssignmentReordered(AssignmentReorderedPayload { project_uuid: B }),
            r#"{"event":"assignment_reordered","payload":{"project_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}}"#,
        ),
        (
            E::DependencyAdded(dependency()),
            r#"{"event":"dependency_added","payload":{"assignment_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","depends_on_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","project_uuid":"cccccccc-cccc-4ccc-8ccc-cccccccccccc"}}"#,
        ),
        (
            E::DependencyRemoved(dependency()),
            r#"{"event":"dependency_removed","payload":{"assignment_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","depends_on_uuid":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","project_uuid":"cccccccc-cccc-4ccc-8ccc-cccccccccccc"}}"#,
        ),
    ]
}

fn embed_payload() -> EmbedPayload {
    let mut payload = EmbedPayload::new();
    payload.insert("project_uuid".to_owned(), A.to_string().into());
    payload.insert("tab".to_owned(), 2.into());
    payload
}

fn embed_golden() -> Vec<(EmbedEvent, &'static str)> {
    vec![
        (
            EmbedEvent::Opened(embed_payload()),
            r#"{"event":"opened","payload":{"project_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","tab":2}}"#,
        ),
        (
            EmbedEvent::Closed(embed_payload()),
            r#"{"event":"closed","payload":{"project_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","tab":2}}"#,
        ),
        (
            EmbedEvent::Saved(embed_payload()),
            r#"{"event":"saved","payload":{"project_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","tab":2}}"#,
        ),
        (
            EmbedEvent::Deleted(embed_payload()),
            r#"{"event":"deleted","payload":{"project_uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","tab":2}}"#,
        ),
    ]
}

/// The content events SPEC.md lists, by wire name.
const SPEC_NAMES: [&str; 32] = [
    "project_created",
    "project_updated",
    "project_status_changed",
    "project_deleted",
    "project_started",
    "project_archived",
    "project_unarchived",
    "project_completed",
    "project_reopened",
    "project_modules_changed",
    "project_features_changed",
    "project_grants_changed",
    "project_invoice_generated",
    "project_labels_changed",
    "work_logged",
    "project_members_changed",
    "portal_rotated",
    "project_event_created",
    "project_event_updated",
    "project_event_deleted",
    "whiteboard_created",
    "whiteboard_updated",
    "whiteboard_deleted",
    "task_created",
    "task_updated",
    "task_deleted",
    "assignment_created",
    "assignment_updated",
    "assignment_deleted",
    "assignment_reordered",
    "dependency_added",
    "dependency_removed",
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
    for (event, json) in embed_golden() {
        assert_eq!(serde_json::to_string(&event).unwrap(), json);
    }
}

#[test]
fn every_documented_json_decodes_to_its_event() {
    for (event, json) in golden() {
        assert_eq!(serde_json::from_str::<ProjectsEvent>(json).unwrap(), event);
    }
    for (event, json) in embed_golden() {
        assert_eq!(serde_json::from_str::<EmbedEvent>(json).unwrap(), event);
    }
}

#[test]
fn name_equals_the_serde_tag_for_every_event() {
    for (event, json) in golden() {
        assert_eq!(event.name(), tag_of(json));
    }
    for (event, json) in embed_golden() {
        assert_eq!(event.name(), tag_of(json));
    }
}

#[test]
fn the_golden_table_covers_exactly_the_events_spec_lists() {
    let names: BTreeSet<&str> = golden().iter().map(|(e, _)| e.name()).collect();
    assert_eq!(names, SPEC_NAMES.into_iter().collect());
    assert_eq!(golden().len(), SPEC_NAMES.len());
}

#[test]
fn both_enums_carry_the_projects_domain_tag() {
    assert_eq!(<ProjectsEvent as Event>::DOMAIN, "projects");
    assert_eq!(<EmbedEvent as Event>::DOMAIN, "projects");
    assert_eq!(projects_events::DOMAIN, "projects");
}

#[test]
fn unknown_fields_in_the_payload_and_the_envelope_are_ignored() {
    let json = r#"{"event":"task_created","v":2,"payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","title":"Tiles","color":"red"}}"#;
    assert_eq!(
        serde_json::from_str::<ProjectsEvent>(json).unwrap(),
        ProjectsEvent::TaskCreated(task())
    );
}

#[test]
fn a_project_payload_without_optional_fields_or_is_template_decodes_as_not_a_template() {
    let json = r#"{"event":"project_updated","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"Roof"}}"#;
    let ProjectsEvent::ProjectUpdated(payload) = serde_json::from_str(json).unwrap() else {
        panic!("wrong variant");
    };
    assert_eq!(payload, ProjectPayload::new(A, "Roof"));
}

#[test]
fn an_unknown_event_name_is_an_error_that_names_it() {
    let json =
        r#"{"event":"project_exploded","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#;
    let err = serde_json::from_str::<ProjectsEvent>(json).unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown variant `project_exploded`"),
        "{err}"
    );
    // An embed verb is not a content event either.
    let err =
        serde_json::from_str::<ProjectsEvent>(r#"{"event":"opened","payload":{}}"#).unwrap_err();
    assert!(err.to_string().contains("`opened`"), "{err}");
}

#[test]
fn a_missing_required_field_is_an_error_that_names_it() {
    let json =
        r#"{"event":"task_created","payload":{"uuid":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}"#;
    let err = serde_json::from_str::<ProjectsEvent>(json).unwrap_err();
    assert!(err.to_string().contains("title"), "{err}");
}

#[test]
fn a_message_from_the_wire_decodes_into_the_event() {
    for (event, json) in golden() {
        let message = Message::from_json("projects", event.name(), json);
        assert_eq!(*message.decode::<ProjectsEvent>().unwrap(), event);
    }
}

#[test]
fn a_local_message_makes_the_documented_json() {
    for (event, json) in golden() {
        let message = Message::new(event);
        assert_eq!(message.json().unwrap(), json);
        assert_eq!(message.domain(), "projects");
    }
}
