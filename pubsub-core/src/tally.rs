//! The broker's publish counters (published, delivered, lagged): bumped on every publish, read
//! only by [`stats`](crate::MemoryBroker::stats).
//!
//! Each of the first [`SLOTS`] threads that ever count gets a slot of its own (in every tally:
//! the index is the thread's, process-wide) and is the only one to write it, so a bump is a
//! plain load and store, not a read-modify-write: an atomic add is the single largest cost of a
//! publish to one subscriber after the locks it cannot avoid (two adds were 6-20% of the fan-out
//! at N = 1). Threads past the first [`SLOTS`] (a process that keeps making new threads) share
//! one atomic add per counter: still exact, only slower. A read sums the slots: each only
//! grows, so the sum does too.

use std::sync::atomic::AtomicUsize;

use crate::sync::{AtomicU64, Ordering};

/// Threads with a slot of their own.
pub(crate) const SLOTS: usize = 32;

/// One publish's counts, in the order of the slots' values.
const PUBLISHED: usize = 0;
const DELIVERED: usize = 1;
const LAGGED: usize = 2;

/// One thread's counters: a cache line and its neighbour of their own, so threads do not share
/// lines (nor the pair a prefetcher moves together).
#[repr(align(128))]
#[derive(Default)]
struct Slot([AtomicU64; 3]);

/// Counters of one broker (see the module docs).
pub(crate) struct Tally {
    slots: Box<[Slot]>,
    shared: Slot,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            slots: (0..SLOTS).map(|_| Slot::default()).collect(),
            shared: Slot::default(),
        }
    }
}

/// What a read of a [`Tally`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    pub(crate) published: u64,
    pub(crate) delivered: u64,
    pub(crate) lagged: u64,
}

impl Tally {
    /// Counts one publish that reached `delivered` subscriptions, `lagged` of them dropping a
    /// message to make room.
    pub(crate) fn publish(&self, delivered: u64, lagged: u64) {
        if let Some(slot) = self.slots.get(thread_index()) {
            bump(&slot.0[PUBLISHED], 1);
            if delivered > 0 {
                bump(&slot.0[DELIVERED], delivered);
            }
            if lagged > 0 {
                bump(&slot.0[LAGGED], lagged);
            }
        } else {
            self.shared.0[PUBLISHED].fetch_add(1, Ordering::Relaxed);
            if delivered > 0 {
                self.shared.0[DELIVERED].fetch_add(delivered, Ordering::Relaxed);
            }
            if lagged > 0 {
                self.shared.0[LAGGED].fetch_add(lagged, Ordering::Relaxed);
            }
        }
    }

    /// The counts so far.
    pub(crate) fn read(&self) -> Counts {
        let mut counts = Counts::default();
        for slot in self.slots.iter().chain(std::iter::once(&self.shared)) {
            counts.published += slot.0[PUBLISHED].load(Ordering::Relaxed);
            counts.delivered += slot.0[DELIVERED].load(Ordering::Relaxed);
            counts.lagged += slot.0[LAGGED].load(Ordering::Relaxed);
        }
        counts
    }
}

/// Adds `n` to a value only this thread writes: a load and a store.
fn bump(value: &AtomicU64, n: u64) {
    value.store(value.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

/// This thread's index, given on its first count and never reused.
#[cfg(not(pubsub_loom))]
fn thread_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    INDEX.with(|index| *index)
}

/// Under loom: each modelled thread's index, from a counter made afresh in every execution
/// (loom runs a model many times in one process).
#[cfg(pubsub_loom)]
fn thread_index() -> usize {
    loom::lazy_static! {
        static ref NEXT: AtomicUsize = AtomicUsize::new(0);
    }
    loom::thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    INDEX.with(|index| *index)
}

#[cfg(all(test, not(pubsub_loom)))]
mod tests;
