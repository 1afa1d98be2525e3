//! The best-effort broadcast functions: the fan-out rule plus one publish through the core's
//! typed [`pubsub_core::broadcast_event`] (or [`broadcast_event_from`], which skips the sending
//! screen's own subscription).
//!
//! Call them after the write succeeded. They never fail or panic in the caller: a failed publish
//! is logged with `tracing` (topic, domain, event, error) and counted, and the returned
//! [`BroadcastReport`] says whether it went out. Ignoring it is fine.

use pubsub_core::{BroadcastReport, Broker, SubscriptionId, broadcast_event, broadcast_event_from};
use uuid::Uuid;

use crate::events::{
    BulkChangePayload, CardRefreshPayload, CatalogueEvent, CategoryReorderPayload,
    DataChangedPayload, DataKind, ViewSortChangedPayload,
};
use crate::rules::topics_for;

/// Sends `catalogue_data_changed` after every successful write, to every catalogue screen.
///
/// `uuid` is the changed record (`None` for a change tied to no record, such as a bulk link
/// sync); `parent_catalogue_uuid` the catalogue containing it (the uuid itself for
/// [`DataKind::Catalogue`], `None` for global resources: manufacturers, suppliers, links).
///
/// ```
/// use catalogue_events::{DataKind, broadcast};
/// use uuid::Uuid;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut screen = catalogue_events::subscribe(&broker).await?;
///
/// // In the context function, after the item's update committed:
/// let (item, catalogue) = (Uuid::new_v4(), Uuid::new_v4());
/// broadcast(&broker, DataKind::Item, Some(item), Some(catalogue)).await;
/// // After a bulk link sync, tied to no record and no catalogue:
/// broadcast(&broker, DataKind::Links, None, None).await;
///
/// assert!(screen.try_recv().is_ok() && screen.try_recv().is_ok());
/// # Ok(()) }
/// ```
pub async fn broadcast<B: Broker + ?Sized>(
    broker: &B,
    kind: DataKind,
    uuid: Option<Uuid>,
    parent_catalogue_uuid: Option<Uuid>,
) -> BroadcastReport {
    let event = CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
        kind,
        uuid,
        parent_catalogue_uuid,
    });
    send(broker, event, None).await
}

/// Sends `catalogue_card_refresh` from a screen: other detail pages re-fetch one card's items.
///
/// `from` is the sending screen's subscription: it does not receive its own event (it already
/// updated locally). `None` sends to every screen.
///
/// ```
/// use catalogue_events::{CardRefreshPayload, CardScope, broadcast_card_refresh};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut this_tab = catalogue_events::subscribe(&broker).await?;
/// let mut other_tab = catalogue_events::subscribe(&broker).await?;
///
/// let payload = CardRefreshPayload {
///     catalogue_uuid: uuid::Uuid::new_v4(),
///     scope: CardScope::Uncategorized,
///     flash_uuid: None,
///     flash_status: "ok".to_owned(),
/// };
/// broadcast_card_refresh(&broker, payload, Some(this_tab.id())).await;
/// assert!(other_tab.try_recv().is_ok());
/// assert!(this_tab.try_recv().is_err()); // skipped its own event
/// # Ok(()) }
/// ```
pub async fn broadcast_card_refresh<B: Broker + ?Sized>(
    broker: &B,
    payload: CardRefreshPayload,
    from: Option<SubscriptionId>,
) -> BroadcastReport {
    send(broker, CatalogueEvent::CatalogueCardRefresh(payload), from).await
}

/// Sends `catalogue_view_sort_changed` from a screen: other screens apply the shared sort.
/// `from`'s subscription does not receive it.
///
/// ```
/// use catalogue_events::{SortDir, ViewSortChangedPayload, broadcast_view_sort_changed};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut this_tab = catalogue_events::subscribe(&broker).await?;
/// let payload = ViewSortChangedPayload {
///     scope: "detail_items".to_owned(),
///     sort_by: "name".to_owned(),
///     sort_dir: SortDir::Desc,
/// };
/// let report = broadcast_view_sort_changed(&broker, payload, Some(this_tab.id())).await;
/// assert!(report.is_complete());
/// assert!(this_tab.try_recv().is_err());
/// # Ok(()) }
/// ```
pub async fn broadcast_view_sort_changed<B: Broker + ?Sized>(
    broker: &B,
    payload: ViewSortChangedPayload,
    from: Option<SubscriptionId>,
) -> BroadcastReport {
    send(
        broker,
        CatalogueEvent::CatalogueViewSortChanged(payload),
        from,
    )
    .await
}

/// Sends `catalogue_category_reorder` from a screen: other detail pages reload the categories.
/// `from`'s subscription does not receive it.
///
/// ```
/// use catalogue_events::{CategoryReorderPayload, broadcast_category_reorder};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut other_tab = catalogue_events::subscribe(&broker).await?;
/// let payload = CategoryReorderPayload {
///     catalogue_uuid: uuid::Uuid::new_v4(),
///     moved_id: Some(uuid::Uuid::new_v4()),
///     status: "ok".to_owned(),
/// };
/// broadcast_category_reorder(&broker, payload, None).await;
/// assert!(other_tab.try_recv().is_ok());
/// # Ok(()) }
/// ```
pub async fn broadcast_category_reorder<B: Broker + ?Sized>(
    broker: &B,
    payload: CategoryReorderPayload,
    from: Option<SubscriptionId>,
) -> BroadcastReport {
    send(
        broker,
        CatalogueEvent::CatalogueCategoryReorder(payload),
        from,
    )
    .await
}

/// Sends `catalogue_bulk_change` from a screen: other detail pages animate the items leaving or
/// arriving. `from`'s subscription does not receive it.
///
/// ```
/// use catalogue_events::{BulkChangePayload, BulkKind, broadcast_bulk_change};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let this_tab = catalogue_events::subscribe(&broker).await?;
/// let payload = BulkChangePayload {
///     catalogue_uuid: uuid::Uuid::new_v4(),
///     kind: BulkKind::Moved,
///     uuids: vec![uuid::Uuid::new_v4()],
/// };
/// let report = broadcast_bulk_change(&broker, payload, Some(this_tab.id())).await;
/// assert_eq!((report.topics, report.failed), (1, 0));
/// # Ok(()) }
/// ```
pub async fn broadcast_bulk_change<B: Broker + ?Sized>(
    broker: &B,
    payload: BulkChangePayload,
    from: Option<SubscriptionId>,
) -> BroadcastReport {
    send(broker, CatalogueEvent::CatalogueBulkChange(payload), from).await
}

/// The event to the rule's typed topics, skipping `from`, through the core's best-effort fan-out.
async fn send<B: Broker + ?Sized>(
    broker: &B,
    event: CatalogueEvent,
    from: Option<SubscriptionId>,
) -> BroadcastReport {
    let topics = topics_for(&event);
    match from {
        Some(origin) => broadcast_event_from(broker, origin, &topics, event).await,
        None => broadcast_event(broker, &topics, event).await,
    }
}
