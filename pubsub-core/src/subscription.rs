//! [`Subscription`] and [`TypedSubscription`]: what a subscriber receives from.

use std::collections::HashSet;
use std::fmt;
use std::num::NonZeroU64;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

use foldhash::fast::RandomState;
use futures_core::{FusedStream, Stream};

use crate::broker::without_history;
use crate::error::Error;
use crate::event::Event;
use crate::history::{
    Position, Read as HistoryRead, Recovery, Since, Track, Unrecoverable, Verdict,
};
use crate::message::{EventRef, Message};
use crate::queue::{Hand, Join, Popped, Queue};
use crate::registry::Registry;
use crate::ring::{Cursor, Entry, Read};
use crate::tenant::{TenantKey, scope_of};
use crate::topic::Topic;

mod typed;

pub use typed::TypedSubscription;

/// What a subscription yields.
///
/// ```
/// use pubsub_core::Delivery;
///
/// fn describe(d: &Delivery<String>) -> String {
///     match d {
///         Delivery::Message(m) => format!("got {m}"),
///         Delivery::Lagged(n) => format!("missed {n}: reload"),
///         Delivery::Gap => "may have missed some: reload".to_owned(),
///     }
/// }
/// assert_eq!(describe(&Delivery::Lagged(3)), "missed 3: reload");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery<T> {
    /// The next message, in publish order for its publisher and topic.
    Message(T),
    /// The subscriber fell behind and exactly this many messages were dropped from the front of
    /// its buffer (the oldest ones). The next message is the oldest one kept. Reload state.
    Lagged(u64),
    /// The backend may have lost an unknown number of messages here (a reconnect, or a hole in a
    /// remote node's sequence numbers). Reload state.
    Gap,
}

