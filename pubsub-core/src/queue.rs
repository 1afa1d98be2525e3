//! The bounded per-subscription buffer: drop-oldest with exact lag accounting.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::message::Message;
use crate::subscription::{Delivery, TryRecvError};

/// One subscription's buffer, shared between the registry (which pushes) and the subscription
/// (which pops). The lock is held only for a push or a pop, never across an await.
pub(crate) struct Queue {
    state: Mutex<State>,
    capacity: usize,
}

struct State {
    items: VecDeque<Slot>,
    /// Messages dropped from the front since the last lag notice.
    missed: u64,
    /// A gap notice was dropped from the front and is still owed.
    gap_owed: bool,
    waker: Option<Waker>,
    closed: bool,
}

enum Slot {
    Message(Message),
    Gap,
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued without loss.
    Queued,
    /// Queued after dropping the oldest message (the subscriber will be told).
    QueuedDroppingOldest,
    /// The queue is closed; nothing was queued.
    Closed,
}

impl Queue {
    pub(crate) fn new(capacity: usize) -> Self {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                missed: 0,
                gap_owed: false,
                waker: None,
                closed: false,
            }),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding this lock cannot leave `State` inconsistent: every
        // critical section is a handful of infallible field updates.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `message`, dropping the oldest entry when full. Never blocks on the consumer.
    pub(crate) fn push(&self, message: Message) -> Pushed {
        self.push_slot(Slot::Message(message))
    }

    /// Queues a gap notice (messages may have been lost upstream). Consecutive notices merge.
    pub(crate) fn push_gap(&self) -> Pushed {
        self.push_slot(Slot::Gap)
    }

    fn push_slot(&self, slot: Slot) -> Pushed {
        let (waker, pushed) = {
            let mut state = self.lock();
            if state.closed {
                return Pushed::Closed;
            }
            if matches!(slot, Slot::Gap) && matches!(state.items.back(), Some(Slot::Gap)) {
                return Pushed::Queued;
            }
            let mut pushed = Pushed::Queued;
            if state.items.len() >= self.capacity {
                match state.items.pop_front() {
                    Some(Slot::Message(_)) => {
                        state.missed += 1;
                        pushed = Pushed::QueuedDroppingOldest;
                    }
                    Some(Slot::Gap) => state.gap_owed = true,
                    None => {}
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

    /// The next delivery. `idle` says the queue can receive nothing more once empty (its
    /// subscription holds no topic), so an empty queue then ends the stream instead of waiting.
    pub(crate) fn poll_pop(
        &self,
        cx: &mut Context<'_>,
        idle: bool,
    ) -> Poll<Option<Delivery<Message>>> {
        let mut state = self.lock();
        if state.gap_owed {
            state.gap_owed = false;
            return Poll::Ready(Some(Delivery::Gap));
        }
        if state.missed > 0 {
            let missed = std::mem::take(&mut state.missed);
            return Poll::Ready(Some(Delivery::Lagged(missed)));
        }
        match state.items.pop_front() {
            Some(Slot::Message(message)) => Poll::Ready(Some(Delivery::Message(message))),
            Some(Slot::Gap) => Poll::Ready(Some(Delivery::Gap)),
            None if state.closed || idle => Poll::Ready(None),
            None => {
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }

    /// A delivery if one is ready now, without registering a waker.
    pub(crate) fn try_pop(&self, idle: bool) -> Result<Delivery<Message>, TryRecvError> {
        match self.poll_pop(&mut Context::from_waker(Waker::noop()), idle) {
            Poll::Ready(Some(delivery)) => Ok(delivery),
            Poll::Ready(None) => Err(TryRecvError::Closed),
            Poll::Pending => {
                self.lock().waker = None;
                Err(TryRecvError::Empty)
            }
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Messages and notices waiting to be received.
    pub(crate) fn len(&self) -> usize {
        let state = self.lock();
        state.items.len() + usize::from(state.missed > 0) + usize::from(state.gap_owed)
    }
}
