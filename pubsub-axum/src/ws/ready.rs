//! Which of a writer's joins were woken since it last looked. Each join's subscription is
//! polled with a waker of its own, which queues the join's key and wakes the writer: a
//! wake-up then polls the joins that have something, not every join of the connection (up to
//! [`max_joins`](super::Channels::max_joins) of them).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Wake, Waker};

/// The keys of the joins woken since the writer last took them, in the order they were
/// woken, and the writer's waker.
#[derive(Debug, Default)]
pub(crate) struct Ready {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    woken: VecDeque<u64>,
    writer: Option<Waker>,
}

impl Ready {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Each critical section is a push or a swap: a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `writer` to be woken by the next join woken, and moves the keys woken so far
    /// to the end of `into`, oldest first.
    pub(crate) fn take(&self, writer: &Waker, into: &mut VecDeque<u64>) {
        let mut state = self.lock();
        if !state.writer.as_ref().is_some_and(|w| w.will_wake(writer)) {
            state.writer = Some(writer.clone());
        }
        into.extend(state.woken.drain(..));
    }

    /// Queues `key`; the writer is woken when the queue was empty (else it was woken already
    /// and has not looked yet). Woken under the lock, by reference: a wake only schedules the
    /// writer's task, and no waker is cloned.
    fn push(&self, key: u64) {
        let mut state = self.lock();
        state.woken.push_back(key);
        if state.woken.len() == 1 {
            if let Some(writer) = &state.writer {
                writer.wake_by_ref();
            }
        }
    }
}

/// One join's waker: queues the join in its writer's [`Ready`] once until the writer polls it
/// again.
#[derive(Debug)]
pub(crate) struct JoinWaker {
    key: u64,
    /// Queued and not polled since: further wakes add nothing.
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl JoinWaker {
    /// The waker of the join with `key`, and the handle the writer marks it polled with. It is
    /// made queued: the writer polls a new join first thing (it may hold replayed deliveries,
    /// which no wake announces) and keeps its key in its own list meanwhile.
    pub(crate) fn new(key: u64, ready: &Arc<Ready>) -> (Arc<JoinWaker>, Waker) {
        let join = Arc::new(JoinWaker {
            key,
            queued: AtomicBool::new(true),
            ready: Arc::clone(ready),
        });
        let waker = Waker::from(Arc::clone(&join));
        (join, waker)
    }

    /// Marks the join as being polled: a wake from now on queues it again.
    pub(crate) fn polling(&self) {
        self.queued.store(false, Ordering::Release);
    }

    /// Marks the join as queued in the writer's own list (it stopped at a full batch with
    /// deliveries left): a wake meanwhile adds nothing.
    pub(crate) fn requeued(&self) {
        self.queued.store(true, Ordering::Release);
    }
}

impl Wake for JoinWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.ready.push(self.key);
        }
    }
}
