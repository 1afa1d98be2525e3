//! The surface a backend builds on: what a network backend (Redis here; NATS or Postgres
//! elsewhere) needs from the core, and nothing an application needs.
//!
//! A backend serves its node's subscribers from a [`Node`], the core's local registry, and only
//! moves messages between nodes:
//!
//! - [`Node::subscribe`] / [`Node::add_topic`] / [`Node::remove_topic`] register local
//!   subscriptions (the backend adds its own network step, such as waiting for a channel to be
//!   confirmed, around them);
//! - [`Node::deliver`] hands a message to this node's subscribers: a local publish, or one
//!   received from another node;
//! - [`Node::notify_gap`] / [`Node::notify_gap_all`] tell subscribers that messages may have been
//!   lost (a reconnect, a hole in a sender's sequence numbers), and [`Node::record_reconnect`]
//!   counts a reconnection in [`Stats::reconnects`];
//! - a [`TopicObserver`] given to [`NodeBuilder::observer`] hears when a topic gains its first
//!   local subscriber or loses its last, so the backend follows a network channel per topic only
//!   while someone here listens.
//!
//! [`Node::local`] is the node's user-facing view ([`MemoryBroker`]: counts, stats), for the
//! backend to hand out. `pubsub-redis` is built on this module alone; so can a backend outside
//! this repository be. The conformance suite (feature `testing`) checks the result.
//!
//! # Example: a backend in a few lines
//!
//! Two "nodes" joined by a channel: each serves its own subscribers and forwards every publish
//! to the other.
//!
//! ```
//! use pubsub_core::backend::Node;
//! use pubsub_core::{Broker, Error, Message, Subscription, Topic, async_trait};
//! use tokio::sync::mpsc::UnboundedSender;
//!
//! #[derive(Debug, Clone)]
//! struct Linked {
//!     node: Node,
//!     peer: UnboundedSender<(Topic, Message)>,
//! }
//!
//! #[async_trait]
//! impl Broker for Linked {
//!     async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
//!         self.node.deliver(topic, &message);
//!         self.peer.send((topic.clone(), message)).map_err(|_| Error::Closed)
//!     }
//!     async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
//!         self.node.subscribe(topic)
//!     }
//!     async fn add_topic(&self, sub: &mut Subscription, topic: &Topic) -> Result<(), Error> {
//!         self.node.add_topic(sub, topic).map(drop)
//!     }
//!     fn remove_topic(&self, sub: &mut Subscription, topic: &Topic) -> bool {
//!         self.node.remove_topic(sub, topic)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Error> {
//! let (to_b, mut inbox_b) = tokio::sync::mpsc::unbounded_channel();
//! let (to_a, _inbox_a) = tokio::sync::mpsc::unbounded_channel();
//! let a = Linked { node: Node::builder().build(), peer: to_b };
//! let b = Linked { node: Node::builder().build(), peer: to_a };
//!
//! let topic = Topic::new("docs:doc:1")?;
//! let mut on_b = b.subscribe(&topic).await?;
//! # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
//! # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "docs"; fn name(&self) -> &'static str { "saved" } }
//! a.publish(&topic, Message::new(Saved)).await?;
//! // b's network task: what arrives from the other node goes to b's subscribers.
//! let (topic, message) = inbox_b.recv().await.ok_or(Error::Closed)?;
//! b.node.deliver(&topic, &message);
//! assert!(on_b.recv().await.is_some());
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::history::{HistoryConfig, HistoryPolicy, Position, Recovery, Since, Unrecoverable};
use crate::memory::{MemoryBroker, MemoryBrokerBuilder};
use crate::message::Message;
use crate::stats::Stats;
use crate::subscription::Subscription;
use crate::topic::Topic;

pub use crate::registry::TopicObserver;
pub use crate::subscription::Resume;

/// One node's local registry, as a backend sees it: register subscriptions, deliver messages,
/// tell subscribers about gaps.
///
/// Cloning is cheap and gives another handle to the same node. Subscriptions hold the node
/// weakly: when every handle (and every [`MemoryBroker`] from [`local`](Self::local)) is gone,
/// each subscription yields what it had buffered, then `None`.
///
/// ```
/// use pubsub_core::backend::Node;
/// use pubsub_core::{Delivery, Topic};
///
/// let node = Node::builder().capacity(8).build();
/// let topic = Topic::new("docs:doc:1")?;
/// let mut sub = node.subscribe(&topic)?;
/// assert_eq!(node.notify_gap(&topic), 1); // say, after a reconnect
/// assert_eq!(sub.try_recv(), Ok(Delivery::Gap));
/// # Ok::<(), pubsub_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Node {
    local: MemoryBroker,
}

