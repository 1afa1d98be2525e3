//! Every event reaches the one catalogue topic and nothing else; the screen events skip the
//! screen that sent them and reach every other screen.

use catalogue_events::{
    CatalogueEvent, DataKind, broadcast, broadcast_bulk_change, broadcast_card_refresh,
    broadcast_category_reorder, broadcast_view_sort_changed, subscribe,
};
use pubsub_core::testing::Screens;
use pubsub_core::{
    BroadcastReport, Delivery, MemoryBroker, SubscriptionId, Topic, TryRecvError,
    TypedSubscription, TypedTopic,
};
use uuid::Uuid;

/// Topics next to the catalogue topic that must never receive anything.
const NEAR_MISSES: [&str; 4] = [
    "phoenix_kit_catalogue:org:acme",
    "catalogue",
    "phoenix_kit_catalogue_v2",
    "crm:lists",
];

/// The sending catalogue screen, kept apart so that its id can be given as the origin, and the
/// screens of everyone else: the other catalogue screen, labelled `other`, and the near misses.
async fn setup(
    broker: &MemoryBroker,
) -> (TypedSubscription<CatalogueEvent>, Screens<CatalogueEvent>) {
    let near_misses =
        NEAR_MISSES.map(|name| TypedTopic::new(Topic::new(name).expect("valid topic")));
    let catalogue = catalogue_events::topic();
    let watched =
        std::iter::once(("other", &catalogue)).chain(NEAR_MISSES.into_iter().zip(&near_misses));
    let screens = Screens::watch(broker, watched).await.expect("subscribe");
    (subscribe(broker).await.expect("subscribe"), screens)
}

/// The one event `sub` holds, or `None`; fails on a second event or a notice.
fn only_event(sub: &mut TypedSubscription<CatalogueEvent>) -> Option<CatalogueEvent> {
    let event = match sub.try_recv() {
        Ok(Delivery::Message(event)) => Some((*event).clone()),
        Ok(other) => panic!("unexpected notice {other:?}"),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Closed) => panic!("subscription closed"),
    };
    assert_eq!(
        sub.try_recv().err(),
        Some(TryRecvError::Empty),
        "exactly one event expected"
    );
    event
}

/// Sends a screen event through its broadcast function.
async fn broadcast_screen_event(
    broker: &MemoryBroker,
    event: CatalogueEvent,
    from: Option<SubscriptionId>,
) -> BroadcastReport {
    match event {
        CatalogueEvent::CatalogueCardRefresh(p) => broadcast_card_refresh(broker, p, from).await,
        CatalogueEvent::CatalogueViewSortChanged(p) => {
            broadcast_view_sort_changed(broker, p, from).await
        }
        CatalogueEvent::CatalogueCategoryReorder(p) => {
            broadcast_category_reorder(broker, p, from).await
        }
        CatalogueEvent::CatalogueBulkChange(p) => broadcast_bulk_change(broker, p, from).await,
        CatalogueEvent::CatalogueDataChanged(_) => panic!("not a screen event"),
    }
}

fn screen_events() -> Vec<CatalogueEvent> {
    crate::wire::golden()
        .into_iter()
        .map(|(event, _)| event)
        .filter(|event| !matches!(event, CatalogueEvent::CatalogueDataChanged(_)))
        .collect()
}

#[tokio::test]
async fn data_changed_of_every_kind_reaches_every_catalogue_screen_and_nothing_else() {
    let broker = MemoryBroker::new();
    let (mut sender, mut screens) = setup(&broker).await;
    for kind in DataKind::ALL {
        let (uuid, parent) = (Some(Uuid::new_v4()), Some(Uuid::new_v4()));
        let report = broadcast(&broker, kind, uuid, parent).await;
        assert_eq!((report.topics, report.failed), (1, 0));
        let expected = CatalogueEvent::CatalogueDataChanged(catalogue_events::DataChangedPayload {
            kind,
            uuid,
            parent_catalogue_uuid: parent,
        });
        assert_eq!(only_event(&mut sender), Some(expected.clone()));
        screens.assert_only(&expected, &["other"]);
    }
}

#[tokio::test]
async fn a_bulk_link_sync_is_sent_with_no_uuid_and_no_parent() {
    let broker = MemoryBroker::new();
    let (_sender, mut screens) = setup(&broker).await;
    broadcast(&broker, DataKind::Links, None, None).await;
    let expected = CatalogueEvent::CatalogueDataChanged(catalogue_events::DataChangedPayload {
        kind: DataKind::Links,
        uuid: None,
        parent_catalogue_uuid: None,
    });
    screens.assert_only(&expected, &["other"]);
}

#[tokio::test]
async fn every_screen_event_skips_its_sender_and_reaches_the_other_screen() {
    let broker = MemoryBroker::new();
    let (mut sender, mut screens) = setup(&broker).await;
    for event in screen_events() {
        let from = Some(sender.id());
        let report = broadcast_screen_event(&broker, event.clone(), from).await;
        assert_eq!((report.topics, report.failed), (1, 0));
        assert_eq!(only_event(&mut sender), None, "sender skipped {event:?}");
        screens.assert_only(&event, &["other"]);
    }
}

#[tokio::test]
async fn a_screen_event_without_a_sender_reaches_every_screen() {
    let broker = MemoryBroker::new();
    let (mut sender, mut screens) = setup(&broker).await;
    for event in screen_events() {
        broadcast_screen_event(&broker, event.clone(), None).await;
        assert_eq!(only_event(&mut sender), Some(event.clone()));
        screens.assert_only(&event, &["other"]);
    }
}

#[test]
fn topics_for_every_event_is_the_one_catalogue_topic() {
    for (event, _) in crate::wire::golden() {
        assert_eq!(
            catalogue_events::topics_for(&event),
            [catalogue_events::TOPIC]
        );
    }
}
