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
use std::task::Waker;

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use indexmap::IndexMap;

use crate::history::HistoryStore;
use crate::message::Message;
use crate::queue::{Join, Pushed, Queue};
use crate::ring::{self, Cursor, Ring};
use crate::stats::{PrefixCounters, PrefixStats, Stats};
use crate::subscription::SubscriptionId;
use crate::tally::Tally;
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
}

/// The subscribers of one topic. Most topics have exactly one, which costs no extra allocation;
/// the entry is two words either way. A topic that reaches the broker's hot threshold keeps a
/// shared ring: each publish is written into it once, and its subscribers read it.
enum Subscribers {
    One(Arc<Queue>),
    Many(Box<IndexMap<SubscriptionId, Arc<Queue>, RandomState>>),
    Hot(Box<Hot>),
}

/// Counts one push: queued (delivered), dropped the oldest (delivered, and one lagged), or not
/// at all (the queue is closed).
fn count_push(pushed: Pushed, delivered: &mut u64, lagged: &mut u64) {
    match pushed {
        Pushed::Queued => *delivered += 1,
        Pushed::Dropped => {
            *delivered += 1;
            *lagged += 1;
        }
        Pushed::Closed => {}
    }
}

/// A message to publish: borrowed (cloned into each queue) or given away (moved into the last).
enum Outgoing<'a> {
    Borrowed(&'a Message),
    Owned(Message),
}

impl Outgoing<'_> {
    fn message(&self) -> &Message {
        match self {
            Outgoing::Borrowed(message) => message,
            Outgoing::Owned(message) => message,
        }
    }

    fn into_message(self) -> Message {
        match self {
            Outgoing::Borrowed(message) => message.clone(),
            Outgoing::Owned(message) => message,
        }
    }
}

/// A hot topic: its ring and its subscribers (to count them, wake and close them).
struct Hot {
    ring: Arc<Ring>,
    queues: IndexMap<SubscriptionId, Arc<Queue>, RandomState>,
}

/// What adding a subscriber did.
struct Added {
    new: bool,
    /// The topic's ring, when it is hot: the new subscriber reads it from its next offset.
    ring: Option<Arc<Ring>>,
    /// The topic turned hot with this subscriber: the others must be told (a join each).
    turned_hot: bool,
}

impl Subscribers {
    fn insert(&mut self, queue: &Arc<Queue>, hot_threshold: usize, capacity: usize) -> Added {
        let new = match self {
            Subscribers::One(existing) if existing.id() == queue.id() => false,
            Subscribers::One(existing) => {
                let mut many = IndexMap::with_capacity_and_hasher(2, RandomState::default());
                many.insert(existing.id(), Arc::clone(existing));
                many.insert(queue.id(), Arc::clone(queue));
                *self = Subscribers::Many(Box::new(many));
                true
            }
            Subscribers::Many(many) => many.insert(queue.id(), Arc::clone(queue)).is_none(),
            Subscribers::Hot(hot) => {
                let new = hot.queues.insert(queue.id(), Arc::clone(queue)).is_none();
                let ring = new.then(|| Arc::clone(&hot.ring));
                return Added {
                    new,
                    ring,
                    turned_hot: false,
                };
            }
        };
        if new && self.len() >= hot_threshold {
            return Added {
                new,
                ring: Some(self.make_hot(capacity)),
                turned_hot: true,
            };
        }
        Added {
            new,
            ring: None,
            turned_hot: false,
        }
    }

    /// Turns this topic hot: a ring from now on. The caller then announces it (see
    /// [`announce`](Self::announce)).
    fn make_hot(&mut self, capacity: usize) -> Arc<Ring> {
        let queues = match std::mem::replace(self, Subscribers::Many(Box::default())) {
            Subscribers::One(queue) => {
                let mut queues = IndexMap::with_capacity_and_hasher(1, RandomState::default());
                queues.insert(queue.id(), queue);
                queues
            }
            Subscribers::Many(many) => *many,
            Subscribers::Hot(hot) => {
                let ring = Arc::clone(&hot.ring);
                *self = Subscribers::Hot(hot);
                return ring;
            }
        };
        let ring = Arc::new(Ring::new(capacity));
        *self = Subscribers::Hot(Box::new(Hot {
            ring: Arc::clone(&ring),
            queues,
        }));
        ring
    }

