//! Typed, fast publish/subscribe for live screens: topics, events, the [`Broker`] trait and an
//! in-memory broker on tokio.
//!
//! An application publishes a domain event (say, "interaction created") to the topics of the
//! screens that show it, and every screen subscribed to one of those topics receives it and
//! refreshes. This crate is the core: domain crates (`crm-events`, `projects-events`, ...) give the
//! topic names, events and fan-out rules; network backends (`pubsub-redis`) carry messages between
//! nodes behind the same trait.
//!
//! - [`Topic`]: a validated hierarchical name, `projects:project:<uuid>`; [`TypedTopic`] adds the
//!   event type, so subscribing to a projects topic and decoding CRM events does not compile.
//! - [`Event`]: implemented by each domain's event enum.
//! - [`Broker`]: the object-safe contract (`Arc<dyn Broker>` works); [`BrokerExt`] adds typed
//!   conveniences to every broker.
//! - [`MemoryBroker`]: the embedded default.
//! - [`Subscription`] / [`TypedSubscription`]: `recv().await` and [`futures_core::Stream`];
//!   several topics per subscription; dropping it unsubscribes.
//!
//! # Delivery semantics
//!
//! 1. **Effective on return.** A subscription is effective when `subscribe` returns: a publish
//!    that starts after that is delivered to it. Subscribe *before* loading a screen's initial
//!    state, so no change can fall between the load and the subscription.
//! 2. **At most once, in order per publisher and topic.** Two publishes by one task to one topic
//!    arrive in that order. There is no ordering promise across topics or publishers.
//! 3. **Bounded buffers; slow subscribers are told.** Each subscription buffers up to its capacity.
//!    A slow subscriber never blocks a publisher or other subscribers: when its buffer is full the
//!    oldest message is dropped, and its next receive yields [`Delivery::Lagged`] with the exact
//!    number dropped, before the oldest message it kept. For every subscriber, messages received
//!    plus messages reported missed equals messages published to it.
//!
//!    A topic with many subscribers (from [`MemoryBrokerBuilder::hot_threshold`], default
//!    [`DEFAULT_HOT_THRESHOLD`]) keeps one shared ring instead: each publish is written once and
//!    every subscriber reads it with its own cursor, as with `tokio::sync::broadcast`. The rule is
//!    the same, per topic: a subscriber that falls `capacity` entries behind on it is told
//!    exactly how many it missed, then gets the oldest kept. Receiving spends tokio's
//!    cooperative budget, so a subscriber that never has to wait still lets its worker run other
//!    tasks.
//! 4. **Publishing to no one is cheap** and is not an error.
//! 5. **Best-effort broadcasts.** Domain broadcast functions (built on [`broadcast_event`]) never
//!    fail or panic in the caller; their publishes run concurrently, bounded together by one
//!    timeout; failures are logged with `tracing` and counted. [`Broker::publish`] itself returns
//!    a `Result` for callers who want to know.
//!
//! A network backend may also yield [`Delivery::Gap`]: messages may have been lost here (for
//! example during a reconnect), in unknown number. Treat it like a lag notice: reload. The
//! screen helpers ([`LiveStreamExt`]) give at most one notice per window, merged, so a screen
//! that lags hard reloads once per window, not once per dropped message.
//!
//! # Closing and unsubscribing
//!
//! Dropping a [`Subscription`] unsubscribes it from every topic at once, and a topic left without
//! subscribers leaves no trace in the registry. [`Broker::remove_topic`] drops one topic; a
//! subscription left with no topic simply waits (a topic added later is delivered to it).
//! Subscribing twice to one topic is a no-op: one copy of each message.
//!
//! The end of the stream means the broker is gone: when every handle to a broker is dropped,
//! each subscription yields what it had buffered, then `None`, and `None` for good (subscriptions
//! are [`futures_core::FusedStream`]s).
//!
//! # History and recovery
//!
//! Topic families opted into history ([`MemoryBrokerBuilder::history`], a network backend's
//! configuration; domain crates suggest one) give every message a
//! [`Position`](history::Position) (offset and epoch). [`Broker::subscribe_from`] resumes after
//! the last position a screen saw: the missed messages in order and once, then the live ones, or
//! nothing and [`Recovery::Unrecoverable`](history::Recovery::Unrecoverable), never a partial
//! replay. A subscription that lags on such a topic recovers from the history by itself. See
//! [`history`] for positions, epochs, outcomes, and why history is a cache, not your source of
//! truth.
//!
//! # Types and tenants
//!
//! A [`TypedTopic`] carries its event type: [`BrokerExt::subscribe_events`],
//! [`BrokerExt::subscribe_events_all`] and [`broadcast_event`] take typed topics, and a
//! [`TypedSubscription`] only ever takes topics of its own event type. In multi-tenant mode
//! ([`MultiTenant`]) a subscription remembers its tenant and refuses another tenant's topic,
//! through whatever handle it is given one.
//!
//! # Publishing from a screen
//!
//! [`BrokerExt::publish_from`] is Phoenix's `broadcast_from`: the message skips the publisher's own
//! subscription, so the screen that made a change does not refresh itself.
//!
//! # Backends
//!
//! Every backend serves local subscribers from the core's registry; a network backend only moves
//! one copy per node between nodes. [`backend`] is the surface a backend builds on (the node's
//! registry, delivery, gap and reconnect hooks, a topic observer); `pubsub-redis` uses it alone,
//! and a backend outside this repository can too. Local publishes carry the event value itself, shared by every
//! subscriber: the in-memory path never serialises. A [`Message`] from the wire is decoded into
//! the subscriber's event type once per node, on first use.
//!
//! # Examples
//!
//! Basic use:
//!
//! ```
//! use pubsub_core::{BrokerExt, Delivery, Event, MemoryBroker, Topic, TypedTopic};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
//! #[serde(tag = "event", content = "payload", rename_all = "snake_case")]
//! enum DocEvent {
//!     DocSaved { id: u32 },
//! }
//!
//! impl Event for DocEvent {
//!     const DOMAIN: &'static str = "docs";
//!     fn name(&self) -> &'static str {
//!         "doc_saved"
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::new();
//! let topic: TypedTopic<DocEvent> = TypedTopic::new(Topic::new("docs:doc:1")?);
//!
//! let mut screen = broker.subscribe_events(&topic).await?; // before the initial load
//! broker.publish_event(&topic, DocEvent::DocSaved { id: 1 }).await?;
//!
//! match screen.recv().await {
//!     Some(Delivery::Message(event)) => assert_eq!(*event, DocEvent::DocSaved { id: 1 }),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! Handling lag:
//!
//! ```
//! use pubsub_core::{BrokerExt, Delivery, MemoryBroker, Topic, TypedTopic};
//! # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Tick(u32);
//! # impl pubsub_core::Event for Tick { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "tick" } }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::with_capacity(2);
//! let topic = TypedTopic::<Tick>::new(Topic::new("demo:ticks")?);
//! let mut slow = broker.subscribe_events(&topic).await?;
//! for i in 0..5 {
//!     broker.publish_event(&topic, Tick(i)).await?;
//! }
//! assert!(matches!(slow.recv().await, Some(Delivery::Lagged(3)))); // reload here
//! assert!(matches!(slow.recv().await, Some(Delivery::Message(t)) if t.0 == 3));
//! assert!(matches!(slow.recv().await, Some(Delivery::Message(t)) if t.0 == 4));
//! # Ok(()) }
//! ```

