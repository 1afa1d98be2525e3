//! The wire form: golden JSON for every event, kind, direction and scope; names equal to serde
//! tags; unknown fields tolerated; clear errors for unknown names.

use catalogue_events::{
    BulkChangePayload, BulkKind, CardRefreshPayload, CardScope, CatalogueEvent,
    CategoryReorderPayload, DataChangedPayload, DataKind, SortDir, ViewSortChangedPayload, topic,
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

/// `{"event": <event>, "payload": <payload>}`.
fn wire(event: &str, payload: &str) -> String {
    format!(r#"{{"event":"{event}","payload":{payload}}}"#)
}

/// Every kind with its wire text, written by hand from SPEC's table.
const KINDS: [(DataKind, &str); 12] = [
    (DataKind::Catalogue, "catalogue"),
    (DataKind::Category, "category"),
    (DataKind::Item, "item"),
    (DataKind::Folder, "folder"),
    (DataKind::Manufacturer, "manufacturer"),
    (DataKind::Supplier, "supplier"),
    (DataKind::SmartRule, "smart_rule"),
    (DataKind::Links, "links"),
    (DataKind::Pdf, "pdf"),
    (DataKind::ItemSupplierInfo, "item_supplier_info"),
    (DataKind::AttributeGroup, "attribute_group"),
    (DataKind::AttributeSet, "attribute_set"),
];

/// `catalogue_data_changed` for every kind, plus a bulk change with no uuid and no parent.
fn golden_data_changed() -> Vec<(CatalogueEvent, String)> {
    let mut all: Vec<(CatalogueEvent, String)> = KINDS
        .iter()
        .map(|(kind, text)| {
            (
                CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
                    kind: *kind,
                    uuid: Some(u1()),
                    parent_catalogue_uuid: Some(u2()),
                }),
                wire(
                    "catalogue_data_changed",
                    &format!(r#"{{"kind":"{text}","uuid":"{U1}","parent_catalogue_uuid":"{U2}"}}"#),
                ),
            )
        })
        .collect();
    all.push((
        CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
            kind: DataKind::Links,
            uuid: None,
            parent_catalogue_uuid: None,
        }),
        wire(
            "catalogue_data_changed",
            r#"{"kind":"links","uuid":null,"parent_catalogue_uuid":null}"#,
        ),
    ));
    all
}

