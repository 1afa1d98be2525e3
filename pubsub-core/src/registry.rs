//! The local subscription registry: topic → subscribers, sharded, with per-shard counters.
//!
//! Invariants:
//! - a topic is in the registry if and only if it has at least one subscriber; the entry is
//!   removed under the same write lock that removes its last subscriber;
//! - adding or removing one (subscription, topic) pair costs O(1), whatever the number of topics
//!   the subscription holds or of subscribers the topic has;
//! - publishing holds one shard's read lock and never waits for a subscriber.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use foldhash::fast::RandomState;
use indexmap::IndexMap;

use crate::message::Message;
use crate::queue::{Pushed, Queue};
use crate::stats::Stats;
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
/// use pubsub_core::{MemoryBroker, Topic, TopicObserver};
///
/// #[derive(Debug, Default)]
/// struct Log(Mutex<Vec<String>>);
/// impl TopicObserver for Log {
///     fn topic_created(&self, topic: &Topic) { self.0.lock().unwrap().push(format!("+{topic}")) }
///     fn topic_removed(&self, topic: &Topic) { self.0.lock().unwrap().push(format!("-{topic}")) }
/// }
///
/// let log = std::sync::Arc::new(Log::default());
/// let broker = MemoryBroker::builder().observer(log.clone()).build();
/// let sub = broker.subscribe_now(&Topic::new("a")?);
/// drop(sub);
/// assert_eq!(*log.0.lock().unwrap(), ["+a", "-a"]);
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
pub trait TopicObserver: Send + Sync + std::fmt::Debug {
    /// `topic` got its first local subscriber.
    fn topic_created(&self, topic: &Topic);
    /// `topic` lost its last local subscriber.
    fn topic_removed(&self, topic: &Topic);
}

type Map = HashMap<Topic, Subscribers, RandomState>;

/// Padded so two shards' counters never share a cache line.
#[repr(align(128))]
struct Shard {
    map: RwLock<Map>,
    published: AtomicU64,
    delivered: AtomicU64,
    lagged: AtomicU64,
}

/// The subscribers of one topic. Most topics have exactly one, which costs no extra allocation.
enum Subscribers {
    One(SubscriptionId, Arc<Queue>),
    Many(IndexMap<SubscriptionId, Arc<Queue>, RandomState>),
}

impl Subscribers {
    fn insert(&mut self, id: SubscriptionId, queue: &Arc<Queue>) -> bool {
        match self {
            Subscribers::One(existing, _) if *existing == id => false,
            Subscribers::One(existing, existing_queue) => {
                let mut many = IndexMap::with_capacity_and_hasher(2, RandomState::default());
                many.insert(*existing, Arc::clone(existing_queue));
                many.insert(id, Arc::clone(queue));
                *self = Subscribers::Many(many);
                true
            }
            Subscribers::Many(many) => many.insert(id, Arc::clone(queue)).is_none(),
        }
    }

