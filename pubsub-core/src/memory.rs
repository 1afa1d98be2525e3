//! [`MemoryBroker`]: the embedded, in-process broker on tokio.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::broker::Broker;
use crate::error::Error;
use crate::history::{HistoryConfig, HistoryStore, Recovery, Since};
use crate::message::Message;
use crate::registry::{Registry, TopicObserver};
use crate::stats::{PrefixStats, Stats};
use crate::subscription::{Resume, Subscription};
use crate::topic::Topic;

/// Default per-subscription buffer capacity.
pub const DEFAULT_CAPACITY: usize = 1024;

/// Default number of subscribers at which a topic switches to a shared ring (see
/// [`MemoryBrokerBuilder::hot_threshold`]).
pub const DEFAULT_HOT_THRESHOLD: usize = 8;

/// The in-memory broker: one process, many topics, many subscribers, many publishing tasks.
///
/// Each subscription has a bounded buffer (default [`DEFAULT_CAPACITY`]); a buffer only takes
/// memory for what it holds. When a subscriber falls behind, the oldest message is dropped and the
/// subscriber is told exactly how many it missed ([`Delivery::Lagged`](crate::Delivery::Lagged)).
/// Publishing never waits. The registry is sharded so publishers on many tasks rarely contend, a
/// topic with no subscribers takes no memory, and adding or removing one topic of a subscription
/// costs the same whether it holds one topic or a hundred thousand.
///
/// Cloning is cheap and gives another handle to the same broker; when every handle is dropped,
/// every subscription ends after its buffered messages.
///
/// ```
/// use pubsub_core::{Delivery, MemoryBroker, Message, Topic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
///
/// let broker = MemoryBroker::builder().capacity(2).build();
/// let topic = Topic::new("demo:ping")?;
/// let mut sub = broker.subscribe_now(&topic);
/// for _ in 0..5 {
///     broker.publish_now(&topic, &Message::new(Ping));
/// }
/// assert_eq!(sub.try_recv(), Ok(Delivery::Lagged(3)));
/// assert!(matches!(sub.try_recv(), Ok(Delivery::Message(_))));
/// assert_eq!(broker.topic_count(), 1);
/// drop(sub);
/// assert_eq!(broker.topic_count(), 0); // no trace left
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
#[derive(Clone)]
pub struct MemoryBroker {
    registry: Arc<Registry>,
}