impl Node {
    /// A builder: capacity, shards, per-prefix stats, topic observer.
    pub fn builder() -> NodeBuilder {
        NodeBuilder::default()
    }

    /// The node's user-facing view: topic and subscriber counts, [`Stats`]. Publishing through
    /// it delivers locally only.
    pub fn local(&self) -> &MemoryBroker {
        &self.local
    }

    /// Delivers `message` to this node's subscribers of `topic` (all but the message's origin);
    /// returns how many it was queued for. Never waits.
    ///
    /// ```
    /// # use pubsub_core::backend::Node;
    /// # use pubsub_core::{Message, Topic};
    /// let node = Node::builder().build();
    /// let message = Message::from_json("docs", "saved", "{}"); // as read from the wire
    /// assert_eq!(node.deliver(&Topic::new("docs:doc:1")?, &message), 0); // nobody here
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    ///
    /// On a topic with history ([`NodeBuilder::history`]), a message with a
    /// [`position`](Message::position) (from the network's history) is also kept in the node's
    /// copy of the history, from which subscriptions recover their lags; a message at or below
    /// the latest position kept (a recovery overlapping the live stream) is a duplicate and is
    /// dropped (0), and a message after a hole is preceded by a gap notice.
    pub fn deliver(&self, topic: &Topic, message: &Message) -> usize {
        self.local.registry().publish_message(topic, message, true)
    }

    /// Opens a local subscription to `topic` started from `since`, as
    /// [`Broker::subscribe_from`](crate::Broker::subscribe_from) must: from the node's copy of
    /// the history when it holds what is asked; else the answer says what to fetch from the
    /// network ([`Resume::Fetch`]), to hand to [`replay`](Self::replay). Confirm the network
    /// subscription *before* fetching, so the fetched history and the live stream overlap
    /// rather than leave a hole (the overlap is dropped as duplicates).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::backend::{Node, Resume};
    /// use pubsub_core::history::{Epoch, HistoryConfig, HistoryPolicy, Position, Recovery, Since};
    /// use pubsub_core::{Delivery, Message, Topic};
    ///
    /// let config = HistoryConfig::new().prefix("docs:", HistoryPolicy::new(10, Duration::from_secs(60)));
    /// let node = Node::builder().history(config).build();
    /// let topic = Topic::new("docs:doc:1")?;
    /// let epoch = Epoch::new(5);
    /// let (mut sub, resume) = node.subscribe_from(&topic, Since::After(Position::new(1, epoch)))?;
    /// assert_eq!(resume, Resume::Fetch(Some(Position::new(1, epoch))));
    /// // What the network's history held after offset 1:
    /// let fetched = vec![Message::from_json("docs", "saved", "{}").with_position(Position::new(2, epoch))];
    /// let recovery = node.replay(&mut sub, &topic, Some(Position::new(1, epoch)), Ok(fetched));
    /// assert_eq!(recovery, Recovery::Recovered { count: 1 });
    /// assert!(matches!(sub.try_recv(), Ok(Delivery::Message(m)) if m.position().map(|p| p.offset) == Some(2)));
    /// # Ok::<(), pubsub_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`subscribe`](Self::subscribe).
    pub fn subscribe_from(
        &self,
        topic: &Topic,
        since: Since,
    ) -> Result<(Subscription, Resume), Error> {
        Ok(Subscription::open_from(
            self.local.registry_arc(),
            topic,
            since,
        ))
    }