/// This crate's README examples, compiled and run as doc tests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod backend;
mod broadcast;
mod broker;
mod error;
mod event;
mod ext;
pub mod history;
mod live;
pub mod log_limit;
#[cfg(all(test, pubsub_loom))]
mod loom_tests;
mod memory;
mod message;
#[cfg(feature = "metrics")]
mod metrics_export;
mod queue;
mod registry;
mod ring;
mod stats;
mod subscription;
mod sync;
mod tally;
mod tenant;
mod topic;

#[cfg(feature = "testing")]
pub mod testing;

pub use broadcast::{
    BROADCAST_TIMEOUT, BroadcastReport, broadcast, broadcast_event, broadcast_event_from,
    broadcast_failures, broadcast_within,
};
pub use broker::Broker;
pub use error::{DecodeError, Error};
pub use event::Event;
pub use ext::BrokerExt;
pub use live::{Batch, Coalesce, LiveStreamExt, Throttle};
pub use memory::{DEFAULT_CAPACITY, DEFAULT_HOT_THRESHOLD, MemoryBroker, MemoryBrokerBuilder};
pub use message::{EventRef, Message};
#[cfg(feature = "metrics")]
pub use metrics_export::names as metric_names;
pub use stats::{PrefixStats, Stats};
pub use subscription::{Delivery, Subscription, SubscriptionId, TryRecvError, TypedSubscription};
pub use tenant::{
    MAX_TENANT_LEN, MultiTenant, SCOPE_SEGMENT, Scoped, TenantError, TenantKey, tenant_of,
};
pub use topic::{MAX_LEN as MAX_TOPIC_LEN, SEPARATOR, Topic, TopicError, TopicPattern, TypedTopic};

pub use async_trait::async_trait;