impl MemoryBroker {
    /// A broker with the default capacity.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A broker whose subscriptions buffer up to `capacity` messages each (at least 1).
    ///
    /// ```
    /// # use pubsub_core::{MemoryBroker, Topic};
    /// let broker = MemoryBroker::with_capacity(16);
    /// assert_eq!(broker.subscribe_now(&Topic::new("t")?).capacity(), 16);
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::builder().capacity(capacity).build()
    }

    /// A builder for the less common settings.
    pub fn builder() -> MemoryBrokerBuilder {
        MemoryBrokerBuilder::default()
    }

    /// Publishes `message` to every subscription of `topic`: [`Broker::publish`] for a concrete
    /// `MemoryBroker`, without the boxed future of the trait-object path. Never fails.
    ///
    /// ```
    /// # use pubsub_core::{MemoryBroker, Message, Topic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
    /// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
    /// let broker = MemoryBroker::new();
    /// broker.publish(&Topic::new("demo:ping")?, Message::new(Ping)).await?;
    /// # Ok(()) }
    /// ```
    // Reason: async so that it is called exactly like the trait method it shadows.
    #[allow(clippy::unused_async)]
    pub async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        self.publish_traced(topic, message);
        Ok(())
    }

    /// The one publish behind every path (inherent, trait, typed): a span, then the registry.
    /// Not async, so the futures around it hold no more than their arguments.
    fn publish_traced(&self, topic: &Topic, message: Message) {
        let _span = tracing::trace_span!(
            "publish",
            topic = topic.as_str(),
            domain = message.domain(),
            event = message.name()
        )
        .entered();
        self.registry.publish_owned(topic, message, false);
    }

    /// Publishes a typed event: [`BrokerExt::publish_event`](crate::BrokerExt::publish_event)
    /// for a concrete `MemoryBroker`, without the boxed future of the trait-object path.
    ///
    /// ```
    /// # use pubsub_core::{MemoryBroker, Topic, TypedTopic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
    /// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
    /// let broker = MemoryBroker::new();
    /// broker.publish_event(&TypedTopic::new(Topic::new("demo:ping")?), Ping).await?;
    /// # Ok(()) }
    /// ```
    // Reason: async so that it is called exactly like the trait method it shadows.
    #[allow(clippy::unused_async)]
    pub async fn publish_event<E: crate::Event>(
        &self,
        topic: &crate::TypedTopic<E>,
        event: E,
    ) -> Result<(), Error> {
        self.publish_traced(topic.topic(), Message::new(event));
        Ok(())
    }

    /// Publishes without awaiting (the in-memory broker never waits); returns how many
    /// subscriptions the message was queued for. One message can be published to several topics
    /// without cloning it.
    ///
    /// ```
    /// # use pubsub_core::{MemoryBroker, Message, Topic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
    /// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// let broker = MemoryBroker::new();
    /// assert_eq!(broker.publish_now(&Topic::new("nobody:here")?, &Message::new(Ping)), 0);
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn publish_now(&self, topic: &Topic, message: &Message) -> usize {
        self.registry.publish_message(topic, message, false)
    }

    /// Subscribes without awaiting; effective at once.
    pub fn subscribe_now(&self, topic: &Topic) -> Subscription {
        Subscription::open(&self.registry, topic)
    }

    /// Subscribes from a position without awaiting: [`Broker::subscribe_from`] for a concrete
    /// `MemoryBroker` (see [`history`](crate::history)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy, Recovery, Since, Unrecoverable};
    /// use pubsub_core::{MemoryBroker, Message, Topic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
    /// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// let config = HistoryConfig::new().prefix("demo:", HistoryPolicy::new(10, Duration::from_secs(60)));
    /// let broker = MemoryBroker::builder().history(config).build();
    /// let (job, other) = (Topic::new("demo:job:1")?, Topic::new("other:1")?);
    /// broker.publish_now(&job, &Message::new(Ping));
    ///
    /// let (mut sub, recovery) = broker.subscribe_from_now(&job, Since::Latest);
    /// assert_eq!(recovery, Recovery::Recovered { count: 1 });
    /// assert!(sub.try_recv().is_ok()); // the job's current state, before anything live
    ///
    /// let (_sub, recovery) = broker.subscribe_from_now(&other, Since::Latest);
    /// assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::NoHistory));
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn subscribe_from_now(&self, topic: &Topic, since: Since) -> (Subscription, Recovery) {
        let (subscription, resume) = Subscription::open_from(&self.registry, topic, since);
        (subscription, Self::settled(resume))
    }

    /// Adds a topic from a position without awaiting: [`Broker::add_topic_from`] for a concrete
    /// `MemoryBroker`. A topic the subscription already holds is left as it is (`Live`).
    ///
    /// # Errors
    ///
    /// As [`add_topic_now`](Self::add_topic_now).
    pub fn add_topic_from_now(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<Recovery, Error> {
        self.check_owner(subscription)?;
        let (_, resume) = subscription.add_from(&self.registry, topic, since)?;
        Ok(Self::settled(resume))
    }

    /// An authoritative store never asks for a fetch; if it did, nothing could be fetched.
    fn settled(resume: Resume) -> Recovery {
        match resume {
            Resume::Done(recovery) => recovery,
            Resume::Fetch(_) => {
                Recovery::Unrecoverable(crate::history::Unrecoverable::EpochChanged)
            }
        }
    }

    /// [`Error::ForeignSubscription`] unless this broker made `subscription`.
    pub(crate) fn check_owner(&self, subscription: &Subscription) -> Result<(), Error> {
        if subscription.belongs_to(&self.registry) {
            Ok(())
        } else {
            Err(Error::ForeignSubscription {
                subscription: subscription.id(),
            })
        }
    }

    /// Adds a topic to a subscription without awaiting.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignSubscription`] when another broker made `subscription`;
    /// [`Error::ForeignScope`] when `subscription` is scoped to a tenant and `topic` is not.
    pub fn add_topic_now(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
    ) -> Result<(), Error> {
        self.add_topic_checked(subscription, topic).map(drop)
    }

    /// Adds a topic; returns whether it was new to the subscription.
    pub(crate) fn add_topic_checked(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
    ) -> Result<bool, Error> {
        self.check_owner(subscription)?;
        if self.registry.history().is_some() {
            return subscription
                .add_from(&self.registry, topic, Since::Now)
                .map(|(new, _)| new);
        }
        subscription.add(&self.registry, topic)
    }

    /// Topics with at least one subscriber.
    pub fn topic_count(&self) -> usize {
        self.registry.topic_count()
    }

    /// Subscriptions holding `topic`.
    ///
    /// ```
    /// # use pubsub_core::{MemoryBroker, Topic};
    /// let broker = MemoryBroker::new();
    /// let t = Topic::new("t")?;
    /// let (_a, _b) = (broker.subscribe_now(&t), broker.subscribe_now(&t));
    /// assert_eq!(broker.subscriber_count(&t), 2);
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn subscriber_count(&self, topic: &Topic) -> usize {
        self.registry.subscriber_count(topic)
    }

    /// Every topic with at least one subscriber, sorted. Takes each shard's lock in turn: for
    /// tests and diagnostics, not hot paths.
    pub fn topics(&self) -> Vec<Topic> {
        self.registry.topics()
    }

    /// A snapshot of the counters and gauges.
    pub fn stats(&self) -> Stats {
        self.registry.stats()
    }

    /// Counters and gauges per topic prefix (first segment), sorted by prefix; `None` unless
    /// enabled with [`MemoryBrokerBuilder::prefix_stats`].
    pub fn prefix_stats(&self) -> Option<Vec<PrefixStats>> {
        self.registry.prefix_stats()
    }

    /// The per-subscription buffer capacity.
    pub fn capacity(&self) -> usize {
        self.registry.capacity()
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn registry_arc(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// A handle that does not keep the broker alive (for background tasks).
    #[cfg(feature = "metrics")]
    pub(crate) fn downgrade(&self) -> std::sync::Weak<Registry> {
        Arc::downgrade(&self.registry)
    }

    /// The broker behind a handle from [`downgrade`](Self::downgrade), if it is still alive.
    #[cfg(feature = "metrics")]
    pub(crate) fn upgrade(weak: &std::sync::Weak<Registry>) -> Option<Self> {
        weak.upgrade().map(|registry| MemoryBroker { registry })
    }
}

impl Default for MemoryBroker {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryBroker")
            .field("capacity", &self.registry.capacity())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Broker for MemoryBroker {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        self.publish_traced(topic, message);
        Ok(())
    }

    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        let _span = tracing::trace_span!("subscribe", topic = topic.as_str()).entered();
        Ok(self.subscribe_now(topic))
    }

    async fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.add_topic_now(subscription, topic)
    }

    async fn subscribe_from(
        &self,
        topic: &Topic,
        since: Since,
    ) -> Result<(Subscription, Recovery), Error> {
        Ok(self.subscribe_from_now(topic, since))
    }

    async fn add_topic_from(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<Recovery, Error> {
        self.add_topic_from_now(subscription, topic, since)
    }

    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        subscription.belongs_to(&self.registry) && subscription.remove(topic)
    }
}

