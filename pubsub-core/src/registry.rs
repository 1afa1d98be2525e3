//! The local subscription registry: topic → subscribers, sharded, with per-shard counters.
//!
//! Invariants:
//! - a topic is in the registry if and only if it has at least one subscriber; the entry is
//!   removed under the same write lock that removes its last subscriber;
//! - adding or removing one (subscription, topic) pair costs O(1), whatever the number of topics
//!   the subscription holds or of subscribers the topic has;
//! - publishing hashes the topic once, holds one shard's read lock and never waits for a
//!   subscriber.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use indexmap::IndexMap;

use crate::message::Message;
use crate::queue::{Pushed, Queue};
use crate::stats::{PrefixCounters, PrefixStats, Stats};
use crate::subscription::SubscriptionId;
use crate::topic::Topic;

/// Told when a topic gains its first subscriber or loses its last one.
///
/// A distributed backend uses this to subscribe to a topic's network channel only while the node
/// has local subscribers. Callbacks run under the registry's lock for that topic, so for one topic
/// they alternate strictly (created, removed, created, ...); they must not block or call back into
/// the broker (send to a channel instead).
///
/// ```
/// use std::sync::Mutex;
/// use pubsub_core::Topic;
/// use pubsub_core::backend::{Node, TopicObserver};
///
/// #[derive(Debug, Default)]
/// struct Log(Mutex<Vec<String>>);
/// impl TopicObserver for Log {
///     fn topic_created(&self, topic: &Topic) { self.0.lock().unwrap().push(format!("+{topic}")) }
///     fn topic_removed(&self, topic: &Topic) { self.0.lock().unwrap().push(format!("-{topic}")) }
/// }
///
/// let log = std::sync::Arc::new(Log::default());
/// let node = Node::builder().observer(log.clone()).build();
/// let sub = node.subscribe(&Topic::new("a")?)?;
/// drop(sub);
/// assert_eq!(*log.0.lock().unwrap(), ["+a", "-a"]);
/// # Ok::<(), pubsub_core::Error>(())
/// ```
pub trait TopicObserver: Send + Sync + std::fmt::Debug {
    /// `topic` got its first local subscriber.
    fn topic_created(&self, topic: &Topic);
    /// `topic` lost its last local subscriber.
    fn topic_removed(&self, topic: &Topic);
}

/// One topic's entry: the name and its subscribers.
type Entry = (Topic, Subscribers);

/// Padded so two shards' locks and counters never share a cache line.
#[repr(align(128))]
struct Shard {
    table: RwLock<HashTable<Entry>>,
    published: AtomicU64,
    delivered: AtomicU64,
    lagged: AtomicU64,
}

/// The subscribers of one topic. Most topics have exactly one, which costs no extra allocation;
/// the entry is two words either way.
enum Subscribers {
    One(Arc<Queue>),
    Many(Box<IndexMap<SubscriptionId, Arc<Queue>, RandomState>>),
}

impl Subscribers {
    fn insert(&mut self, queue: &Arc<Queue>) -> bool {
        match self {
            Subscribers::One(existing) if existing.id() == queue.id() => false,
            Subscribers::One(existing) => {
                let mut many = IndexMap::with_capacity_and_hasher(2, RandomState::default());
                many.insert(existing.id(), Arc::clone(existing));
                many.insert(queue.id(), Arc::clone(queue));
                *self = Subscribers::Many(Box::new(many));
                true
            }
            Subscribers::Many(many) => many.insert(queue.id(), Arc::clone(queue)).is_none(),
        }
    }

