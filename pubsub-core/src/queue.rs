//! The bounded per-subscription buffer: drop-oldest with exact lag accounting.
//!
//! Two stages: publishers push into the shared stage under a short lock; the subscriber takes the
//! whole shared stage at once into its own hand (a swap under the same lock) and then receives
//! from its hand without locking. Together the two stages never hold more than `capacity`
//! messages. When a push finds them full, the oldest message of the shared stage is dropped (or,
//! if the shared stage is empty because everything is in hand, the incoming one); either way the
//! dropped messages are the ones just before the next message the shared stage will yield, so
//! the lag notice, given when the subscriber next takes from the shared stage, lands exactly where
//! the hole is.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::message::Message;
use crate::subscription::{Delivery, SubscriptionId, TryRecvError};

/// One subscription's shared stage, shared between the registry (which pushes) and the
/// subscription (which takes). The lock is held only for a push or a swap, never across an await.
///
/// Kept small (88 bytes, one 112-byte heap chunk with its reference counts): a broker may hold
/// a million.
pub(crate) struct Queue {
    state: Mutex<State>,
    /// How many messages the subscriber still holds in hand (written by the subscriber only).
    in_hand: AtomicU32,
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
    /// A gap notice was dropped and is still owed.
    gap_owed: bool,
    closed: bool,
}

/// A buffered entry.
pub(crate) enum Slot {
    Message(Message),
    Gap,
}

impl Slot {
    fn into_delivery(self) -> Delivery<Message> {
        match self {
            Slot::Message(message) => Delivery::Message(message),
            Slot::Gap => Delivery::Gap,
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
/// topics are idle, and an idle one then carries one word here instead of four.
#[derive(Default)]
pub(crate) struct Hand {
    // Reason: the box is the point (see above).
    #[allow(clippy::box_collection)]
    items: Option<Box<VecDeque<Slot>>>,
}

impl Hand {
    fn pop(&mut self) -> Option<Slot> {
        self.items.as_mut()?.pop_front()
    }

    fn len(&self) -> usize {
        self.items.as_ref().map_or(0, |items| items.len())
    }
}

impl Queue {
    pub(crate) fn new(id: SubscriptionId) -> Self {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                missed: 0,
                waker: None,
                taken: 0,
                gap_owed: false,
                closed: false,
            }),
            in_hand: AtomicU32::new(0),
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

    fn push_slot(&self, slot: Slot, capacity: usize) -> Pushed {
        let (waker, pushed) = {
            let mut state = self.lock();
            if state.closed {
                return Pushed::Closed;
            }
            if matches!(slot, Slot::Gap) && matches!(state.items.back(), Some(Slot::Gap)) {
                return Pushed::Queued;
            }
            let mut pushed = Pushed::Queued;
            if self.is_full(&mut state, capacity) {
                match state.items.pop_front() {
                    Some(Slot::Message(_)) => {
                        state.missed += 1;
                        pushed = Pushed::Dropped;
                    }
                    Some(Slot::Gap) => state.gap_owed = true,
                    None => {
                        // Everything buffered is in the subscriber's hand: the incoming entry is
                        // the one that cannot be kept.
                        match slot {
                            Slot::Message(_) => state.missed += 1,
                            Slot::Gap => state.gap_owed = true,
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

    /// Whether both stages together hold `capacity` entries.
    fn is_full(&self, state: &mut State, capacity: usize) -> bool {
        if state.items.len() + (state.taken as usize) < capacity {
            return false;
        }
        // The bound says full; ask the subscriber how much it really still holds.
        state.taken = self.in_hand.load(Ordering::Relaxed);
        state.items.len() + state.taken as usize >= capacity
    }

    /// Marks the queue closed: what is buffered can still be received, then the end.
    pub(crate) fn close(&self) {
        let waker = {
            let mut state = self.lock();
            state.closed = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The next delivery; `None` once closed and drained. When nothing is ready, `waker` (if
    /// any) is woken by the next push or by closing.
    fn pop(&self, hand: &mut Hand, waker: Option<&Waker>) -> Poll<Option<Delivery<Message>>> {
        if let Some(slot) = hand.pop() {
            self.record_in_hand(hand);
            return Poll::Ready(Some(slot.into_delivery()));
        }
        let mut state = self.lock();
        if state.gap_owed {
            state.gap_owed = false;
            return Poll::Ready(Some(Delivery::Gap));
        }
        if state.missed > 0 {
            let missed = std::mem::take(&mut state.missed);
            return Poll::Ready(Some(Delivery::Lagged(missed)));
        }
        if state.items.is_empty() {
            if state.closed {
                return Poll::Ready(None);
            }
            if let Some(waker) = waker {
                if !state.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    state.waker = Some(waker.clone());
                }
            }
            return Poll::Pending;
        }
        // Take the whole shared stage; the hand's (empty) buffer goes back, keeping its capacity.
        let in_hand = hand.items.get_or_insert_with(Box::default);
        std::mem::swap(&mut state.items, in_hand);
        state.taken = u32::try_from(in_hand.len()).unwrap_or(u32::MAX);
        drop(state);
        let slot = hand.pop();
        self.record_in_hand(hand);
        Poll::Ready(slot.map(Slot::into_delivery))
    }

    fn record_in_hand(&self, hand: &Hand) {
        self.in_hand.store(
            u32::try_from(hand.len()).unwrap_or(u32::MAX),
            Ordering::Relaxed,
        );
    }

    /// A delivery if one is ready now, without registering a waker.
    pub(crate) fn try_pop(&self, hand: &mut Hand) -> Result<Delivery<Message>, TryRecvError> {
        match self.pop(hand, None) {
            Poll::Ready(Some(delivery)) => Ok(delivery),
            Poll::Ready(None) => Err(TryRecvError::Closed),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Polls for the next delivery, registering `cx`'s waker when nothing is ready.
    pub(crate) fn poll_pop(
        &self,
        hand: &mut Hand,
        cx: &Context<'_>,
    ) -> Poll<Option<Delivery<Message>>> {
        self.pop(hand, Some(cx.waker()))
    }

    /// Whether the stream has ended: closed, and nothing left to receive.
    pub(crate) fn is_finished(&self, hand: &Hand) -> bool {
        let state = self.lock();
        state.closed
            && hand.len() == 0
            && state.items.is_empty()
            && state.missed == 0
            && !state.gap_owed
    }

    /// Messages and notices waiting to be received, in hand and shared.
    pub(crate) fn len(&self, hand: &Hand) -> usize {
        let state = self.lock();
        hand.len() + state.items.len() + usize::from(state.missed > 0) + usize::from(state.gap_owed)
    }
}