/// Settings of a [`MemoryBroker`].
///
/// ```
/// use pubsub_core::MemoryBroker;
/// let broker = MemoryBroker::builder().capacity(64).shards(16).build();
/// assert_eq!(broker.capacity(), 64);
/// ```
#[derive(Debug, Clone)]
pub struct MemoryBrokerBuilder {
    capacity: usize,
    shards: usize,
    hot_threshold: usize,
    observer: Option<Arc<dyn TopicObserver>>,
    prefix_stats: bool,
    history: HistoryConfig,
    /// Whether this broker gives offsets (a `MemoryBroker`) or mirrors a network's (a node).
    mirror: bool,
}

impl Default for MemoryBrokerBuilder {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, std::num::NonZero::get);
        MemoryBrokerBuilder {
            capacity: DEFAULT_CAPACITY,
            shards: (cores * 16).clamp(16, 1024),
            hot_threshold: DEFAULT_HOT_THRESHOLD,
            observer: None,
            prefix_stats: false,
            history: HistoryConfig::new(),
            mirror: false,
        }
    }
}

impl MemoryBrokerBuilder {
    /// Messages each subscription buffers before the oldest is dropped (at least 1).
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Registry shards (rounded up to a power of two); more shards, less lock contention between
    /// publishers and subscribers of different topics.
    #[must_use]
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1);
        self
    }

    /// Subscribers at which a topic switches to a shared ring (default
    /// [`DEFAULT_HOT_THRESHOLD`]; at least 1, which makes every topic hot; `usize::MAX` never).
    ///
    /// Below it, a publish pushes into each subscription's own buffer; from it on, a publish is
    /// written once into the topic's ring (`capacity` entries, allocated 32 at a time as it
    /// fills) and every subscriber reads it, as with `tokio::sync::broadcast`. A topic stays hot
    /// while it has any subscriber.
    ///
    /// Both paths keep the same promises: order per publisher, exact lag counts (a subscriber's
    /// own `publish_from` messages are never counted as missed), gap notices in place, the end
    /// of the stream. Where they differ:
    /// - the ring's window is per topic and shared: a subscription holding several hot topics
    ///   buffers up to `capacity` per hot topic, and its own `publish_from` entries take room
    ///   in the window although it skips them;
    /// - the ring keeps its last `capacity` entries alive after every subscriber has read them
    ///   (its slots are written once), so a hot topic holds up to `capacity` messages;
    /// - removing a topic from a subscription drops what it had not yet read of a hot topic,
    ///   while a cold topic's messages already in its buffer are still delivered.
    ///
    /// ```
    /// use pubsub_core::{MemoryBroker, Message, Topic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
    /// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// let broker = MemoryBroker::builder().hot_threshold(2).build();
    /// let all = Topic::new("projects:all")?;
    /// let mut screens: Vec<_> = (0..3).map(|_| broker.subscribe_now(&all)).collect();
    /// assert_eq!(broker.publish_now(&all, &Message::new(Ping)), 3); // one write, three readers
    /// assert!(screens.iter_mut().all(|s| s.try_recv().is_ok()));
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    #[must_use]
    pub fn hot_threshold(mut self, subscribers: usize) -> Self {
        self.hot_threshold = subscribers.max(1);
        self
    }

    /// Set by [`NodeBuilder::observer`](crate::backend::NodeBuilder::observer): a backend's
    /// concern, not an application's.
    pub(crate) fn with_observer(mut self, observer: Arc<dyn TopicObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Keeps counters per topic prefix too ([`MemoryBroker::prefix_stats`]); costs one small
    /// map lookup per publish and subscription change.
    #[must_use]
    pub fn prefix_stats(mut self, enabled: bool) -> Self {
        self.prefix_stats = enabled;
        self
    }

    /// The topics that keep history, and how much (see [`history`](crate::history)). Each such
    /// topic keeps its last messages, gives each a [`Position`](crate::history::Position), and
    /// its subscribers read it from a ring of its own (as a hot topic's): a lag recovers from
    /// the history instead of giving a notice, when the history covers it.
    ///
    /// Memory: per topic with history, its kept messages (each shared with its subscribers) and
    /// about 100 bytes per kept message beyond the message itself (see the memory bench).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy};
    /// use pubsub_core::MemoryBroker;
    /// let broker = MemoryBroker::builder()
    ///     .history(HistoryConfig::new().prefix("jobs:", HistoryPolicy::new(50, Duration::from_secs(120))))
    ///     .build();
    /// # let _ = broker;
    /// ```
    #[must_use]
    pub fn history(mut self, config: HistoryConfig) -> Self {
        self.history = config;
        self
    }

    /// Set by [`NodeBuilder::history`](crate::backend::NodeBuilder::history): the node mirrors
    /// its network's history instead of giving offsets.
    pub(crate) fn mirror_history(mut self, config: HistoryConfig) -> Self {
        self.history = config;
        self.mirror = true;
        self
    }

    /// The broker.
    pub fn build(self) -> MemoryBroker {
        let history =
            (!self.history.is_empty()).then(|| HistoryStore::new(self.history, !self.mirror));
        MemoryBroker {
            registry: Arc::new(Registry::new(
                self.capacity,
                self.shards,
                self.hot_threshold,
                self.observer,
                self.prefix_stats,
                history,
            )),
        }
    }
}
