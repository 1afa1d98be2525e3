//! The bounded per-subscription buffer: drop-oldest with exact lag accounting.
//!
//! Two stages: publishers push into the shared stage under a short lock; the subscriber takes the
//! whole shared stage at once into its own hand (a swap under the same lock) and then receives
//! from its hand without locking. Together the two stages never hold more than `capacity`
//! messages: the swap records how many it moved into the hand before it releases the lock, so a
//! pusher never counts the hand as emptier than it is. When a push finds the stages full, the
//! oldest message of the shared stage is dropped (or, if the shared stage holds none because
//! everything is in hand, the incoming one); either way the dropped messages are the ones just
//! before the next message the shared stage will yield, so the lag notice, given when the
//! subscriber next takes from the shared stage, lands exactly where the hole is. The notice and
//! the messages after the hole are taken in the same step, so after a notice the next receive
//! yields a message, however hard the publisher keeps dropping meanwhile.
//!
//! The queue also carries in-band *joins*: when a topic the subscription holds turns hot, a join
//! marks where in its stream the topic's messages move to the topic's ring. Joins are never
//! dropped and do not count against the capacity.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError};
use std::task::Waker;

use crate::message::Message;
use crate::ring::Ring;
use crate::subscription::{Delivery, SubscriptionId};
use crate::sync::{AtomicU8, AtomicU32, Mutex, MutexGuard, Ordering};
use crate::topic::Topic;

/// One subscription's shared stage, shared between the registry (which pushes) and the
/// subscription (which takes). The lock is held only for a push or a swap, never across an await.
///
/// Kept small (88 bytes, one 112-byte heap chunk with its reference counts): a broker may hold
/// a million. (`State` is 64 bytes; the ready flag sits in the padding beside `in_hand`.)
pub(crate) struct Queue {
    state: Mutex<State>,
    /// How many entries the subscriber still holds in hand (stored by the subscriber, under the
    /// lock at a swap, without it as it receives).
    in_hand: AtomicU32,
    /// [`READY`]: set (under the lock) whenever the shared stage may hold something to take,
    /// so a reader of hot topics skips the lock when it is empty. [`JOINS`]: the shared stage
    /// may hold joins, so removing a topic must look for one of its joins there.
    flags: AtomicU8,
    id: SubscriptionId,
}

struct State {
    items: VecDeque<Slot>,
    /// Messages dropped since the last lag notice.
    missed: u64,
    waker: Option<Waker>,
    /// In hand at the last swap: an upper bound of `in_hand`, read without touching the
    /// subscriber's cache line while there is room.
    taken: u32,
    /// Joins in `items` (they do not count against the capacity). 16 bits keep `State` at 64
    /// bytes; a subscription never waits on that many topics turning hot at once.
    joins: u16,
    /// A gap notice was dropped and is still owed.
    gap_owed: bool,
    closed: bool,
}

/// Flag: the shared stage may hold something to take.
const READY: u8 = 1;
/// Flag: the shared stage may hold joins.
const JOINS: u8 = 2;

/// Where a topic's messages continue in its ring: from `start` on.
pub(crate) struct Join {
    pub(crate) topic: Topic,
    pub(crate) ring: Arc<Ring>,
    pub(crate) start: u64,
}

/// A buffered entry.
pub(crate) enum Slot {
    Message(Message),
    Gap,
    /// Boxed: joins are rare, and a slot then stays the size of a message plus its tag.
    Join(Box<Join>),
}

/// What the subscriber took.
pub(crate) enum Popped {
    Delivery(Delivery<Message>),
    Join(Join),
    /// Nothing now (the waker, if given, is registered).
    Empty,
    /// Closed and drained: the end.
    Closed,
}

impl Slot {
    fn into_popped(self) -> Popped {
        match self {
            Slot::Message(message) => Popped::Delivery(Delivery::Message(message)),
            Slot::Gap => Popped::Delivery(Delivery::Gap),
            Slot::Join(join) => Popped::Join(*join),
        }
    }
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued without loss.
    Queued,
    /// The buffer was full: one message (the oldest in the shared stage, or this one) was
    /// dropped and will be reported to the subscriber.
    Dropped,
    /// The queue is closed; nothing was queued.
    Closed,
}

/// The subscriber's side: what it holds in hand, taken from the shared stage in one swap.
///
/// Boxed and made on the first receive: most subscriptions of a broker with a million per-record
/// topics are idle, and an idle one then carries one word here instead of five.
#[derive(Default)]
pub(crate) struct Hand {
    items: Option<Box<Held>>,
}

/// What the hand holds, and how many of them are joins (which do not count as held messages).
#[derive(Default)]
struct Held {
    items: VecDeque<Slot>,
    joins: usize,
}

impl Hand {
    fn pop(&mut self) -> Option<Slot> {
        let held = self.items.as_mut()?;
        let slot = held.items.pop_front()?;
        if matches!(slot, Slot::Join(_)) {
            held.joins -= 1;
        }
        Some(slot)
    }

