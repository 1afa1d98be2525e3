//! Live refresh of CRM screens (`PhoenixKitCRM.PubSub`): a contact's Interactions tab, a company's
//! interaction feed and roster, and the mailing lists.
//!
//! An interaction appears in the feed of every contact it *involves*: its subject contact and
//! every resolved party contact ([`involved_contact_uuids`]). When it is created, edited or
//! deleted, each of those feeds, and the feed of the company it is anchored to, is told, and
//! re-fetches it. Events carry identifiers only, never record data.
//!
//! # Topics
//!
//! | topic | function | events | broadcast by |
//! |---|---|---|---|
//! | `crm:contact:<uuid>:interactions` | [`topic_contact_interactions`] | `interaction_created`, `interaction_updated`, `interaction_deleted`, `company_visibility_changed` | [`broadcast_interaction`], [`broadcast_interaction_to`], [`broadcast_interaction_update`], [`broadcast_company_visibility`] |
//! | `crm:company:<uuid>:interactions` | [`topic_company_interactions`] | `interaction_*` of interactions anchored to the company | [`broadcast_interaction`], [`broadcast_interaction_update`] |
//! | `crm:company:<uuid>` | [`topic_company`] | `member_joined`, `member_left`, `member_changed` | [`broadcast_company_event`] |
//! | `crm:lists` | [`topic_lists`] | `list_created`, `list_updated`, `list_archived`, `list_unarchived`, `list_recounted`, `member_added`, `member_removed`, `list_locale_applied`, `contact_opt_out`, `contact_opt_in` | [`broadcast_list_event`] |
//!
//! Every event is a [`CrmEvent`] with domain tag `crm`; its wire form is
//! `{"event": "interaction_created", "payload": {"interaction_uuid": "…"}}`.
//!
//! # Tenants
//!
//! Topics are global: there is no tenant partition. A topic keyed by a UUID
//! (`crm:contact:<uuid>:interactions`, `crm:company:<uuid>`) is safe against cross-tenant
//! fan-out only because the UUID is needed to subscribe; `crm:lists` reaches every subscriber,
//! of every tenant. An application that needs isolation wraps its broker in the core's
//! tenant-scoping wrapper, [`Scoped`](pubsub_core::Scoped) (and
//! [`MultiTenant`](pubsub_core::MultiTenant) to refuse unscoped topics), which threads a tenant
//! key into every topic (`crm:org:<org_id>:lists`); this crate's functions work unchanged
//! through it:
//!
//! ```
//! use crm_events::{ListChange, ListPayload, broadcast_list_event, topic_lists};
//! use pubsub_core::{MemoryBroker, MultiTenant, TenantKey};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let broker = MultiTenant::new(MemoryBroker::new());
//! let (acme, globex) = (broker.for_tenant(TenantKey::new("acme")?), broker.for_tenant(TenantKey::new("globex")?));
//! let mut acme_lists = crm_events::subscribe(&acme, &topic_lists()).await?;
//! let mut globex_lists = crm_events::subscribe(&globex, &topic_lists()).await?;
//!
//! let list = ListPayload { list_uuid: uuid::Uuid::new_v4(), subscriber_count: 0, status: "active".into() };
//! broadcast_list_event(&acme, ListChange::Created, list).await;
//! assert!(acme_lists.try_recv().is_ok());
//! assert!(globex_lists.try_recv().is_err()); // another tenant: nothing
//! # Ok(()) }
//! ```
//!
//! # Design choices
//!
//! - **The interaction is modelled explicitly** ([`Interaction`], [`Parties`], [`Party`]): parties
//!   that were not loaded are [`Parties::NotLoaded`], never an empty list, and count as "no party
//!   contacts", so the rule cannot fail and cannot confuse the two.
//! - **Each broadcast function accepts only its own events**, through a small kind enum
//!   ([`InteractionChange`], [`CompanyMemberChange`]) mapped into the flat [`CrmEvent`] that
//!   subscribers match on. The list events have four payload shapes, so
//!   [`broadcast_list_event`] takes a kind and the payload of that kind ([`ListEventKind`]: a
//!   [`ListChange`] with a [`ListPayload`], a [`ContactOptChange`] with a
//!   [`ContactOptPayload`], ...); a mismatched pair does not compile.
//! - **Sets of UUIDs accept `Option`s**: `broadcast_company_event`, `broadcast_company_visibility`
//!   and `broadcast_interaction_to` take anything iterable over `Uuid` or `Option<Uuid>`, drop the
//!   `None`s (Elixir's `nil`) and de-duplicate, keeping first-seen order.
//! - **Updates reach the old and the new audience**: [`broadcast_interaction_update`] takes the
//!   interaction before and after the edit, so a contact removed by the edit still gets the
//!   refresh that removes the entry.
//! - **Rules are pure functions** ([`topics_for_interaction`], ...) returning typed topics,
//!   `Vec<TypedTopic<CrmEvent>>`. CRM payloads do not carry their audience, so [`topics_for`]
//!   tells which rule routes any event ([`EventTopics`]).
//! - **Typed all the way**: topics, rules, broadcasts and subscriptions all carry [`CrmEvent`]
//!   (see below), so a CRM topic cannot be mixed up with another domain's event type.
//! - **Best-effort**: every broadcast function is built on the core's typed
//!   [`broadcast_event`](pubsub_core::broadcast_event); it never fails or panics in the caller,
//!   logs failures with `tracing` and returns a
//!   [`BroadcastReport`](pubsub_core::BroadcastReport).
//!
//! # Typed all the way
//!
//! A rule's topics are `TypedTopic<CrmEvent>`: a screen can hold all of them in one
//! subscription, and the subscription yields [`CrmEvent`]s.
//!
//! ```
//! use crm_events::{CrmEvent, Interaction, InteractionChange, broadcast_interaction, topics_for_interaction};
//! use pubsub_core::{BrokerExt, MemoryBroker, TypedSubscription};
//! use uuid::Uuid;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::new();
//! let call = Interaction::new(Uuid::new_v4()).with_contact(Uuid::new_v4()).with_company(Uuid::new_v4());
//! let topics = topics_for_interaction(&call);
//! let mut audience: TypedSubscription<CrmEvent> =
//!     broker.subscribe_events_all(&topics[0], &topics[1..]).await?;
//! broadcast_interaction(&broker, InteractionChange::Created, &call).await;
//! assert!(audience.try_recv().is_ok()); // one subscription: the event once per topic
//! assert!(audience.try_recv().is_ok());
//! # Ok(()) }
//! ```
//!
//! Another domain's events cannot travel on them. Given a second event type (here a stand-in
//! for any other domain's enum), a CRM rule's topic does not fit a subscription of that type:
//!
//! ```compile_fail,E0308
//! # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Billed;
//! # impl pubsub_core::Event for Billed { const DOMAIN: &'static str = "billing"; fn name(&self) -> &'static str { "billed" } }
//! use pubsub_core::{BrokerExt, MemoryBroker, Topic, TypedSubscription, TypedTopic};
//!
//! # async fn run() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::new();
//! let invoices = TypedTopic::<Billed>::new(Topic::new("billing:invoices")?);
//! let mut billing: TypedSubscription<Billed> = broker.subscribe_events(&invoices).await?;
//! let lists = crm_events::topics_for_list_event();
//! broker.add_event_topic(&mut billing, &lists[0]).await?; // TypedTopic<CrmEvent>, not <Billed>
//! # Ok(()) }
//! ```
//!
//! and a broadcast of that type's event to CRM topics does not compile either:
//!
//! ```compile_fail,E0308
//! # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Billed;
//! # impl pubsub_core::Event for Billed { const DOMAIN: &'static str = "billing"; fn name(&self) -> &'static str { "billed" } }
//! use pubsub_core::{MemoryBroker, broadcast_event};
//!
//! # async fn run() {
//! let broker = MemoryBroker::new();
//! let lists = crm_events::topics_for_list_event();
//! broadcast_event(&broker, &lists, Billed).await; // the topics carry CrmEvent, the event is Billed
//! # }
//! ```
//!
//! # A screen: subscribe before the initial load
//!
//! A contact's Interactions tab subscribes first, then loads, then reloads on every event, and on
//! a lag or gap notice (it may have missed some):
//!
//! ```
//! use crm_events::{CrmEvent, Interaction, InteractionChange, topic_contact_interactions};
//! use pubsub_core::{Delivery, MemoryBroker};
//! use uuid::Uuid;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::new();
//! let contact = Uuid::new_v4();
//!
//! // 1. Subscribe, then 2. load: no change can fall between the two.
//! let mut feed = crm_events::subscribe(&broker, &topic_contact_interactions(contact)).await?;
//! let mut reloads = 0;
//! # crm_events::broadcast_interaction(&broker, InteractionChange::Created,
//! #     &Interaction::new(Uuid::new_v4()).with_contact(contact)).await;
//! # drop(broker); // ends the loop below
//!
//! // 3. Loop: re-fetch what changed; reload everything after a lag or gap notice.
//! while let Some(delivery) = feed.recv().await {
//!     match delivery {
//!         Delivery::Message(event) => match &*event {
//!             CrmEvent::InteractionCreated(p)
//!             | CrmEvent::InteractionUpdated(p)
//!             | CrmEvent::InteractionDeleted(p) => {
//!                 let _refetch = p.interaction_uuid;
//!                 reloads += 1;
//!             }
//!             _ => reloads += 1,
//!         },
//!         Delivery::Lagged(_) | Delivery::Gap => reloads += 1, // reload the whole feed
//!     }
//! }
//! assert_eq!(reloads, 1);
//! # Ok(()) }
//! ```
//!
//! # A context function: broadcast after commit
//!
//! ```
//! use crm_events::{Interaction, InteractionChange, Party, broadcast_interaction};
//! use pubsub_core::Broker;
//! use uuid::Uuid;
//!
//! /// Logs a call. The broadcast comes after the commit and cannot fail the save.
//! async fn log_call(broker: &dyn Broker, subject: Uuid, guests: &[Uuid]) -> Uuid {
//!     let call = Interaction::new(Uuid::new_v4())
//!         .with_contact(subject)
//!         .with_parties(guests.iter().copied().map(Party::contact));
//!     // ... insert `call` in a transaction and commit ...
//!     broadcast_interaction(broker, InteractionChange::Created, &call).await;
//!     call.uuid
//! }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # let broker = pubsub_core::MemoryBroker::new();
//! # log_call(&broker, Uuid::new_v4(), &[Uuid::new_v4()]).await;
//! # }
//! ```

/// This crate's README examples, compiled and run as doc tests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod broadcast;
mod events;
mod history;
mod interaction;
mod rules;
mod topics;

pub use broadcast::{
    broadcast_company_event, broadcast_company_visibility, broadcast_interaction,
    broadcast_interaction_to, broadcast_interaction_update, broadcast_list_event,
};
pub use events::{
    CompanyMemberChange, CompanyMemberPayload, CompanyVisibilityPayload, ContactOptChange,
    ContactOptPayload, CrmEvent, InteractionChange, InteractionPayload, ListChange, ListEventKind,
    ListLocaleChange, ListLocalePayload, ListMemberChange, ListMemberPayload, ListPayload,
};
pub use history::suggested_history;
pub use interaction::{Interaction, Parties, Party};
pub use rules::{
    EventTopics, involved_contact_uuids, topics_for, topics_for_company_event,
    topics_for_company_visibility, topics_for_interaction, topics_for_interaction_to,
    topics_for_interaction_update, topics_for_list_event,
};
pub use topics::{
    COMPANY, COMPANY_INTERACTIONS, CONTACT_INTERACTIONS, LISTS, subscribe, topic_company,
    topic_company_interactions, topic_contact_interactions, topic_lists, unsubscribe,
};
