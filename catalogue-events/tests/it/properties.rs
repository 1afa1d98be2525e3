//! Properties over any payload: one topic, lossless JSON, and the sender always skipped.

use catalogue_events::{
    BulkChangePayload, BulkKind, CardRefreshPayload, CardScope, CatalogueEvent, DataChangedPayload,
    DataKind, TOPIC, concerns_catalogue, topics_for,
};
use proptest::prelude::*;
use uuid::Uuid;

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn kind() -> impl Strategy<Value = DataKind> {
    proptest::sample::select(DataKind::ALL.to_vec())
}

fn data_changed() -> impl Strategy<Value = DataChangedPayload> {
    (
        kind(),
        proptest::option::of(uuid()),
        proptest::option::of(uuid()),
    )
        .prop_map(|(kind, uuid, parent_catalogue_uuid)| DataChangedPayload {
            kind,
            uuid,
            parent_catalogue_uuid,
        })
}

fn scope() -> impl Strategy<Value = CardScope> {
    prop_oneof![
        Just(CardScope::Uncategorized),
        uuid().prop_map(CardScope::Category)
    ]
}

fn event() -> impl Strategy<Value = CatalogueEvent> {
    prop_oneof![
        data_changed().prop_map(CatalogueEvent::CatalogueDataChanged),
        (uuid(), scope(), proptest::option::of(uuid()), "[a-z]{1,8}").prop_map(
            |(catalogue_uuid, scope, flash_uuid, flash_status)| {
                CatalogueEvent::CatalogueCardRefresh(CardRefreshPayload {
                    catalogue_uuid,
                    scope,
                    flash_uuid,
                    flash_status,
                })
            }
        ),
        (
            uuid(),
            proptest::sample::select(vec![
                BulkKind::Trashed,
                BulkKind::Restored,
                BulkKind::Moved,
                BulkKind::PermanentDelete
            ]),
            proptest::collection::vec(uuid(), 0..5)
        )
            .prop_map(|(catalogue_uuid, kind, uuids)| {
                CatalogueEvent::CatalogueBulkChange(BulkChangePayload {
                    catalogue_uuid,
                    kind,
                    uuids,
                })
            }),
    ]
}

proptest! {
    #[test]
    fn every_event_goes_to_exactly_the_one_topic(event in event()) {
        prop_assert_eq!(topics_for(&event), vec![TOPIC]);
    }

    #[test]
    fn every_event_survives_a_json_round_trip(event in event()) {
        let json = serde_json::to_string(&event).expect("encode");
        let back: CatalogueEvent = serde_json::from_str(&json).expect("decode");
        prop_assert_eq!(back, event);
    }

    #[test]
    fn the_uuid_field_is_present_in_json_iff_given(payload in data_changed()) {
        let value = serde_json::to_value(CatalogueEvent::CatalogueDataChanged(payload)).expect("encode");
        prop_assert_eq!(value["payload"]["uuid"].is_string(), payload.uuid.is_some());
        prop_assert_eq!(value["payload"]["kind"].as_str(), Some(payload.kind.as_str()));
    }

    #[test]
    fn a_data_change_concerns_a_catalogue_iff_it_has_no_parent_or_that_parent(
        payload in data_changed(),
        catalogue in uuid(),
    ) {
        let expected = payload.parent_catalogue_uuid.is_none_or(|p| p == catalogue);
        prop_assert_eq!(
            concerns_catalogue(&CatalogueEvent::CatalogueDataChanged(payload), catalogue),
            expected
        );
        if let Some(parent) = payload.parent_catalogue_uuid {
            prop_assert!(concerns_catalogue(&CatalogueEvent::CatalogueDataChanged(payload), parent));
        }
    }
}