impl<T> Delivery<T> {
    /// The message, if this is one.
    ///
    /// ```
    /// # use pubsub_core::Delivery;
    /// assert_eq!(Delivery::Message(1).message(), Some(1));
    /// assert_eq!(Delivery::<u8>::Gap.message(), None);
    /// ```
    pub fn message(self) -> Option<T> {
        match self {
            Delivery::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Whether this is a lag or gap notice, after which the subscriber should reload.
    ///
    /// ```
    /// # use pubsub_core::Delivery;
    /// assert!(Delivery::<u8>::Lagged(1).needs_reload());
    /// assert!(!Delivery::Message(1).needs_reload());
    /// ```
    pub fn needs_reload(&self) -> bool {
        !matches!(self, Delivery::Message(_))
    }

    /// Maps the message, keeping notices as they are.
    ///
    /// ```
    /// # use pubsub_core::Delivery;
    /// assert_eq!(Delivery::Message(2).map(|x| x * 10), Delivery::Message(20));
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Delivery<U> {
        match self {
            Delivery::Message(m) => Delivery::Message(f(m)),
            Delivery::Lagged(n) => Delivery::Lagged(n),
            Delivery::Gap => Delivery::Gap,
        }
    }
}

/// Why [`Subscription::try_recv`] returned nothing.
///
/// ```
/// # use pubsub_core::{MemoryBroker, Topic, TryRecvError};
/// let broker = MemoryBroker::new();
/// let mut sub = broker.subscribe_now(&Topic::new("t")?);
/// assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
/// drop(broker);
/// assert_eq!(sub.try_recv(), Err(TryRecvError::Closed));
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is buffered now; more may come.
    #[error("nothing is buffered now")]
    Empty,
    /// The stream has ended, for good: the broker is gone and nothing is buffered.
    #[error("the subscription has ended")]
    Closed,
}

/// A process-unique subscription identity, used by
/// [`BrokerExt::publish_from`](crate::BrokerExt::publish_from) to skip the publisher's own
/// subscription.
///
/// ```
/// # use pubsub_core::{MemoryBroker, Topic};
/// let broker = MemoryBroker::new();
/// let a = broker.subscribe_now(&Topic::new("t")?);
/// let b = broker.subscribe_now(&Topic::new("t")?);
/// assert_ne!(a.id(), b.id());
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(NonZeroU64);

impl SubscriptionId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let raw = NEXT.fetch_add(1, Ordering::Relaxed);
        SubscriptionId(NonZeroU64::new(raw).unwrap_or(NonZeroU64::MIN))
    }

    /// The id as a number (for wire envelopes and logs).
    ///
    /// ```
    /// # use pubsub_core::{MemoryBroker, SubscriptionId, Topic};
    /// let sub = MemoryBroker::new().subscribe_now(&Topic::new("t")?);
    /// assert_eq!(SubscriptionId::from_u64(sub.id().as_u64()), Some(sub.id()));
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// An id from a number read back from a wire envelope; `None` for zero.
    pub fn from_u64(raw: u64) -> Option<Self> {
        NonZeroU64::new(raw).map(SubscriptionId)
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The set of topics a subscription holds. One topic costs no allocation.
#[derive(Debug, Default)]
enum TopicSet {
    #[default]
    Empty,
    One(Topic),
    // Reason: boxed so the common one-topic subscription stays small (a million may be alive).
    #[allow(clippy::box_collection)]
    Many(Box<HashSet<Topic, RandomState>>),
}

impl TopicSet {
    fn contains(&self, topic: &Topic) -> bool {
        match self {
            TopicSet::Empty => false,
            TopicSet::One(t) => t == topic,
            TopicSet::Many(set) => set.contains(topic),
        }
    }

    fn insert(&mut self, topic: Topic) -> bool {
        match self {
            TopicSet::Empty => {
                *self = TopicSet::One(topic);
                true
            }
            TopicSet::One(t) if *t == topic => false,
            TopicSet::One(_) => {
                let TopicSet::One(existing) = std::mem::take(self) else {
                    return false;
                };
                let mut set = HashSet::with_capacity_and_hasher(2, RandomState::default());
                set.insert(existing);
                set.insert(topic);
                *self = TopicSet::Many(Box::new(set));
                true
            }
            TopicSet::Many(set) => set.insert(topic),
        }
    }

    fn remove(&mut self, topic: &Topic) -> bool {
        match self {
            TopicSet::One(t) if t == topic => {
                *self = TopicSet::Empty;
                true
            }
            TopicSet::Many(set) => set.remove(topic),
            _ => false,
        }
    }

    fn len(&self) -> usize {
        match self {
            TopicSet::Empty => 0,
            TopicSet::One(_) => 1,
            TopicSet::Many(set) => set.len(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = &Topic> + '_> {
        match self {
            TopicSet::Empty => Box::new(std::iter::empty()),
            TopicSet::One(t) => Box::new(std::iter::once(t)),
            TopicSet::Many(set) => Box::new(set.iter()),
        }
    }
}

/// A subscriber's receiving end for one or more topics.
///
/// Made by [`Broker::subscribe`](crate::Broker::subscribe); more topics are added with
/// [`Broker::add_topic`](crate::Broker::add_topic) and removed with
/// [`Broker::remove_topic`](crate::Broker::remove_topic). Dropping it unsubscribes from every topic
/// at once. It is also a [`futures_core::Stream`] of [`Delivery`]s.
///
/// Subscribing twice to one topic is a no-op: a subscription is a set of topics and receives one
/// copy of each message.
///
/// ```
/// use pubsub_core::{Broker, Delivery, MemoryBroker, Message, Topic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let (a, b) = (Topic::new("demo:a")?, Topic::new("demo:b")?);
/// let mut sub = broker.subscribe(&a).await?;
/// broker.add_topic(&mut sub, &b).await?;
///
/// broker.publish(&b, Message::new(Ping)).await?;
/// assert!(matches!(sub.recv().await, Some(Delivery::Message(m)) if m.name() == "ping"));
/// # Ok(()) }
/// ```
pub struct Subscription {
    queue: Arc<Queue>,
    hand: Hand,
    topics: TopicSet,
    registry: Weak<Registry>,
    /// The tenant every topic of this subscription must be scoped to, once made through a
    /// tenant's handle (shared by every subscription of that handle).
    scope: Option<Arc<TenantKey>>,
    /// Cursors in the rings of its hot topics; none (one word) for most subscriptions.
    hot: Option<Box<HotSet>>,
}

/// What a subscription's own queue gave, between the rings.
enum Taken {
    Ready(Poll<Option<Delivery<Message>>>),
    /// A join was applied: go round again.
    Again,
    Empty,
    Closed,
}

/// A subscription's hot topics and where it is in each ring.
struct HotSet {
    cursors: Vec<HotTopic>,
    /// Which source (its own queue or a ring) to try first next, so none starves another.
    turn: usize,
}

/// One topic read from its ring.
struct HotTopic {
    topic: Topic,
    cursor: Cursor,
    /// Its recovery state, when the topic keeps history.
    track: Option<Box<Track>>,
}

/// What starting a topic from a position left for a backend to do (see
/// [`Node::subscribe_from`](crate::backend::Node::subscribe_from)).
///
/// ```
/// use pubsub_core::backend::Resume;
/// use pubsub_core::history::Recovery;
/// assert_ne!(Resume::Done(Recovery::Live), Resume::Fetch(None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Nothing: this is the outcome.
    Done(Recovery),
    /// The node's copy of the history does not hold what was asked: fetch the messages after
    /// this position (`None`: the topic's latest message) from the network's history and hand
    /// them to [`Node::replay`](crate::backend::Node::replay).
    Fetch(Option<Position>),
}

impl Subscription {
    /// A new subscription holding `topic`, started from `since`.
    pub(crate) fn open_from(
        registry: &Arc<Registry>,
        topic: &Topic,
        since: Since,
    ) -> (Self, Resume) {
        // Not watched as idle: it gets its topic at once (a fresh subscription has no scope to
        // refuse it).
        let mut subscription = Self::fresh(registry, TopicSet::Empty);
        let resume = subscription
            .add_from(registry, topic, since)
            .map_or(Resume::Done(Recovery::Live), |(_, resume)| resume);
        (subscription, resume)
    }

    /// Registers `topic` started from `since`; returns whether it was new, and what is left to
    /// do. A topic already held is left as it is (`Live`).
    pub(crate) fn add_from(
        &mut self,
        registry: &Registry,
        topic: &Topic,
        since: Since,
    ) -> Result<(bool, Resume), Error> {
        let store = registry.history();
        let (Some(store), Some(policy)) = (store, store.and_then(|store| store.policy(topic)))
        else {
            let new = self.add(registry, topic)?;
            return Ok((new, Resume::Done(without_history(since))));
        };
        if self.topics.contains(topic) {
            return Ok((false, Resume::Done(Recovery::Live)));
        }
        // Read before attaching: a publish in between is delivered live, after this position.
        let start = store.position(topic, policy);
        if !self.add(registry, topic)? {
            return Ok((false, Resume::Done(Recovery::Live)));
        }
        let me = self.id();
        let Some(track) = self.track_mut(topic) else {
            return Ok((true, Resume::Done(Recovery::Live)));
        };
        **track = Track::new(start);
        let resume = match since {
            Since::Now => Resume::Done(Recovery::Live),
            // A kept message always has a position.
            Since::Latest => match store
                .latest(topic)
                .and_then(|message| message.position().map(|at| (message, at)))
            {
                Some((message, at)) => {
                    let before = Position::new(at.offset - 1, at.epoch);
                    let entries: Vec<Message> = std::iter::once(message)
                        .filter(|m| m.origin() != Some(me))
                        .collect();
                    let count = entries.len();
                    track.restart(before, entries);
                    Resume::Done(Recovery::Recovered { count })
                }
                None if store.is_authoritative() => Resume::Done(Recovery::Recovered { count: 0 }),
                None => Resume::Fetch(None),
            },
            Since::After(after) => match store.read_after(topic, after, Some(me)) {
                HistoryRead::Entries(entries) => {
                    let count = entries.len();
                    track.restart(after, entries);
                    Resume::Done(Recovery::Recovered { count })
                }
                HistoryRead::Unrecoverable(why) => Resume::Done(Recovery::Unrecoverable(why)),
                HistoryRead::Missing => Resume::Fetch(Some(after)),
            },
        };
        Ok((true, resume))
    }

    /// Replays what a backend fetched for `topic` after `after` (`None`: the latest message):
    /// the messages, in order, with positions; or why there are none.
    pub(crate) fn replay(
        &mut self,
        topic: &Topic,
        after: Option<Position>,
        fetched: Result<Vec<Message>, Unrecoverable>,
    ) -> Recovery {
        let me = self.id();
        let Some(track) = self.track_mut(topic) else {
            return Recovery::Unrecoverable(Unrecoverable::NoHistory);
        };
        let entries = match fetched {
            Ok(entries) => entries,
            Err(why) => return Recovery::Unrecoverable(why),
        };
        let Some(after) = after.or_else(|| {
            entries
                .first()
                .and_then(Message::position)
                .map(|p| Position::new(p.offset.saturating_sub(1), p.epoch))
        }) else {
            return Recovery::Recovered { count: 0 };
        };
        // All or nothing: the entries must follow `after` exactly, one offset each.
        let contiguous = entries.iter().enumerate().all(|(i, message)| {
            message.position() == Some(Position::new(after.offset + 1 + i as u64, after.epoch))
        });
        if !contiguous {
            return Recovery::Unrecoverable(Unrecoverable::TooOld);
        }
        let entries: Vec<Message> = entries
            .into_iter()
            .filter(|message| message.origin() != Some(me))
            .collect();
        let count = entries.len();
        track.restart(after, entries);
        Recovery::Recovered { count }
    }

    /// The recovery state of `topic`, when it keeps history.
    fn track_mut(&mut self, topic: &Topic) -> Option<&mut Box<Track>> {
        self.hot
            .as_mut()?
            .cursors
            .iter_mut()
            .find(|hot| hot.topic == *topic)?
            .track
            .as_mut()
    }

    /// The position of the last message this subscription took from `topic` (or, before
    /// any, where it started), when `topic` keeps history: where to resume from after a
    /// reconnect. During a replay it moves with each replayed message taken.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy};
    /// use pubsub_core::{MemoryBroker, Message, Topic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
    /// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// let config = HistoryConfig::new().prefix("demo:", HistoryPolicy::new(10, Duration::from_secs(60)));
    /// let broker = MemoryBroker::builder().history(config).build();
    /// let topic = Topic::new("demo:ping")?;
    /// let mut sub = broker.subscribe_now(&topic);
    /// broker.publish_now(&topic, &Message::new(Ping));
    /// assert_eq!(sub.position(&topic).map(|p| p.offset), Some(0)); // not received yet
    /// sub.try_recv().unwrap();
    /// assert_eq!(sub.position(&topic).map(|p| p.offset), Some(1));
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn position(&self, topic: &Topic) -> Option<Position> {
        let cursors = &self.hot.as_ref()?.cursors;
        let held = cursors.iter().find(|hot| hot.topic == *topic).or_else(|| {
            // A tenant's handle scopes the topics it is given: so does this lookup, comparing
            // in place (it runs per message on a resuming stream: no scoped name is built).
            let scope = self.scope.as_ref()?;
            if scope_of(topic).is_some() {
                return None;
            }
            cursors
                .iter()
                .find(|hot| scope.is_scope_of(hot.topic.as_str(), topic.as_str()))
        })?;
        held.track.as_ref()?.delivered()
    }

    /// A new subscription holding `topic`.
    pub(crate) fn open(registry: &Arc<Registry>, topic: &Topic) -> Self {
        if registry.history().is_some() {
            return Self::open_from(registry, topic, Since::Now).0;
        }
        let mut subscription = Self::fresh(registry, TopicSet::One(topic.clone()));
        if let Some(cursor) = registry.insert(topic, &subscription.queue) {
            subscription.attach(topic, cursor, false);
        }
        subscription
    }

    /// A new subscription of `registry` holding `topics` (registered by the caller).
    fn fresh(registry: &Arc<Registry>, topics: TopicSet) -> Self {
        registry.subscription_opened();
        Subscription {
            queue: Arc::new(Queue::new(SubscriptionId::next())),
            hand: Hand::default(),
            topics,
            registry: Arc::downgrade(registry),
            scope: None,
            hot: None,
        }
    }

    pub(crate) fn belongs_to(&self, registry: &Arc<Registry>) -> bool {
        std::ptr::eq(self.registry.as_ptr(), Arc::as_ptr(registry))
    }

    /// Registers `topic`; returns whether it was new to this subscription.
    pub(crate) fn add(&mut self, registry: &Registry, topic: &Topic) -> Result<bool, Error> {
        if let Some(scope) = &self.scope {
            if scope_of(topic) != Some(scope.as_str()) {
                return Err(Error::ForeignScope {
                    subscription: self.id(),
                    tenant: scope.as_str().to_owned(),
                    topic: topic.as_str().to_owned(),
                });
            }
        }
        let was_idle = self.topics.len() == 0;
        if !self.topics.insert(topic.clone()) {
            return Ok(false);
        }
        if let Some(cursor) = registry.insert(topic, &self.queue) {
            self.attach(topic, cursor, registry.keeps_history(topic));
        }
        if was_idle {
            registry.unwatch_idle(self.queue.id());
        }
        Ok(true)
    }

    /// Unregisters `topic`; returns whether the subscription held it.
    pub(crate) fn remove(&mut self, topic: &Topic) -> bool {
        if !self.topics.remove(topic) {
            return false;
        }
        self.detach(topic);
        self.queue.purge_joins(&mut self.hand, topic);
        match self.registry.upgrade() {
            Some(registry) => {
                registry.remove(topic, self.queue.id());
                if self.topics.len() == 0 {
                    // No topic reaches the queue any more: the registry still closes it when the
                    // broker goes, so the end of the stream keeps meaning "the broker is gone".
                    registry.watch_idle(&self.queue);
                }
            }
            None => self.queue.close(),
        }
        true
    }

    /// Reads `topic` from its ring with `cursor` from now on (replacing an older ring's cursor),
    /// with a recovery track when the topic keeps history.
    fn attach(&mut self, topic: &Topic, cursor: Cursor, keeps_history: bool) {
        let hot = self.hot.get_or_insert_with(|| {
            Box::new(HotSet {
                cursors: Vec::new(),
                turn: 0,
            })
        });
        hot.cursors.retain(|hot| hot.topic != *topic);
        let track = keeps_history.then(Box::default);
        hot.cursors.push(HotTopic {
            topic: topic.clone(),
            cursor,
            track,
        });
    }

    fn detach(&mut self, topic: &Topic) {
        if let Some(hot) = &mut self.hot {
            hot.cursors.retain(|hot| hot.topic != *topic);
            if hot.cursors.is_empty() {
                self.hot = None;
            }
        }
    }

    /// A join from the queue: `join.topic` continues in `join.ring`. Every join in the queue is
    /// current (removing a topic purges its joins), so it applies unless the subscription already
    /// reads that topic from a ring (it added the topic again while hot).
    fn apply(&mut self, join: Join) {
        if !self.topics.contains(&join.topic) {
            return;
        }
        let attached = self
            .hot
            .as_ref()
            .is_some_and(|hot| hot.cursors.iter().any(|hot| hot.topic == join.topic));
        if !attached {
            let cursor = Cursor::new(join.ring, self.queue.id(), join.start);
            // A topic that keeps history is read from a ring from its first subscriber on: it
            // never turns hot later, so a join is never for one.
            self.attach(&join.topic, cursor, false);
        }
    }

    /// The next delivery from the queue or a ring; with a waker, registers it everywhere when
    /// nothing is ready. `Ready(None)` at the end.
    #[inline]
    fn next_delivery(&mut self, waker: Option<&Waker>) -> Poll<Option<Delivery<Message>>> {
        if let Some(message) = self.next_hot_with(|message| Some(message.clone())) {
            return Poll::Ready(Some(Delivery::Message(message)));
        }
        self.next_delivery_in_full(waker)
    }

    /// What `f` makes of the message [`next_hot`](Self::next_hot) would give this turn, when it
    /// is the plain case: a ring's turn (not the queue's), a topic without history, a message
    /// ready in the chunk the cursor holds; taken only when `f` gives `Some`. `None`: take the
    /// full path, which finds the same thing if it is there. Inlined into the receive paths, so
    /// most deliveries of a hot topic cost a few loads and one reference count.
    #[inline]
    fn next_hot_with<T>(&mut self, f: impl FnOnce(&Message) -> Option<T>) -> Option<T> {
        let hot = self.hot.as_mut()?;
        let turn = hot.turn.wrapping_add(1);
        if turn % 16 == 0 {
            return None;
        }
        let index = first_ring(turn, hot.cursors.len());
        let topic = hot.cursors.get_mut(index)?;
        if topic.track.is_some() {
            return None;
        }
        let made = topic.cursor.read_with(f)?;
        hot.turn = turn;
        Some(made)
    }

    /// The next delivery when it is a local `E` in the plain case (first in hand, or what
    /// [`next_hot_with`](Self::next_hot_with) takes), shared without a `Message` round trip;
    /// `None`: take the full path.
    #[inline]
    pub(crate) fn next_local_event<E: Event>(
        &mut self,
    ) -> Option<Result<EventRef<E>, crate::DecodeError>> {
        if self.hot.is_none() {
            return self
                .queue
                .pop_message_with(&mut self.hand, Message::into_local_event::<E>);
        }
        self.next_hot_with(Message::local_event_ref::<E>).map(Ok)
    }

    /// [`next_delivery`](Self::next_delivery) past its fast path.
    #[inline(never)]
    fn next_delivery_in_full(&mut self, waker: Option<&Waker>) -> Poll<Option<Delivery<Message>>> {
        loop {
            if self.hot.is_none() {
                // Only the queue: one lock takes an entry or registers the waker.
                match self.queue.pop(&mut self.hand, waker) {
                    Popped::Delivery(delivery) => return Poll::Ready(Some(delivery)),
                    Popped::Join(join) => self.apply(join),
                    Popped::Empty => return Poll::Pending,
                    Popped::Closed => return Poll::Ready(None),
                }
                continue;
            }
            if let Some(polled) = self.next_hot(waker) {
                return polled;
            }
        }
    }

    /// One round over the queue and the rings; `None` to go round again (a join was applied,
    /// or something arrived while registering).
    fn next_hot(&mut self, waker: Option<&Waker>) -> Option<Poll<Option<Delivery<Message>>>> {
        let hot = self.hot.as_mut()?;
        hot.turn = hot.turn.wrapping_add(1);
        // The queue first once in 16 rounds, else after the rings: neither starves.
        let queue_first = hot.turn % 16 == 0;
        let mut closed = false;
        if queue_first {
            match self.take_from_queue() {
                Taken::Ready(polled) => return Some(polled),
                Taken::Again => return None,
                Taken::Empty => {}
                Taken::Closed => closed = true,
            }
        }
        let me = self.queue.id();
        let hot = self.hot.as_mut()?;
        let count = hot.cursors.len();
        let start = first_ring(hot.turn, count);
        for step in 0..count {
            let index = if step + start >= count {
                step + start - count
            } else {
                step + start
            };
            if let Some(delivery) = read_hot(&mut hot.cursors[index], &self.registry, me) {
                return Some(Poll::Ready(Some(delivery)));
            }
        }
        if !queue_first {
            match self.take_from_queue() {
                Taken::Ready(polled) => return Some(polled),
                Taken::Again => return None,
                Taken::Empty => {}
                Taken::Closed => closed = true,
            }
        }
        // Nothing anywhere. Closed means the broker is gone: no ring gets more either.
        if closed {
            return Some(Poll::Ready(None));
        }
        let Some(waker) = waker else {
            return Some(Poll::Pending);
        };
        if !self.queue.park(waker) {
            return None;
        }
        for hot in &mut self.hot.as_mut()?.cursors {
            if !hot.cursor.wait(waker) {
                return None;
            }
        }
        Some(Poll::Pending)
    }

    /// The queue's next delivery, if any.
    fn take_from_queue(&mut self) -> Taken {
        match self.queue.pop(&mut self.hand, None) {
            Popped::Delivery(delivery) => Taken::Ready(Poll::Ready(Some(delivery))),
            Popped::Join(join) => {
                self.apply(join);
                Taken::Again
            }
            Popped::Empty => Taken::Empty,
            Popped::Closed => Taken::Closed,
        }
    }

    /// Scopes this subscription to `tenant`: from now on it only takes topics of that tenant.
    /// The first scope given stays (a handle wrapped in two scopes keeps the inner one).
    pub(crate) fn scope_to(&mut self, tenant: &Arc<TenantKey>) {
        if self.scope.is_none() {
            self.scope = Some(Arc::clone(tenant));
        }
    }

    /// The tenant this subscription is scoped to, if it was made through a tenant's handle
    /// ([`Scoped`](crate::Scoped) or [`MultiTenant`](crate::MultiTenant)); every topic it holds
    /// is scoped to that tenant, and adding another tenant's topic fails.
    ///
    /// ```
    /// # use pubsub_core::{Broker, MemoryBroker, MultiTenant, TenantKey, Topic};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let broker = MultiTenant::new(MemoryBroker::new());
    /// let acme = broker.for_tenant(TenantKey::new("acme")?);
    /// let sub = acme.subscribe(&Topic::new("projects:all")?).await?;
    /// assert_eq!(sub.scope().map(TenantKey::as_str), Some("acme"));
    /// # Ok(()) }
    /// ```
    pub fn scope(&self) -> Option<&TenantKey> {
        self.scope.as_deref()
    }

    pub(crate) fn record_decode_error(&self) {
        if let Some(registry) = self.registry.upgrade() {
            registry.record_decode_error();
        }
    }

    /// This subscription's identity, for [`BrokerExt::publish_from`](crate::BrokerExt::publish_from).
    pub fn id(&self) -> SubscriptionId {
        self.queue.id()
    }

    /// Whether this subscription holds `topic`.
    ///
    /// ```
    /// # use pubsub_core::{MemoryBroker, Topic};
    /// let t = Topic::new("t")?;
    /// assert!(MemoryBroker::new().subscribe_now(&t).contains(&t));
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn contains(&self, topic: &Topic) -> bool {
        self.topics.contains(topic)
    }

    /// The topics this subscription holds, in no particular order.
    pub fn topics(&self) -> impl Iterator<Item = &Topic> + '_ {
        self.topics.iter()
    }

    /// How many topics this subscription holds.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    /// How many deliveries are buffered and ready to receive now.
    pub fn len(&self) -> usize {
        let in_rings = self.hot.as_ref().map_or(0, |hot| {
            hot.cursors
                .iter()
                .map(|hot| {
                    hot.cursor.ahead()
                        + hot
                            .track
                            .as_ref()
                            .map_or(0, |track| track.replay_len() as u64)
                })
                .sum::<u64>()
        });
        self.queue.len(&self.hand) + usize::try_from(in_rings).unwrap_or(usize::MAX)
    }

    /// Whether nothing is buffered now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer's capacity: beyond it the oldest message is dropped and reported as lag (0 once
    /// the broker is gone).
    pub fn capacity(&self) -> usize {
        self.registry
            .upgrade()
            .map_or(0, |registry| registry.capacity())
    }

    /// Receives the next delivery: a message, a lag notice, or a gap notice.
    ///
    /// Returns `None` only at the end, and then for good: when the broker is gone and what was
    /// buffered has been received. A subscription that holds no topic (its last one removed)
    /// waits, like one whose topics are quiet: a topic added later is delivered to it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no delivery is lost; use it in
    /// `tokio::select!` freely.
    pub async fn recv(&mut self) -> Option<Delivery<Message>> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Receives a delivery if one is ready now, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing is ready, [`TryRecvError::Closed`] at the end of the
    /// stream.
    pub fn try_recv(&mut self) -> Result<Delivery<Message>, TryRecvError> {
        match self.next_delivery(None) {
            Poll::Ready(Some(delivery)) => Ok(delivery),
            Poll::Ready(None) => Err(TryRecvError::Closed),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Polls for the next delivery (what [`recv`](Self::recv) awaits).
    ///
    /// Spends one unit of tokio's cooperative budget per delivery, as tokio's own channels do: a
    /// subscriber fed without pause yields to its worker now and then instead of starving the
    /// other tasks there.
    #[inline]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Delivery<Message>>> {
        let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        let polled = self.next_delivery(Some(cx.waker()));
        if polled.is_ready() {
            coop.made_progress();
        }
        polled
    }
}

/// The next delivery from one hot topic, if it has one: replayed history first, then its ring;
/// on a topic with history, a lag recovers from the history when it can, and a duplicate of a
/// replayed message is skipped.
fn read_hot(
    hot: &mut HotTopic,
    registry: &Weak<Registry>,
    me: SubscriptionId,
) -> Option<Delivery<Message>> {
    if hot.track.is_none() {
        // A topic without history: the ring's delivery as it is.
        return match hot.cursor.read() {
            Read::Entry(Entry::Message(message)) => Some(Delivery::Message(message)),
            Read::Entry(Entry::Gap) => Some(Delivery::Gap),
            Read::Lagged(missed) => Some(ring_lag(registry.upgrade().as_deref(), missed)),
            Read::Empty => None,
        };
    }
    read_tracked(hot, registry, me)
}

/// A lag notice from a ring, counted.
fn ring_lag(registry: Option<&Registry>, missed: u64) -> Delivery<Message> {
    if let Some(registry) = registry {
        registry.record_ring_lag(missed);
    }
    Delivery::Lagged(missed)
}

/// [`read_hot`] for a topic with history.
#[inline(never)]
fn read_tracked(
    hot: &mut HotTopic,
    registry: &Weak<Registry>,
    me: SubscriptionId,
) -> Option<Delivery<Message>> {
    loop {
        if let Some(delivery) = hot.track.as_mut().and_then(|track| track.pop_replay()) {
            return Some(delivery);
        }
        match hot.cursor.read() {
            Read::Entry(Entry::Message(message)) => match hot.track.as_mut() {
                None => return Some(Delivery::Message(message)),
                Some(track) => match track.accept(message) {
                    Verdict::Deliver(message) => return Some(Delivery::Message(message)),
                    Verdict::Skip => {}
                    Verdict::GapBefore => return Some(Delivery::Gap),
                },
            },
            Read::Entry(Entry::Gap) => {
                if let Some(track) = hot.track.as_mut() {
                    track.gap_given();
                }
                return Some(Delivery::Gap);
            }
            Read::Lagged(missed) => {
                let registry = registry.upgrade();
                let missed = match (hot.track.as_mut(), &registry) {
                    (Some(track), Some(registry)) => {
                        if recover(track, registry, &hot.topic, me) {
                            registry.record_recovery();
                            continue;
                        }
                        unrecovered(track, &mut hot.cursor, missed)
                    }
                    _ => missed,
                };
                return Some(ring_lag(registry.as_deref(), missed));
            }
            Read::Empty => return None,
        }
    }
}

/// The lag count to give for a lag the history could not cover. The ring counts the entries
/// the cursor skipped, which may include messages a recovery already replayed (their live
/// copies still in the ring); the offsets count those between the last given and the next one,
/// which may include the subscriber's own. The smaller is exact unless both happen at once. The
/// next entry is read now to know its offset, and held to be given after the notice.
fn unrecovered(track: &mut Track, cursor: &mut Cursor, missed: u64) -> u64 {
    let last = track.last();
    match cursor.read() {
        Read::Entry(Entry::Message(message)) => {
            let exact = match (last, message.position()) {
                (Some(last), Some(next))
                    if last.epoch == next.epoch && next.offset > last.offset =>
                {
                    missed.min(next.offset - last.offset - 1)
                }
                _ => missed,
            };
            match track.accept(message) {
                Verdict::Deliver(message) => track.hold(Delivery::Message(message)),
                // A replayed message's live copy, or a message of a new epoch (already held):
                // the notice covers what is missing before it.
                Verdict::Skip | Verdict::GapBefore => {}
            }
            exact
        }
        Read::Entry(Entry::Gap) => {
            track.gap_given();
            track.hold(Delivery::Gap);
            missed
        }
        Read::Lagged(more) => missed + more,
        Read::Empty => missed,
    }
}

/// Refills `track` from the node's history after its last position; whether it could.
fn recover(track: &mut Track, registry: &Registry, topic: &Topic, me: SubscriptionId) -> bool {
    let (Some(store), Some(last)) = (registry.history(), track.last()) else {
        return false;
    };
    match store.read_after(topic, last, Some(me)) {
        HistoryRead::Entries(entries) => {
            track.recovered(entries);
            true
        }
        HistoryRead::Unrecoverable(_) | HistoryRead::Missing => false,
    }
}

/// The ring a round of `turn` reads first, of `count`: the rounds take turns, so no hot topic
/// starves the others.
#[inline]
fn first_ring(turn: usize, count: usize) -> usize {
    if count > 1 { turn % count } else { 0 }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            if self.topics.len() == 0 {
                registry.unwatch_idle(self.queue.id());
            }
            for topic in self.topics.iter() {
                registry.remove(topic, self.queue.id());
            }
            registry.subscription_closed();
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.queue.id())
            .field("topics", &self.topics.len())
            .field("buffered", &self.queue.len(&self.hand))
            .finish_non_exhaustive()
    }
}

impl Stream for Subscription {
    type Item = Delivery<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

/// `None` is final: once the broker is gone and the buffer drained, the stream stays ended.
impl FusedStream for Subscription {
    fn is_terminated(&self) -> bool {
        self.queue.is_finished(&self.hand)
            && self.hot.as_ref().is_none_or(|hot| {
                hot.cursors.iter().all(|hot| {
                    hot.cursor.ahead() == 0
                        && hot
                            .track
                            .as_ref()
                            .is_none_or(|track| track.replay_len() == 0)
                })
            })
    }
}
