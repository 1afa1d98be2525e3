//! Live refresh of catalogue screens (`PhoenixKitCatalogue.Catalogue.PubSub`): one shared topic,
//! `catalogue_data_changed` events by kind, and screen events that skip the screen that sent them.
//!
//! Every successful write in the catalogue context broadcasts a small
//! `catalogue_data_changed` event (a [`DataKind`], the record's uuid, the containing catalogue's
//! uuid) to one topic. List and detail screens subscribe once and re-fetch the affected slice on
//! any event, so two admins editing the same data converge. Payloads carry identifiers only,
//! never record data.
//!
//! # Topic
//!
//! | topic | function | events | broadcast by |
//! |---|---|---|---|
//! | `phoenix_kit_catalogue` | [`topic`] | `catalogue_data_changed` | [`broadcast`] |
//! | | | `catalogue_card_refresh` | [`broadcast_card_refresh`] |
//! | | | `catalogue_view_sort_changed` | [`broadcast_view_sort_changed`] |
//! | | | `catalogue_category_reorder` | [`broadcast_category_reorder`] |
//! | | | `catalogue_bulk_change` | [`broadcast_bulk_change`] |
//!
//! Every event is a [`CatalogueEvent`] with domain tag `catalogue`; its wire form is
//! `{"event": "catalogue_data_changed", "payload": {"kind": "item", "uuid": "…",
//! "parent_catalogue_uuid": "…"}}`. The kinds are `catalogue`, `category`, `item`, `folder`,
//! `manufacturer`, `supplier`, `smart_rule`, `links`, `pdf`, `item_supplier_info`,
//! `attribute_group` and `attribute_set`.
//!
//! # Tenants
//!
//! The topic is global: there is no tenant partition, and no uuid in the topic, so
//! `phoenix_kit_catalogue` reaches every subscriber of every tenant. (A topic keyed by a uuid is
//! safe against cross-tenant fan-out only because the uuid is needed to subscribe; the
//! all/list topics, like this one, reach every subscriber.) An application that needs isolation
//! wraps its broker in the core's tenant-scoping wrapper, [`Scoped`](pubsub_core::Scoped) (and
//! [`MultiTenant`](pubsub_core::MultiTenant) to refuse unscoped topics), which threads a tenant
//! key into every topic (`phoenix_kit_catalogue:org:<org_id>`); this crate's functions work
//! unchanged through it:
//!
//! ```
//! use catalogue_events::{DataKind, broadcast};
//! use pubsub_core::{MemoryBroker, MultiTenant, TenantKey};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let broker = MultiTenant::new(MemoryBroker::new());
//! let (acme, globex) = (broker.for_tenant(TenantKey::new("acme")?), broker.for_tenant(TenantKey::new("globex")?));
//! let mut acme_screen = catalogue_events::subscribe(&acme).await?;
//! let mut globex_screen = catalogue_events::subscribe(&globex).await?;
//!
//! broadcast(&acme, DataKind::Supplier, Some(uuid::Uuid::new_v4()), None).await;
//! assert!(acme_screen.try_recv().is_ok());
//! assert!(globex_screen.try_recv().is_err()); // another tenant: nothing
//! # Ok(()) }
//! ```
//!
//! # Design choices
//!
//! - **One function per upstream broadcast**: [`broadcast`] takes the [`DataKind`] enum, so an
//!   unknown kind does not compile; the four screen broadcasts take their payload struct.
//! - **The sender is not a field.** Upstream's screen events carry the sending process (`from`)
//!   so it can skip its own event. Here the screen passes its subscription's id as
//!   `from: Option<SubscriptionId>`, the message is published with that origin (the core's
//!   `publish_from`), and the broker never delivers it to that subscription: no handler needs a
//!   `from == self` check.
//! - **Filtering on receipt** is a pure function too: [`concerns_catalogue`] says whether an
//!   event concerns a given catalogue's detail screen ([`DataChangedPayload`]'s
//!   `parent_catalogue_uuid` exists for this).
//! - **Card scopes are typed**: [`CardScope`] is a category uuid or `uncategorized`, on the wire
//!   the uuid text or the string `"uncategorized"`.
//! - **Typed all the way**: [`topics_for`] returns `TypedTopic<CatalogueEvent>`s, and every
//!   broadcast function is built on the core's typed
//!   [`broadcast_event`](pubsub_core::broadcast_event) (or
//!   [`broadcast_event_from`](pubsub_core::broadcast_event_from) for the screen events), so the
//!   catalogue topic cannot carry another domain's event.
//! - **Best-effort**: no broadcast function fails or panics in the caller; each logs failures
//!   with `tracing` and returns a [`BroadcastReport`](pubsub_core::BroadcastReport).
//! - [`subscribe`] takes no topic (there is one), as upstream's `subscribe/0`.
//!
//! # A screen: subscribe before the initial load
//!
//! A catalogue's detail page subscribes first, then loads, then re-fetches on each event that
//! concerns its catalogue, and reloads everything after a lag or gap notice:
//!
//! ```
//! use catalogue_events::{CatalogueEvent, DataKind, concerns_catalogue};
//! use pubsub_core::{Delivery, MemoryBroker};
//! use uuid::Uuid;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::new();
//! let catalogue = Uuid::new_v4();
//!
//! // 1. Subscribe, then 2. load: no write can fall between the two.
//! let mut page = catalogue_events::subscribe(&broker).await?;
//! let mut refetches = 0;
//! # catalogue_events::broadcast(&broker, DataKind::Item, Some(Uuid::new_v4()), Some(catalogue)).await;
//! # catalogue_events::broadcast(&broker, DataKind::Item, Some(Uuid::new_v4()), Some(Uuid::new_v4())).await;
//! # drop(broker); // ends the loop below
//!
//! // 3. Loop.
//! while let Some(delivery) = page.recv().await {
//!     match delivery {
//!         Delivery::Message(event) if concerns_catalogue(&event, catalogue) => {
//!             if let CatalogueEvent::CatalogueDataChanged(change) = &*event {
//!                 let _kind = change.kind; // re-fetch that slice
//!             }
//!             refetches += 1;
//!         }
//!         Delivery::Message(_) => {} // another catalogue's noise
//!         Delivery::Lagged(_) | Delivery::Gap => refetches += 1, // reload everything
//!     }
//! }
//! assert_eq!(refetches, 1);
//! # Ok(()) }
//! ```
//!
//! # A context function: broadcast after commit
//!
//! ```
//! use catalogue_events::{DataKind, broadcast};
//! use pubsub_core::Broker;
//! use uuid::Uuid;
//!
//! /// Renames an item. The broadcast comes after the commit and cannot fail the save.
//! async fn rename_item(broker: &dyn Broker, item: Uuid, catalogue: Uuid, _name: &str) {
//!     // ... update the item in a transaction and commit ...
//!     broadcast(broker, DataKind::Item, Some(item), Some(catalogue)).await;
//! }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # let broker = pubsub_core::MemoryBroker::new();
//! # rename_item(&broker, Uuid::new_v4(), Uuid::new_v4(), "Oak door").await;
//! # }
//! ```

/// This crate's README examples, compiled and run as doc tests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod broadcast;
mod events;
mod history;
mod rules;
mod topics;

pub use broadcast::{
    broadcast, broadcast_bulk_change, broadcast_card_refresh, broadcast_category_reorder,
    broadcast_view_sort_changed,
};
pub use events::{
    BulkChangePayload, BulkKind, CardRefreshPayload, CardScope, CatalogueEvent,
    CategoryReorderPayload, DataChangedPayload, DataKind, ParseCardScopeError, SortDir,
    ViewSortChangedPayload,
};
pub use history::suggested_history;
pub use rules::{concerns_catalogue, topics_for};
pub use topics::{TOPIC, subscribe, topic, unsubscribe};
