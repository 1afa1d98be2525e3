//! Every public type is Send and Sync, and broadcast futures are Send (spawnable).

use catalogue_events::*;
use pubsub_core::{Broker, MemoryBroker};
use uuid::Uuid;

fn send_sync<T: Send + Sync>() {}

fn assert_send<F: std::future::Future + Send>(_: F) {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<CatalogueEvent>();
    send_sync::<DataChangedPayload>();
    send_sync::<CardRefreshPayload>();
    send_sync::<ViewSortChangedPayload>();
    send_sync::<CategoryReorderPayload>();
    send_sync::<BulkChangePayload>();
    send_sync::<DataKind>();
    send_sync::<SortDir>();
    send_sync::<BulkKind>();
    send_sync::<CardScope>();
    send_sync::<ParseCardScopeError>();
}

#[test]
fn broadcast_futures_are_send() {
    let broker = MemoryBroker::new();
    let dynamic: &dyn Broker = &broker;
    let id = Uuid::new_v4();
    assert_send(broadcast(dynamic, DataKind::Item, Some(id), None));
    let bulk = BulkChangePayload {
        catalogue_uuid: id,
        kind: BulkKind::Moved,
        uuids: vec![id],
    };
    assert_send(broadcast_bulk_change(dynamic, bulk, None));
    assert_send(subscribe(dynamic));
}