/// The four screen events, with every direction, bulk kind and scope form.
fn golden_screen_events() -> Vec<(CatalogueEvent, String)> {
    let mut all = vec![
        (
            CatalogueEvent::CatalogueCardRefresh(CardRefreshPayload {
                catalogue_uuid: u1(),
                scope: CardScope::Category(u2()),
                flash_uuid: Some(u2()),
                flash_status: "ok".to_owned(),
            }),
            wire(
                "catalogue_card_refresh",
                &format!(
                    r#"{{"catalogue_uuid":"{U1}","scope":"{U2}","flash_uuid":"{U2}","flash_status":"ok"}}"#
                ),
            ),
        ),
        (
            CatalogueEvent::CatalogueCardRefresh(CardRefreshPayload {
                catalogue_uuid: u1(),
                scope: CardScope::Uncategorized,
                flash_uuid: None,
                flash_status: "error".to_owned(),
            }),
            wire(
                "catalogue_card_refresh",
                &format!(
                    r#"{{"catalogue_uuid":"{U1}","scope":"uncategorized","flash_uuid":null,"flash_status":"error"}}"#
                ),
            ),
        ),
        (
            CatalogueEvent::CatalogueCategoryReorder(CategoryReorderPayload {
                catalogue_uuid: u1(),
                moved_id: Some(u2()),
                status: "ok".to_owned(),
            }),
            wire(
                "catalogue_category_reorder",
                &format!(r#"{{"catalogue_uuid":"{U1}","moved_id":"{U2}","status":"ok"}}"#),
            ),
        ),
        (
            CatalogueEvent::CatalogueCategoryReorder(CategoryReorderPayload {
                catalogue_uuid: u1(),
                moved_id: None,
                status: "error".to_owned(),
            }),
            wire(
                "catalogue_category_reorder",
                &format!(r#"{{"catalogue_uuid":"{U1}","moved_id":null,"status":"error"}}"#),
            ),
        ),
    ];
    for (dir, text) in [(SortDir::Asc, "asc"), (SortDir::Desc, "desc")] {
        all.push((
            CatalogueEvent::CatalogueViewSortChanged(ViewSortChangedPayload {
                scope: "detail_items".to_owned(),
                sort_by: "name".to_owned(),
                sort_dir: dir,
            }),
            wire(
                "catalogue_view_sort_changed",
                &format!(r#"{{"scope":"detail_items","sort_by":"name","sort_dir":"{text}"}}"#),
            ),
        ));
    }
    for (kind, text) in [
        (BulkKind::Trashed, "trashed"),
        (BulkKind::Restored, "restored"),
        (BulkKind::Moved, "moved"),
        (BulkKind::PermanentDelete, "permanent_delete"),
    ] {
        all.push((
            CatalogueEvent::CatalogueBulkChange(BulkChangePayload {
                catalogue_uuid: u1(),
                kind,
                uuids: vec![u1(), u2()],
            }),
            wire(
                "catalogue_bulk_change",
                &format!(r#"{{"catalogue_uuid":"{U1}","kind":"{text}","uuids":["{U1}","{U2}"]}}"#),
            ),
        ));
    }
    all
}

pub(crate) fn golden() -> Vec<(CatalogueEvent, String)> {
    let mut all = golden_data_changed();
    all.extend(golden_screen_events());
    all
}

#[test]
fn golden_list_covers_all_five_events_and_all_twelve_kinds() {
    let mut names: Vec<&str> = golden().iter().map(|(e, _)| e.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 5);
    assert_eq!(DataKind::ALL.to_vec(), KINDS.map(|(k, _)| k).to_vec());
    for (kind, text) in KINDS {
        assert_eq!(kind.as_str(), text);
        assert_eq!(kind.to_string(), text);
    }
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
        let decoded: CatalogueEvent = serde_json::from_str(&json).expect("decode");
        assert_eq!(decoded, event);
    }
}

#[test]
fn every_event_name_equals_its_serde_tag_and_the_domain_is_catalogue() {
    assert_eq!(CatalogueEvent::DOMAIN, "catalogue");
    for (event, _) in golden() {
        let value = serde_json::to_value(&event).expect("encode");
        assert_eq!(value["event"], event.name(), "{event:?}");
    }
}

#[test]
fn unknown_fields_are_ignored_and_absent_optional_uuids_decode_as_none() {
    let json =
        r#"{"event":"catalogue_data_changed","payload":{"kind":"links","by":"sync"},"node":"n1"}"#;
    let decoded: CatalogueEvent = serde_json::from_str(json).expect("decode");
    assert_eq!(
        decoded,
        CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
            kind: DataKind::Links,
            uuid: None,
            parent_catalogue_uuid: None,
        })
    );
}

#[test]
fn an_unknown_event_name_is_an_error_that_names_it() {
    let json = r#"{"event":"catalogue_exploded","payload":{}}"#;
    let error = serde_json::from_str::<CatalogueEvent>(json).expect_err("unknown event");
    assert!(error.to_string().contains("catalogue_exploded"), "{error}");
}

#[test]
fn an_unknown_kind_is_an_error_that_names_it() {
    let json = r#"{"event":"catalogue_data_changed","payload":{"kind":"widget"}}"#;
    let error = serde_json::from_str::<CatalogueEvent>(json).expect_err("unknown kind");
    assert!(error.to_string().contains("widget"), "{error}");
}

#[test]
fn a_card_scope_that_is_neither_a_uuid_nor_uncategorized_is_an_error_that_names_it() {
    let json = format!(
        r#"{{"event":"catalogue_card_refresh","payload":{{"catalogue_uuid":"{U1}","scope":"sideways","flash_uuid":null,"flash_status":"ok"}}}}"#
    );
    let error = serde_json::from_str::<CatalogueEvent>(&json).expect_err("bad scope");
    assert!(error.to_string().contains("sideways"), "{error}");
}

#[test]
fn a_sort_direction_other_than_asc_or_desc_is_an_error() {
    let json = r#"{"event":"catalogue_view_sort_changed","payload":{"scope":"s","sort_by":"name","sort_dir":"up"}}"#;
    let error = serde_json::from_str::<CatalogueEvent>(json).expect_err("bad direction");
    assert!(error.to_string().contains("up"), "{error}");
}

#[tokio::test]
async fn an_event_from_the_wire_reaches_a_typed_subscriber_decoded() {
    let broker = MemoryBroker::new();
    let mut screen = catalogue_events::subscribe(&broker)
        .await
        .expect("subscribe");
    for (event, json) in golden() {
        broker.publish_now(
            topic().topic(),
            &Message::from_json("catalogue", event.name(), json),
        );
        match screen.try_recv() {
            Ok(Delivery::Message(received)) => assert_eq!(*received, event),
            other => panic!("expected {event:?}, got {other:?}"),
        }
    }
}