    /// Queues a join for every subscriber but `newcomer` (which reads the ring from its start
    /// directly), after whatever of this topic it already holds, so each reads the ring from its
    /// start once it gets there. Returns the wakers to wake once the shard's lock is released.
    fn announce(&self, topic: &Topic, ring: &Arc<Ring>, newcomer: SubscriptionId) -> Vec<Waker> {
        let Subscribers::Hot(hot) = self else {
            return Vec::new();
        };
        hot.queues
            .values()
            .filter(|q| q.id() != newcomer)
            .filter_map(|queue| {
                queue.push_join(Join {
                    topic: topic.clone(),
                    ring: Arc::clone(ring),
                    start: 1,
                })
            })
            .collect()
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
                } else {
                    shrink(many);
                }
                (removed, false)
            }
            Subscribers::Hot(hot) => {
                let removed = hot.queues.swap_remove(&id).is_some();
                hot.ring.forget(id);
                shrink(&mut hot.queues);
                (removed, hot.queues.is_empty())
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Subscribers::One(_) => 1,
            Subscribers::Many(many) => many.len(),
            Subscribers::Hot(hot) => hot.queues.len(),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&Queue)) {
        match self {
            Subscribers::One(queue) => f(queue),
            Subscribers::Many(many) => many.values().for_each(|queue| f(queue)),
            Subscribers::Hot(hot) => hot.queues.values().for_each(|queue| f(queue)),
        }
    }
}

fn shrink(map: &mut IndexMap<SubscriptionId, Arc<Queue>, RandomState>) {
    if map.capacity() > 64 && map.len() * 4 < map.capacity() {
        let len = map.len();
        map.shrink_to(len * 2);
    }
}

/// The registry shared by a [`MemoryBroker`](crate::MemoryBroker) and its clones. Subscriptions
/// hold it weakly, so dropping every broker handle closes every subscription.
pub(crate) struct Registry {
    shards: Box<[Shard]>,
    hasher: RandomState,
    capacity: usize,
    /// Subscribers at which a topic gets a shared ring.
    hot_threshold: usize,
    observer: Option<Arc<dyn TopicObserver>>,
    subscriptions: AtomicUsize,
    decode_errors: AtomicU64,
    gaps: AtomicU64,
    reconnects: AtomicU64,
    /// Messages hot-topic readers found dropped from a ring (counted as they find them).
    ring_lagged: AtomicU64,
    /// Published, delivered and lagged, counted per thread (`tally.rs`).
    tally: Tally,
    /// Lags that subscriptions recovered from the history instead of reporting.
    recoveries: AtomicU64,
    /// Counters per topic prefix (first segment), when enabled.
    prefixes: Option<PrefixCounters>,
    /// Queues of live subscriptions that hold no topic: no topic entry reaches them, so they are
    /// kept here to be closed with the registry (their stream ends only when the broker goes).
    idle: Mutex<HashMap<SubscriptionId, Weak<Queue>, RandomState>>,
    /// The history of the topics that keep one, if any does.
    history: Option<HistoryStore>,
}

impl Registry {
    pub(crate) fn new(
        capacity: usize,
        shards: usize,
        hot_threshold: usize,
        observer: Option<Arc<dyn TopicObserver>>,
        by_prefix: bool,
        history: Option<HistoryStore>,
    ) -> Self {
        let shards = shards.max(1).next_power_of_two();
        Registry {
            shards: (0..shards)
                .map(|_| Shard {
                    table: RwLock::new(HashTable::new()),
                })
                .collect(),
            hasher: RandomState::default(),
            capacity: capacity.max(1),
            hot_threshold: hot_threshold.max(1),
            observer,
            subscriptions: AtomicUsize::new(0),
            decode_errors: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            ring_lagged: AtomicU64::new(0),
            tally: Tally::default(),
            recoveries: AtomicU64::new(0),
            prefixes: by_prefix.then(PrefixCounters::default),
            idle: Mutex::default(),
            history,
        }
    }

    /// The history store, when some topics keep history.
    pub(crate) fn history(&self) -> Option<&HistoryStore> {
        self.history.as_ref()
    }

    /// Publishes `message` to `topic`, through its history when it keeps one: an authoritative
    /// store gives it the next offset; a mirror (a backend's node) keeps a message that comes
    /// `from_backend` with a position, and drops it when it is a duplicate. Returns how many
    /// subscriptions it was queued for.
    pub(crate) fn publish_message(
        &self,
        topic: &Topic,
        message: &Message,
        from_backend: bool,
    ) -> usize {
        let Some(store) = &self.history else {
            return self.publish(topic, message);
        };
        let Some(policy) = store.policy(topic) else {
            return self.publish_unpositioned(topic, message);
        };
        if store.is_authoritative() {
            return store.append(topic, message, policy, |m| self.publish(topic, m));
        }
        match message.position().filter(|_| from_backend) {
            Some(position) => store
                .mirror(topic, message, position, policy, |m, hole| {
                    if hole {
                        self.notify_gap(topic);
                    }
                    self.publish(topic, m)
                })
                .unwrap_or(0),
            None => self.publish_unpositioned(topic, message),
        }
    }

    /// Publishes `message` without a position: a position is only ever given by a topic's own
    /// history, never carried over from another topic's.
    fn publish_unpositioned(&self, topic: &Topic, message: &Message) -> usize {
        if message.position().is_some() {
            return self.publish(topic, &message.clone().without_position());
        }
        self.publish(topic, message)
    }

