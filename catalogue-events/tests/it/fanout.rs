//! Every event reaches the one catalogue topic and nothing else; the screen events skip the
//! screen that sent them and reach every other screen.

use catalogue_events::{
    CatalogueEvent, DataKind, broadcast, broadcast_bulk_change, broadcast_card_refresh,
    broadcast_category_reorder, broadcast_view_sort_changed, subscribe,
};
use pubsub_core::{
    BroadcastReport, Delivery, MemoryBroker, Subscription, SubscriptionId, Topic, TryRecvError,
    TypedSubscription,
};
use uuid::Uuid;

/// Two catalogue screens and subscribers of near-miss topics that must never receive anything.
struct Screens {
    sender: TypedSubscription<CatalogueEvent>,
    other: TypedSubscription<CatalogueEvent>,
    near_misses: Vec<Subscription>,
}

impl Screens {
    async fn new(broker: &MemoryBroker) -> Self {
        let near_misses = [
            "phoenix_kit_catalogue:org:acme",
            "catalogue",
            "phoenix_kit_catalogue_v2",
            "crm:lists",
        ]
        .iter()
        .map(|name| broker.subscribe_now(&Topic::new(name).expect("valid topic")))
        .collect();
        Screens {
            sender: subscribe(broker).await.expect("subscribe"),
            other: subscribe(broker).await.expect("subscribe"),
            near_misses,
        }
    }

    fn assert_near_misses_received_nothing(&mut self) {
        for sub in &mut self.near_misses {
            assert_eq!(sub.try_recv().err(), Some(TryRecvError::Empty), "{sub:?}");
        }
    }
}

/// The one event `sub` holds, or `None`; fails on a second event or a notice.
fn only_event(sub: &mut TypedSubscription<CatalogueEvent>) -> Option<CatalogueEvent> {
    let event = match sub.try_recv() {
        Ok(Delivery::Message(event)) => Some((*event).clone()),
        Ok(other) => panic!("unexpected notice {other:?}"),
        Err(_) => None,
    };
    assert!(sub.try_recv().is_err(), "exactly one event expected");
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
    let mut screens = Screens::new(&broker).await;
    for kind in DataKind::ALL {
        let (uuid, parent) = (Some(Uuid::new_v4()), Some(Uuid::new_v4()));
        let report = broadcast(&broker, kind, uuid, parent).await;
        assert_eq!((report.topics, report.failed), (1, 0));
        let expected = CatalogueEvent::CatalogueDataChanged(catalogue_events::DataChangedPayload {
            kind,
            uuid,
            parent_catalogue_uuid: parent,
        });
        assert_eq!(only_event(&mut screens.sender), Some(expected.clone()));
        assert_eq!(only_event(&mut screens.other), Some(expected));
        screens.assert_near_misses_received_nothing();
    }
}

#[tokio::test]
async fn a_bulk_link_sync_is_sent_with_no_uuid_and_no_parent() {
    let broker = MemoryBroker::new();
    let mut screens = Screens::new(&broker).await;
    broadcast(&broker, DataKind::Links, None, None).await;
    match only_event(&mut screens.other) {
        Some(CatalogueEvent::CatalogueDataChanged(p)) => {
            assert_eq!(
                (p.kind, p.uuid, p.parent_catalogue_uuid),
                (DataKind::Links, None, None)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn every_screen_event_skips_its_sender_and_reaches_the_other_screen() {
    let broker = MemoryBroker::new();
    let mut screens = Screens::new(&broker).await;
    for event in screen_events() {
        let from = Some(screens.sender.id());
        let report = broadcast_screen_event(&broker, event.clone(), from).await;
        assert_eq!((report.topics, report.failed), (1, 0));
        assert_eq!(
            only_event(&mut screens.sender),
            None,
            "sender skipped {event:?}"
        );
        assert_eq!(only_event(&mut screens.other), Some(event));
        screens.assert_near_misses_received_nothing();
    }
}

#[tokio::test]
async fn a_screen_event_without_a_sender_reaches_every_screen() {
    let broker = MemoryBroker::new();
    let mut screens = Screens::new(&broker).await;
    for event in screen_events() {
        broadcast_screen_event(&broker, event.clone(), None).await;
        assert_eq!(only_event(&mut screens.sender), Some(event.clone()));
        assert_eq!(only_event(&mut screens.other), Some(event));
        screens.assert_near_misses_received_nothing();
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