    /// Removes `id`; returns whether it was there and whether the topic is now empty.
    fn remove(&mut self, id: SubscriptionId) -> (bool, bool) {
        match self {
            Subscribers::One(existing) => {
                let hit = existing.id() == id;
                (hit, hit)
            }
            Subscribers::Many(many) => {
                let removed = many.swap_remove(&id).is_some();
                if many.len() == 1 {
                    if let Some((_, queue)) = many.pop() {
                        *self = Subscribers::One(queue);
                    }
                } else if many.capacity() > 64 && many.len() * 4 < many.capacity() {
                    let len = many.len();
                    many.shrink_to(len * 2);
                }
                (removed, false)
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Subscribers::One(_) => 1,
            Subscribers::Many(many) => many.len(),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&Queue)) {
        match self {
            Subscribers::One(queue) => f(queue),
            Subscribers::Many(many) => many.values().for_each(|queue| f(queue)),
        }
    }
}

/// The registry shared by a [`MemoryBroker`](crate::MemoryBroker) and its clones. Subscriptions
/// hold it weakly, so dropping every broker handle closes every subscription.
pub(crate) struct Registry {
    shards: Box<[Shard]>,
    hasher: RandomState,
    capacity: usize,
    observer: Option<Arc<dyn TopicObserver>>,
    subscriptions: AtomicUsize,
    decode_errors: AtomicU64,
    gaps: AtomicU64,
    reconnects: AtomicU64,
    /// Counters per topic prefix (first segment), when enabled.
    prefixes: Option<PrefixCounters>,
    /// Queues of live subscriptions that hold no topic: no topic entry reaches them, so they are
    /// kept here to be closed with the registry (their stream ends only when the broker goes).
    idle: Mutex<HashMap<SubscriptionId, Weak<Queue>, RandomState>>,
}

impl Registry {
    pub(crate) fn new(
        capacity: usize,
        shards: usize,
        observer: Option<Arc<dyn TopicObserver>>,
        by_prefix: bool,
    ) -> Self {
        let shards = shards.max(1).next_power_of_two();
        Registry {
            shards: (0..shards)
                .map(|_| Shard {
                    table: RwLock::new(HashTable::new()),
                    published: AtomicU64::new(0),
                    delivered: AtomicU64::new(0),
                    lagged: AtomicU64::new(0),
                })
                .collect(),
            hasher: RandomState::default(),
            capacity: capacity.max(1),
            observer,
            subscriptions: AtomicUsize::new(0),
            decode_errors: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            prefixes: by_prefix.then(PrefixCounters::default),
            idle: Mutex::default(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The topic's hash and its shard. One hash serves both: the shard takes high bits, the
    /// table's buckets low ones.
    fn locate(&self, topic: &str) -> (u64, &Shard) {
        let hash = self.hasher.hash_one(topic);
        // The mask keeps the index in range; truncating the shifted hash is intended.
        #[allow(clippy::cast_possible_truncation)]
        let index = (hash >> 40) as usize & (self.shards.len() - 1);
        (hash, &self.shards[index])
    }

    fn rehasher(&self) -> impl Fn(&Entry) -> u64 + '_ {
        move |(topic, _): &Entry| self.hasher.hash_one(topic.as_str())
    }

    fn read(shard: &Shard) -> RwLockReadGuard<'_, HashTable<Entry>> {
        // Every critical section leaves the table consistent, so a poisoned lock is still usable.
        shard.table.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(shard: &Shard) -> RwLockWriteGuard<'_, HashTable<Entry>> {
        shard.table.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Pushes `message` to every subscriber of `topic` but its origin; returns how many got it.
    pub(crate) fn publish(&self, topic: &Topic, message: &Message) -> usize {
        let (hash, shard) = self.locate(topic.as_str());
        shard.published.fetch_add(1, Ordering::Relaxed);
        let (mut delivered, mut lagged) = (0u64, 0u64);
        let table = Self::read(shard);
        if let Some((_, subscribers)) = table.find(hash, |(t, _)| t.as_str() == topic.as_str()) {
            let origin = message.origin();
            subscribers.for_each(|queue| {
                if Some(queue.id()) == origin {
                    return;
                }
                match queue.push(message.clone(), self.capacity) {
                    Pushed::Queued => delivered += 1,
                    Pushed::Dropped => {
                        delivered += 1;
                        lagged += 1;
                    }
                    Pushed::Closed => {}
                }
            });
        }
        drop(table);
        if delivered > 0 {
            shard.delivered.fetch_add(delivered, Ordering::Relaxed);
        }
        if lagged > 0 {
            shard.lagged.fetch_add(lagged, Ordering::Relaxed);
        }
        if let Some(prefixes) = &self.prefixes {
            prefixes.published(topic, delivered, lagged);
        }
        usize::try_from(delivered).unwrap_or(usize::MAX)
    }

    /// Queues a gap notice for every subscriber of `topic`; returns how many were told.
    pub(crate) fn notify_gap(&self, topic: &Topic) -> usize {
        let (hash, shard) = self.locate(topic.as_str());
        let table = Self::read(shard);
        let told = table
            .find(hash, |(t, _)| t == topic)
            .map_or(0, |(_, subscribers)| self.gap_to(subscribers));
        self.gaps.fetch_add(told as u64, Ordering::Relaxed);
        told
    }

    /// Queues a gap notice for each of `subscribers`; returns how many were told.
    fn gap_to(&self, subscribers: &Subscribers) -> usize {
        let mut told = 0;
        subscribers.for_each(|queue| {
            if queue.push_gap(self.capacity) != Pushed::Closed {
                told += 1;
            }
        });
        told
    }

    /// Queues a gap notice for every subscriber of every topic (each subscription once per topic
    /// it holds; consecutive notices merge in its queue).
    pub(crate) fn notify_gap_all(&self) -> usize {
        let mut told = 0;
        for shard in &self.shards {
            let table = Self::read(shard);
            told += table
                .iter()
                .map(|(_, subscribers)| self.gap_to(subscribers))
                .sum::<usize>();
        }
        self.gaps.fetch_add(told as u64, Ordering::Relaxed);
        told
    }

    /// Adds `queue` to `topic`'s subscribers (the subscription's own topic set has already
    /// refused duplicates).
    pub(crate) fn insert(&self, topic: &Topic, queue: &Arc<Queue>) {
        let (hash, shard) = self.locate(topic.as_str());
        let mut table = Self::write(shard);
        if let Some((_, subscribers)) = table.find_mut(hash, |(t, _)| t == topic) {
            if subscribers.insert(queue) {
                if let Some(prefixes) = &self.prefixes {
                    prefixes.subscribed(topic, false);
                }
            }
            return;
        }
        if let Some(prefixes) = &self.prefixes {
            prefixes.subscribed(topic, true);
        }
        table.insert_unique(
            hash,
            (topic.clone(), Subscribers::One(Arc::clone(queue))),
            self.rehasher(),
        );
        if let Some(observer) = &self.observer {
            observer.topic_created(topic);
        }
    }

    /// Removes `id` from `topic`'s subscribers, and the topic when it was the last; returns
    /// whether it was there.
    pub(crate) fn remove(&self, topic: &Topic, id: SubscriptionId) -> bool {
        let (hash, shard) = self.locate(topic.as_str());
        let mut table = Self::write(shard);
        let Ok(mut entry) = table.find_entry(hash, |(t, _)| t == topic) else {
            return false;
        };
        let (removed, now_empty) = entry.get_mut().1.remove(id);
        if removed {
            if let Some(prefixes) = &self.prefixes {
                prefixes.unsubscribed(topic, now_empty);
            }
        }
        if now_empty {
            entry.remove();
            let len = table.len();
            if table.capacity() > 64 && len * 4 < table.capacity() {
                table.shrink_to(len * 2, self.rehasher());
            }
            if let Some(observer) = &self.observer {
                observer.topic_removed(topic);
            }
        }
        removed
    }

    /// Keeps `queue` (of a subscription that just lost its last topic) to close with the registry.
    pub(crate) fn watch_idle(&self, queue: &Arc<Queue>) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(queue.id(), Arc::downgrade(queue));
    }

    /// Forgets an idle queue (its subscription got a topic again, or was dropped).
    pub(crate) fn unwatch_idle(&self, id: SubscriptionId) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    pub(crate) fn subscription_opened(&self) {
        self.subscriptions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn subscription_closed(&self) {
        self.subscriptions.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn record_decode_error(&self) {
        self.decode_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_reconnect(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn prefix_stats(&self) -> Option<Vec<PrefixStats>> {
        self.prefixes.as_ref().map(PrefixCounters::snapshot)
    }

    pub(crate) fn topic_count(&self) -> usize {
        self.shards.iter().map(|s| Self::read(s).len()).sum()
    }

    pub(crate) fn subscriber_count(&self, topic: &Topic) -> usize {
        let (hash, shard) = self.locate(topic.as_str());
        Self::read(shard)
            .find(hash, |(t, _)| t == topic)
            .map_or(0, |(_, subscribers)| subscribers.len())
    }

    pub(crate) fn topics(&self) -> Vec<Topic> {
        let mut topics: Vec<Topic> = self
            .shards
            .iter()
            .flat_map(|s| {
                Self::read(s)
                    .iter()
                    .map(|(t, _)| t.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        topics.sort_unstable();
        topics
    }

    pub(crate) fn stats(&self) -> Stats {
        let sum = |f: fn(&Shard) -> &AtomicU64| -> u64 {
            self.shards
                .iter()
                .map(|s| f(s).load(Ordering::Relaxed))
                .sum()
        };
        Stats {
            topics: self.topic_count(),
            subscriptions: self.subscriptions.load(Ordering::Relaxed),
            published: sum(|s| &s.published),
            delivered: sum(|s| &s.delivered),
            lagged: sum(|s| &s.lagged),
            decode_errors: self.decode_errors.load(Ordering::Relaxed),
            gaps: self.gaps.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        for shard in &*self.shards {
            let table = Self::read(shard);
            for (_, subscribers) in table.iter() {
                subscribers.for_each(Queue::close);
            }
        }
        let idle = self.idle.get_mut().unwrap_or_else(PoisonError::into_inner);
        for queue in idle.values().filter_map(Weak::upgrade) {
            queue.close();
        }
    }
}