    /// Whether `topic` keeps history (its subscribers then read it from a ring, per topic).
    pub(crate) fn keeps_history(&self, topic: &Topic) -> bool {
        self.history
            .as_ref()
            .is_some_and(|store| store.policy(topic).is_some())
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

    /// [`publish_message`](Self::publish_message) of a message the caller gives away: a topic
    /// with one subscriber then gets it moved into its queue, not cloned (two reference-count
    /// updates fewer per publish, and the caller has nothing left to drop).
    pub(crate) fn publish_owned(
        &self,
        topic: &Topic,
        message: Message,
        from_backend: bool,
    ) -> usize {
        if self.history.is_some() {
            return self.publish_message(topic, &message, from_backend);
        }
        self.publish_from(topic, Outgoing::Owned(message))
    }

    /// Pushes `message` to every subscriber of `topic` but its origin; returns how many got it.
    pub(crate) fn publish(&self, topic: &Topic, message: &Message) -> usize {
        self.publish_from(topic, Outgoing::Borrowed(message))
    }

    fn publish_from(&self, topic: &Topic, outgoing: Outgoing<'_>) -> usize {
        let message = outgoing.message();
        let (hash, shard) = self.locate(topic.as_str());
        let (mut delivered, mut lagged) = (0u64, 0u64);
        let table = Self::read(shard);
        if let Some((_, subscribers)) = table.find(hash, |(t, _)| t == topic) {
            let origin = message.origin();
            if let Subscribers::Hot(hot) = subscribers {
                // Written once; each subscriber reads it (the origin skips it when reading).
                let skipped = origin.is_some_and(|id| hot.queues.contains_key(&id));
                let own = origin.filter(|_| skipped);
                hot.ring.push(ring::Entry::Message(message.clone()), own);
                delivered = (hot.queues.len() - usize::from(skipped)) as u64;
            } else if let (Subscribers::One(queue), Outgoing::Owned(_)) = (subscribers, &outgoing) {
                if Some(queue.id()) != origin {
                    let pushed = queue.push(outgoing.into_message(), self.capacity);
                    count_push(pushed, &mut delivered, &mut lagged);
                }
            } else {
                subscribers.for_each(|queue| {
                    if Some(queue.id()) == origin {
                        return;
                    }
                    let pushed = queue.push(message.clone(), self.capacity);
                    count_push(pushed, &mut delivered, &mut lagged);
                });
            }
        }
        drop(table);
        self.tally.publish(delivered, lagged);
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
        if let Subscribers::Hot(hot) = subscribers {
            hot.ring.push(ring::Entry::Gap, None);
            return hot.queues.len();
        }
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
    pub(crate) fn insert(&self, topic: &Topic, queue: &Arc<Queue>) -> Option<Cursor> {
        let (hash, shard) = self.locate(topic.as_str());
        let mut table = Self::write(shard);
        if let Some((_, subscribers)) = table.find_mut(hash, |(t, _)| t == topic) {
            let added = subscribers.insert(queue, self.hot_threshold, self.capacity);
            if added.new {
                if let Some(prefixes) = &self.prefixes {
                    prefixes.subscribed(topic, false);
                }
            }
            let ring = added.ring?;
            let wakers = if added.turned_hot {
                subscribers.announce(topic, &ring, queue.id())
            } else {
                Vec::new()
            };
            // No publish to this topic runs while its shard is write-locked: the cursor starts
            // right after the last message published before this subscription took effect.
            let start = ring.next_offset();
            let cursor = Cursor::new(ring, queue.id(), start);
            drop(table);
            for waker in wakers {
                waker.wake();
            }
            return Some(cursor);
        }
        if let Some(prefixes) = &self.prefixes {
            prefixes.subscribed(topic, true);
        }
        let mut subscribers = Subscribers::One(Arc::clone(queue));
        let cursor = (self.hot_threshold <= 1 || self.keeps_history(topic)).then(|| {
            let ring = subscribers.make_hot(self.capacity);
            Cursor::new(ring, queue.id(), 1)
        });
        table.insert_unique(hash, (topic.clone(), subscribers), self.rehasher());
        if let Some(observer) = &self.observer {
            observer.topic_created(topic);
        }
        cursor
    }

    /// Counts a lag recovered from the history.
    pub(crate) fn record_recovery(&self) {
        self.recoveries.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts messages a hot-topic reader found dropped.
    pub(crate) fn record_ring_lag(&self, missed: u64) {
        self.ring_lagged.fetch_add(missed, Ordering::Relaxed);
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
        let counts = self.tally.read();
        Stats {
            topics: self.topic_count(),
            subscriptions: self.subscriptions.load(Ordering::Relaxed),
            published: counts.published,
            delivered: counts.delivered,
            lagged: counts.lagged + self.ring_lagged.load(Ordering::Relaxed),
            decode_errors: self.decode_errors.load(Ordering::Relaxed),
            gaps: self.gaps.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            recoveries: self.recoveries.load(Ordering::Relaxed),
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