    /// Removes `id`; returns whether it was there and whether the topic is now empty.
    fn remove(&mut self, id: SubscriptionId) -> (bool, bool) {
        match self {
            Subscribers::One(existing, _) => (*existing == id, *existing == id),
            Subscribers::Many(many) => {
                let removed = many.swap_remove(&id).is_some();
                if many.len() == 1 {
                    if let Some((only, queue)) = many.pop() {
                        *self = Subscribers::One(only, queue);
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
            Subscribers::One(..) => 1,
            Subscribers::Many(many) => many.len(),
        }
    }

    fn for_each(&self, mut f: impl FnMut(SubscriptionId, &Queue)) {
        match self {
            Subscribers::One(id, queue) => f(*id, queue),
            Subscribers::Many(many) => many.iter().for_each(|(id, queue)| f(*id, queue)),
        }
    }
}

/// The registry shared by a [`MemoryBroker`](crate::MemoryBroker) and its clones. Subscriptions
/// hold it weakly, so dropping every broker handle closes every subscription.
pub(crate) struct Registry {
    shards: Box<[Shard]>,
    shard_hasher: RandomState,
    capacity: usize,
    observer: Option<Arc<dyn TopicObserver>>,
    subscriptions: AtomicUsize,
    decode_errors: AtomicU64,
    gaps: AtomicU64,
}

impl Registry {
    pub(crate) fn new(
        capacity: usize,
        shards: usize,
        observer: Option<Arc<dyn TopicObserver>>,
    ) -> Self {
        let shards = shards.max(1).next_power_of_two();
        Registry {
            shards: (0..shards)
                .map(|_| Shard {
                    map: RwLock::new(HashMap::with_hasher(RandomState::default())),
                    published: AtomicU64::new(0),
                    delivered: AtomicU64::new(0),
                    lagged: AtomicU64::new(0),
                })
                .collect(),
            shard_hasher: RandomState::default(),
            capacity: capacity.max(1),
            observer,
            subscriptions: AtomicUsize::new(0),
            decode_errors: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    fn shard(&self, topic: &str) -> &Shard {
        // The mask keeps the index in range; truncating the hash to usize is intended.
        #[allow(clippy::cast_possible_truncation)]
        let index = self.shard_hasher.hash_one(topic) as usize & (self.shards.len() - 1);
        &self.shards[index]
    }

    fn read(shard: &Shard) -> RwLockReadGuard<'_, Map> {
        // Every critical section leaves the map consistent, so a poisoned lock is still usable.
        shard.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(shard: &Shard) -> RwLockWriteGuard<'_, Map> {
        shard.map.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Pushes `message` to every subscriber of `topic` but its origin; returns how many got it.
    pub(crate) fn publish(&self, topic: &Topic, message: &Message) -> usize {
        let shard = self.shard(topic.as_str());
        shard.published.fetch_add(1, Ordering::Relaxed);
        let map = Self::read(shard);
        let Some(subscribers) = map.get(topic.as_str()) else {
            return 0;
        };
        let origin = message.origin();
        let mut delivered = 0u64;
        let mut lagged = 0u64;
        subscribers.for_each(|id, queue| {
            if Some(id) == origin {
                return;
            }
            match queue.push(message.clone()) {
                Pushed::Queued => delivered += 1,
                Pushed::QueuedDroppingOldest => {
                    delivered += 1;
                    lagged += 1;
                }
                Pushed::Closed => {}
            }
        });
        drop(map);
        if delivered > 0 {
            shard.delivered.fetch_add(delivered, Ordering::Relaxed);
        }
        if lagged > 0 {
            shard.lagged.fetch_add(lagged, Ordering::Relaxed);
        }
        usize::try_from(delivered).unwrap_or(usize::MAX)
    }

    /// Queues a gap notice for every subscriber of `topic`; returns how many were told.
    pub(crate) fn notify_gap(&self, topic: &Topic) -> usize {
        let shard = self.shard(topic.as_str());
        let map = Self::read(shard);
        let mut told = 0;
        if let Some(subscribers) = map.get(topic.as_str()) {
            subscribers.for_each(|_, queue| {
                if queue.push_gap() != Pushed::Closed {
                    told += 1;
                }
            });
        }
        self.gaps.fetch_add(told as u64, Ordering::Relaxed);
        told
    }

    /// Queues a gap notice for every subscriber of every topic (each subscription once per topic
    /// it holds; consecutive notices merge in its queue).
    pub(crate) fn notify_gap_all(&self) -> usize {
        let mut told = 0;
        for shard in &self.shards {
            let map = Self::read(shard);
            for subscribers in map.values() {
                subscribers.for_each(|_, queue| {
                    if queue.push_gap() != Pushed::Closed {
                        told += 1;
                    }
                });
            }
        }
        self.gaps.fetch_add(told as u64, Ordering::Relaxed);
        told
    }

    /// Adds `(id, queue)` to `topic`'s subscribers; returns whether it was not there yet.
    pub(crate) fn insert(&self, topic: &Topic, id: SubscriptionId, queue: &Arc<Queue>) -> bool {
        let shard = self.shard(topic.as_str());
        let mut map = Self::write(shard);
        if let Some(subscribers) = map.get_mut(topic.as_str()) {
            return subscribers.insert(id, queue);
        }
        map.insert(topic.clone(), Subscribers::One(id, Arc::clone(queue)));
        if let Some(observer) = &self.observer {
            observer.topic_created(topic);
        }
        true
    }

    /// Removes `id` from `topic`'s subscribers, and the topic when it was the last; returns
    /// whether it was there.
    pub(crate) fn remove(&self, topic: &Topic, id: SubscriptionId) -> bool {
        let shard = self.shard(topic.as_str());
        let mut map = Self::write(shard);
        let Some(subscribers) = map.get_mut(topic.as_str()) else {
            return false;
        };
        let (removed, now_empty) = subscribers.remove(id);
        if now_empty {
            map.remove(topic.as_str());
            let len = map.len();
            if map.capacity() > 64 && len * 4 < map.capacity() {
                map.shrink_to(len * 2);
            }
            if let Some(observer) = &self.observer {
                observer.topic_removed(topic);
            }
        }
        removed
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

    pub(crate) fn topic_count(&self) -> usize {
        self.shards.iter().map(|s| Self::read(s).len()).sum()
    }

    pub(crate) fn subscriber_count(&self, topic: &Topic) -> usize {
        Self::read(self.shard(topic.as_str()))
            .get(topic.as_str())
            .map_or(0, Subscribers::len)
    }

    pub(crate) fn topics(&self) -> Vec<Topic> {
        let mut topics: Vec<Topic> = self
            .shards
            .iter()
            .flat_map(|s| Self::read(s).keys().cloned().collect::<Vec<_>>())
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
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        for shard in &*self.shards {
            let map = Self::read(shard);
            for subscribers in map.values() {
                subscribers.for_each(|_, queue| queue.close());
            }
        }
    }
}
