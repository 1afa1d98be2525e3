//! [`Stats`] and [`PrefixStats`]: snapshots of a broker's counters and gauges.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use foldhash::fast::RandomState;

use crate::topic::Topic;

/// Counters and gauges of a [`MemoryBroker`](crate::MemoryBroker) (and of every backend built on
/// one), read with [`MemoryBroker::stats`](crate::MemoryBroker::stats).
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
    /// Reconnections of a network backend to its server.
    pub reconnects: u64,
    /// Lags on topics with history that subscriptions recovered from the history (no notice
    /// given; see [`history`](crate::history)).
    pub recoveries: u64,
}

/// Counters and gauges of the topics that share a prefix (their first segment, by convention the
/// domain: `crm`, `projects`, ...). Enabled with
/// [`MemoryBrokerBuilder::prefix_stats`](crate::MemoryBrokerBuilder::prefix_stats).
///
/// ```
/// use pubsub_core::{MemoryBroker, Message, Topic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
/// let broker = MemoryBroker::builder().prefix_stats(true).build();
/// let _a = broker.subscribe_now(&Topic::new("crm:lists")?);
/// broker.publish_now(&Topic::new("crm:lists")?, &Message::new(Ping));
/// broker.publish_now(&Topic::new("staff:teams")?, &Message::new(Ping));
/// let by_prefix = broker.prefix_stats().unwrap_or_default();
/// let crm = by_prefix.iter().find(|p| p.prefix == "crm").unwrap();
/// assert_eq!((crm.published, crm.delivered, crm.topics, crm.subscribers), (1, 1, 1, 1));
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrefixStats {
    /// The first segment shared by these topics.
    pub prefix: String,
    /// Publish calls to these topics.
    pub published: u64,
    /// Messages queued for their subscribers.
    pub delivered: u64,
    /// Queued messages dropped because a subscriber fell behind.
    pub lagged: u64,
    /// Topics with at least one subscriber now.
    pub topics: u64,
    /// (subscription, topic) pairs now.
    pub subscribers: u64,
}

#[derive(Debug, Default)]
struct Counters {
    published: AtomicU64,
    delivered: AtomicU64,
    lagged: AtomicU64,
    topics: AtomicU64,
    subscribers: AtomicU64,
}

/// The registry's per-prefix counters. Prefixes are few (one per domain), so the publish path
/// takes a read lock on a small map and bumps the counters under it; the write lock is taken only
/// the first time a prefix is seen.
#[derive(Debug, Default)]
pub(crate) struct PrefixCounters {
    map: RwLock<HashMap<Box<str>, Counters, RandomState>>,
}

impl PrefixCounters {
    fn with(&self, topic: &Topic, f: impl FnOnce(&Counters)) {
        let prefix = topic.first_segment();
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(counters) = map.get(prefix) {
            return f(counters);
        }
        drop(map);
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        f(map.entry(prefix.into()).or_default());
    }

    pub(crate) fn published(&self, topic: &Topic, delivered: u64, lagged: u64) {
        self.with(topic, |counters| {
            counters.published.fetch_add(1, Ordering::Relaxed);
            counters.delivered.fetch_add(delivered, Ordering::Relaxed);
            counters.lagged.fetch_add(lagged, Ordering::Relaxed);
        });
    }

    pub(crate) fn subscribed(&self, topic: &Topic, new_topic: bool) {
        self.with(topic, |counters| {
            counters.subscribers.fetch_add(1, Ordering::Relaxed);
            if new_topic {
                counters.topics.fetch_add(1, Ordering::Relaxed);
            }
        });
    }

    pub(crate) fn unsubscribed(&self, topic: &Topic, topic_gone: bool) {
        self.with(topic, |counters| {
            counters.subscribers.fetch_sub(1, Ordering::Relaxed);
            if topic_gone {
                counters.topics.fetch_sub(1, Ordering::Relaxed);
            }
        });
    }

    pub(crate) fn snapshot(&self) -> Vec<PrefixStats> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<PrefixStats> = map
            .iter()
            .map(|(prefix, c)| PrefixStats {
                prefix: prefix.to_string(),
                published: c.published.load(Ordering::Relaxed),
                delivered: c.delivered.load(Ordering::Relaxed),
                lagged: c.lagged.load(Ordering::Relaxed),
                topics: c.topics.load(Ordering::Relaxed),
                subscribers: c.subscribers.load(Ordering::Relaxed),
            })
            .collect();
        all.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        all
    }
}
