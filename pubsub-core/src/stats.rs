//! [`Stats`]: a snapshot of a broker's counters and gauges.

/// Counters and gauges of a [`MemoryBroker`](crate::MemoryBroker), read with
/// [`MemoryBroker::stats`](crate::MemoryBroker::stats).
///
/// Counters only grow. `delivered` counts messages queued for a subscriber; a queued message that
/// is later dropped because its subscriber fell behind is also counted in `lagged`, and that
/// subscriber is told. So for each subscriber, received + reported-lagged == delivered to it.
///
/// ```
/// use pubsub_core::{Delivery, MemoryBroker, Message, Topic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
/// let broker = MemoryBroker::new();
/// let topic = Topic::new("demo:ping")?;
/// let _sub = broker.subscribe_now(&topic);
/// broker.publish_now(&topic, &Message::new(Ping));
/// let stats = broker.stats();
/// assert_eq!((stats.topics, stats.subscriptions, stats.published, stats.delivered), (1, 1, 1, 1));
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Topics with at least one subscriber now.
    pub topics: usize,
    /// Live subscriptions now (whatever the number of topics each holds).
    pub subscriptions: usize,
    /// Publish calls, including those that reached no subscriber.
    pub published: u64,
    /// Messages queued for a subscriber (one per subscriber reached).
    pub delivered: u64,
    /// Queued messages dropped because their subscriber fell behind (each one reported to it).
    pub lagged: u64,
    /// Received messages that a typed subscription could not decode (logged and skipped).
    pub decode_errors: u64,
    /// Gap notices queued (a backend may have lost messages, for example on reconnect).
    pub gaps: u64,
}