    /// Entries held, joins aside.
    fn len(&self) -> usize {
        self.items
            .as_ref()
            .map_or(0, |held| held.items.len() - held.joins)
    }

    /// Whether nothing at all is held, joins included.
    fn is_bare(&self) -> bool {
        self.items.as_ref().is_none_or(|held| held.items.is_empty())
    }
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl Queue {
    pub(crate) fn new(id: SubscriptionId) -> Self {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                missed: 0,
                waker: None,
                taken: 0,
                joins: 0,
                gap_owed: false,
                closed: false,
            }),
            in_hand: AtomicU32::new(0),
            flags: AtomicU8::new(0),
            id,
        }
    }

    /// The subscription this queue belongs to.
    pub(crate) fn id(&self) -> SubscriptionId {
        self.id
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding this lock cannot leave `State` inconsistent: every
        // critical section is a handful of infallible field updates.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `message`, dropping the oldest entry when both stages hold `capacity` (the same for
    /// every queue of a broker, so the registry passes it rather than each queue storing it).
    /// Never blocks on the consumer.
    pub(crate) fn push(&self, message: Message, capacity: usize) -> Pushed {
        self.push_slot(Slot::Message(message), capacity)
    }

    /// Queues a gap notice (messages may have been lost upstream). Consecutive notices merge.
    pub(crate) fn push_gap(&self, capacity: usize) -> Pushed {
        self.push_slot(Slot::Gap, capacity)
    }

    /// Queues a join: `topic` continues in `ring` from `start`. Never dropped. Returns the
    /// subscriber's waker, for the caller to wake once it released its own locks.
    #[must_use]
    pub(crate) fn push_join(&self, join: Join) -> Option<Waker> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        state.items.push_back(Slot::Join(Box::new(join)));
        state.joins = state.joins.saturating_add(1);
        self.flags.fetch_or(READY | JOINS, Ordering::Release);
        state.waker.take()
    }

    /// Drops the joins of `topic` still waiting in either stage (the subscription no longer
    /// holds it, so they would be stale by the time they were read). Costs nothing unless a
    /// join is waiting.
    pub(crate) fn purge_joins(&self, hand: &mut Hand, topic: &Topic) {
        let is_stale = |slot: &Slot| matches!(slot, Slot::Join(join) if join.topic == *topic);
        if let Some(held) = hand.items.as_mut().filter(|held| held.joins > 0) {
            let before = held.items.len();
            held.items.retain(|slot| !is_stale(slot));
            held.joins -= before - held.items.len();
        }
        if self.flags.load(Ordering::Acquire) & JOINS == 0 {
            return;
        }
        let mut state = self.lock();
        let before = state.items.len();
        state.items.retain(|slot| !is_stale(slot));
        let purged = before - state.items.len();
        state.joins = state
            .joins
            .saturating_sub(u16::try_from(purged).unwrap_or(u16::MAX));
    }

    fn push_slot(&self, slot: Slot, capacity: usize) -> Pushed {
        let (waker, pushed) = {
            let mut state = self.lock();
            if state.closed {
                return Pushed::Closed;
            }
            // Whatever happens below leaves something to take (a message or a notice). Read
            // first: while the subscriber is behind the flag is set already, and a plain load
            // spares the publisher a read-modify-write per message.
            if self.flags.load(Ordering::Relaxed) & READY == 0 {
                self.flags.fetch_or(READY, Ordering::Release);
            }
            if matches!(slot, Slot::Gap) && matches!(state.items.back(), Some(Slot::Gap)) {
                return Pushed::Queued;
            }
            let mut pushed = Pushed::Queued;
            if self.is_full(&mut state, capacity) {
                let oldest = state
                    .items
                    .iter()
                    .position(|slot| !matches!(slot, Slot::Join(_)));
                match oldest.and_then(|index| state.items.remove(index)) {
                    Some(Slot::Message(_)) => {
                        state.missed += 1;
                        pushed = Pushed::Dropped;
                    }
                    Some(Slot::Gap) => state.gap_owed = true,
                    Some(Slot::Join(_)) | None => {
                        // Everything buffered is in the subscriber's hand (or a join): the
                        // incoming entry is the one that cannot be kept.
                        match slot {
                            Slot::Message(_) => state.missed += 1,
                            Slot::Gap => state.gap_owed = true,
                            Slot::Join(_) => {}
                        }
                        return Pushed::Dropped;
                    }
                }
            }
            state.items.push_back(slot);
            (state.waker.take(), pushed)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        pushed
    }

    /// Whether both stages together hold `capacity` entries (joins aside).
    fn is_full(&self, state: &mut State, capacity: usize) -> bool {
        let shared = state.items.len() - usize::from(state.joins);
        if shared + (state.taken as usize) < capacity {
            return false;
        }
        // The bound says full; ask the subscriber how much it really still holds.
        state.taken = self.in_hand.load(Ordering::Relaxed);
        shared + state.taken as usize >= capacity
    }

    /// Marks the queue closed: what is buffered can still be received, then the end.
    pub(crate) fn close(&self) {
        let waker = {
            let mut state = self.lock();
            state.closed = true;
            self.flags.fetch_or(READY, Ordering::Release);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Moves the whole shared stage into the hand (whose empty buffer comes back, keeping its
    /// capacity), and records the hand's size before the lock is released.
    fn take_stage(&self, state: &mut State, hand: &mut Hand) {
        let held = hand.items.get_or_insert_with(Box::default);
        std::mem::swap(&mut state.items, &mut held.items);
        held.joins += usize::from(state.joins);
        state.joins = 0;
        state.taken = count(held.items.len() - held.joins);
        self.in_hand.store(state.taken, Ordering::Relaxed);
        let ready = state.missed > 0 || state.gap_owed || state.closed;
        self.flags
            .store(if ready { READY } else { 0 }, Ordering::Relaxed);
    }

    /// What `f` makes of the message first in hand, taken only when `f` gives `Ok` (else it
    /// stays first); `None` when the hand holds no message first: [`pop`](Self::pop) then
    /// looks. The receive path's common case, inlined into it.
    #[inline]
    pub(crate) fn pop_message_with<T>(
        &self,
        hand: &mut Hand,
        f: impl FnOnce(Message) -> Result<T, Message>,
    ) -> Option<T> {
        let held = hand.items.as_mut()?;
        if !matches!(held.items.front(), Some(Slot::Message(_))) {
            return None;
        }
        let Some(Slot::Message(message)) = held.items.pop_front() else {
            return None;
        };
        match f(message) {
            Ok(made) => {
                self.record_in_hand(hand);
                Some(made)
            }
            Err(message) => {
                held.items.push_front(Slot::Message(message));
                None
            }
        }
    }

    /// The next entry; `Closed` once closed and drained. When nothing is ready, `waker` (if
    /// any) is woken by the next push, join, ring entry or closing.
    pub(crate) fn pop(&self, hand: &mut Hand, waker: Option<&Waker>) -> Popped {
        if let Some(slot) = hand.pop() {
            self.record_in_hand(hand);
            return slot.into_popped();
        }
        if waker.is_none() && self.flags.load(Ordering::Acquire) & READY == 0 {
            // Nothing was pushed since the stage was last found empty (a waiting reader checks
            // again under the lock in `park`).
            return Popped::Empty;
        }
        let mut state = self.lock();
        if state.gap_owed {
            state.gap_owed = false;
            if state.missed == 0 && !state.items.is_empty() {
                self.take_stage(&mut state, hand);
            }
            return Popped::Delivery(Delivery::Gap);
        }
        if state.missed > 0 {
            let missed = std::mem::take(&mut state.missed);
            if !state.items.is_empty() {
                self.take_stage(&mut state, hand);
            }
            return Popped::Delivery(Delivery::Lagged(missed));
        }
        if state.items.is_empty() {
            if state.closed {
                return Popped::Closed;
            }
            self.flags.fetch_and(!READY, Ordering::Relaxed);
            if let Some(waker) = waker {
                if !state.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    state.waker = Some(waker.clone());
                }
            }
            return Popped::Empty;
        }
        self.take_stage(&mut state, hand);
        drop(state);
        let slot = hand.pop();
        self.record_in_hand(hand);
        slot.map_or(Popped::Empty, Slot::into_popped)
    }

    /// Registers `waker` to be woken by the next push, join, ring entry or closing, unless
    /// something arrived meanwhile (then `false`: pop again).
    pub(crate) fn park(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        if !state.items.is_empty() || state.missed > 0 || state.gap_owed || state.closed {
            return false;
        }
        if !state.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            state.waker = Some(waker.clone());
        }
        true
    }

    fn record_in_hand(&self, hand: &Hand) {
        self.in_hand.store(count(hand.len()), Ordering::Relaxed);
    }

    /// Entries waiting to be received, in hand and shared, notices included (joins are not).
    pub(crate) fn len(&self, hand: &Hand) -> usize {
        let state = self.lock();
        hand.len() + state.items.len() - usize::from(state.joins)
            + usize::from(state.missed > 0)
            + usize::from(state.gap_owed)
    }

    /// Entries held in both stages (messages and gap notices, not joins or lag counts): what the
    /// capacity bounds.
    #[cfg(all(test, pubsub_loom))]
    pub(crate) fn buffered(&self, hand: &Hand) -> usize {
        let state = self.lock();
        hand.len() + state.items.len() - usize::from(state.joins)
    }

    /// Whether the stream has ended: closed, and nothing left to receive.
    pub(crate) fn is_finished(&self, hand: &Hand) -> bool {
        let state = self.lock();
        state.closed
            && hand.is_bare()
            && state.items.is_empty()
            && state.missed == 0
            && !state.gap_owed
    }
}

#[cfg(test)]
mod tests;