    /// Adds `topic` to `subscription` started from `since`, as
    /// [`subscribe_from`](Self::subscribe_from); returns whether it was new to it, and what is
    /// left to do. A topic already held is left as it is (`Done(Live)`).
    ///
    /// # Errors
    ///
    /// As [`add_topic`](Self::add_topic).
    pub fn add_topic_from(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<(bool, Resume), Error> {
        self.local.check_owner(subscription)?;
        subscription.add_from(self.local.registry(), topic, since)
    }

    /// Hands a subscription what the backend fetched for a [`Resume::Fetch`]: the messages
    /// after `after` (`None`: the latest message), in order, each with its position; or why
    /// there are none. All or nothing: messages that do not follow `after` one offset at a time
    /// are refused ([`Unrecoverable::TooOld`]) and nothing is replayed.
    pub fn replay(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        after: Option<Position>,
        fetched: Result<Vec<Message>, Unrecoverable>,
    ) -> Recovery {
        subscription.replay(topic, after, fetched)
    }

    /// The latest position of `topic` in the node's copy of its history (what a reconnect
    /// recovers after), if it keeps one.
    pub fn history_position(&self, topic: &Topic) -> Option<Position> {
        let store = self.local.registry().history()?;
        let policy = store.policy(topic)?;
        store.position(topic, policy)
    }

    /// Forgets the node's copy of `topic`'s history, for a backend that can no longer vouch
    /// that it holds every message up to its latest position (it stopped receiving the topic
    /// for a while): the next message delivered starts the copy again, with no gap notice for
    /// the messages in between (nobody here was listening to miss them).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::backend::Node;
    /// use pubsub_core::history::{Epoch, HistoryConfig, HistoryPolicy, Position};
    /// use pubsub_core::{Message, Topic};
    ///
    /// let config = HistoryConfig::new().prefix("docs:", HistoryPolicy::new(10, Duration::from_secs(60)));
    /// let node = Node::builder().history(config).build();
    /// let topic = Topic::new("docs:doc:1")?;
    /// let at = Position::new(1, Epoch::new(5));
    /// node.deliver(&topic, &Message::from_json("docs", "saved", "{}").with_position(at));
    /// assert_eq!(node.history_position(&topic), Some(at));
    /// node.forget_history(&topic);
    /// assert_eq!(node.history_position(&topic), None);
    /// # Ok::<(), pubsub_core::Error>(())
    /// ```
    pub fn forget_history(&self, topic: &Topic) {
        if let Some(store) = self.local.registry().history() {
            store.forget(topic);
        }
    }

    /// Forgets the node's copy of the history of every topic but those `keep` names (after a
    /// reconnect: the topics the backend did not recover), as
    /// [`forget_history`](Self::forget_history) does for one. Walks every topic kept.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::backend::Node;
    /// use pubsub_core::history::{Epoch, HistoryConfig, HistoryPolicy, Position};
    /// use pubsub_core::{Message, Topic};
    ///
    /// let config = HistoryConfig::new().prefix("docs:", HistoryPolicy::new(10, Duration::from_secs(60)));
    /// let node = Node::builder().history(config).build();
    /// let (kept, forgotten) = (Topic::new("docs:1")?, Topic::new("docs:2")?);
    /// let at = Position::new(1, Epoch::new(5));
    /// for topic in [&kept, &forgotten] {
    ///     node.deliver(topic, &Message::from_json("docs", "saved", "{}").with_position(at));
    /// }
    /// node.retain_history(&|topic| *topic == kept);
    /// assert_eq!(node.history_position(&kept), Some(at));
    /// assert_eq!(node.history_position(&forgotten), None);
    /// // The next message starts the copy again, with no gap notice before it.
    /// let mut sub = node.subscribe(&forgotten)?;
    /// let later = Message::from_json("docs", "saved", "{}").with_position(Position::new(9, at.epoch));
    /// assert_eq!(node.deliver(&forgotten, &later), 1);
    /// assert!(matches!(sub.try_recv(), Ok(pubsub_core::Delivery::Message(_))));
    /// # Ok::<(), pubsub_core::Error>(())
    /// ```
    pub fn retain_history(&self, keep: &dyn Fn(&Topic) -> bool) {
        if let Some(store) = self.local.registry().history() {
            store.retain(keep);
        }
    }

    /// The history policy of `topic`, if it keeps history.
    pub fn history_policy(&self, topic: &Topic) -> Option<HistoryPolicy> {
        self.local.registry().history()?.policy(topic)
    }

    /// Opens a local subscription to `topic`, effective at once. A backend that must confirm
    /// something with the network does so after this returns and before handing it out.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for a registry that refuses (limits).
    pub fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        Ok(self.local.subscribe_now(topic))
    }

    /// Adds `topic` to `subscription`; returns whether it was new to it.
    ///
    /// ```
    /// # use pubsub_core::backend::Node;
    /// # use pubsub_core::Topic;
    /// let node = Node::builder().build();
    /// let (a, b) = (Topic::new("a")?, Topic::new("b")?);
    /// let mut sub = node.subscribe(&a)?;
    /// assert!(node.add_topic(&mut sub, &b)?);
    /// assert!(!node.add_topic(&mut sub, &b)?); // already held
    /// # Ok::<(), pubsub_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::ForeignSubscription`] when another node made `subscription`;
    /// [`Error::ForeignScope`] when `subscription` is scoped to a tenant and `topic` is not of
    /// that tenant.
    pub fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<bool, Error> {
        self.local.add_topic_checked(subscription, topic)
    }

    /// Removes `topic` from `subscription`; returns whether it held it. Never blocks.
    pub fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        crate::Broker::remove_topic(&self.local, subscription, topic)
    }

    /// Queues a gap notice for every local subscriber of `topic`: messages may have been lost
    /// (a hole in a sender's sequence numbers). Consecutive notices merge in each subscription's
    /// buffer. Returns how many subscriptions were told.
    pub fn notify_gap(&self, topic: &Topic) -> usize {
        self.local.registry().notify_gap(topic)
    }

    /// Queues a gap notice for every local subscriber of every topic (after a reconnect).
    /// Returns how many (subscription, topic) pairs were told.
    pub fn notify_gap_all(&self) -> usize {
        self.local.registry().notify_gap_all()
    }

    /// Counts a reconnection to the network in [`Stats::reconnects`].
    pub fn record_reconnect(&self) {
        self.local.registry().record_reconnect();
    }

    /// A snapshot of the node's counters.
    pub fn stats(&self) -> Stats {
        self.local.stats()
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("capacity", &self.local.capacity())
            .finish_non_exhaustive()
    }
}

/// Settings of a [`Node`]: those of [`MemoryBroker`] plus a [`TopicObserver`].
///
/// ```
/// use std::sync::Arc;
/// use pubsub_core::backend::{Node, TopicObserver};
/// use pubsub_core::Topic;
///
/// #[derive(Debug)]
/// struct Channels;
/// impl TopicObserver for Channels {
///     fn topic_created(&self, topic: &Topic) { /* queue a SUBSCRIBE */ }
///     fn topic_removed(&self, topic: &Topic) { /* queue an UNSUBSCRIBE */ }
/// }
/// let node = Node::builder().capacity(256).observer(Arc::new(Channels)).build();
/// assert_eq!(node.local().capacity(), 256);
/// ```
#[derive(Debug, Clone, Default)]
pub struct NodeBuilder {
    memory: MemoryBrokerBuilder,
}

impl NodeBuilder {
    /// Messages each subscription buffers before the oldest is dropped (at least 1).
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.memory = self.memory.capacity(capacity);
        self
    }

    /// Registry shards (see [`MemoryBrokerBuilder::shards`]).
    #[must_use]
    pub fn shards(mut self, shards: usize) -> Self {
        self.memory = self.memory.shards(shards);
        self
    }

    /// Subscribers at which a topic switches to a shared ring (see
    /// [`MemoryBrokerBuilder::hot_threshold`]).
    #[must_use]
    pub fn hot_threshold(mut self, subscribers: usize) -> Self {
        self.memory = self.memory.hot_threshold(subscribers);
        self
    }

    /// Keeps counters per topic prefix (see [`MemoryBrokerBuilder::prefix_stats`]).
    #[must_use]
    pub fn prefix_stats(mut self, enabled: bool) -> Self {
        self.memory = self.memory.prefix_stats(enabled);
        self
    }

    /// The topics whose history the node's network keeps: the node keeps a copy of each's
    /// recent messages (as delivered with positions), so subscriptions recover their lags
    /// locally, and its subscribers read each from a ring of its own.
    #[must_use]
    pub fn history(mut self, config: HistoryConfig) -> Self {
        self.memory = self.memory.mirror_history(config);
        self
    }

    /// Tells `observer` when a topic gains its first or loses its last local subscriber. The
    /// callbacks run under the registry's lock for that topic: they must not block or call back
    /// into the node (send to a channel instead).
    #[must_use]
    pub fn observer(mut self, observer: Arc<dyn TopicObserver>) -> Self {
        self.memory = self.memory.with_observer(observer);
        self
    }

    /// The node.
    pub fn build(self) -> Node {
        Node {
            local: self.memory.build(),
        }
    }
}
