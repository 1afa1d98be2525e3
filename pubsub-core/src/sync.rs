//! The synchronisation primitives of the hand-written concurrent structures (`queue`, `ring`):
//! std's, or loom's when the crate is built with `--cfg pubsub_loom` for model checking.

#[cfg(not(pubsub_loom))]
pub(crate) use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(not(pubsub_loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(pubsub_loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(pubsub_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

/// A write-once cell: std's `OnceLock` (a lock-free read), or a mutex under loom, which has no
/// `OnceLock`.
#[cfg(not(pubsub_loom))]
pub(crate) type Once<T> = std::sync::OnceLock<T>;

#[cfg(pubsub_loom)]
#[derive(Debug)]
pub(crate) struct Once<T>(loom::sync::Mutex<Option<T>>);

#[cfg(pubsub_loom)]
impl<T: Clone> Once<T> {
    pub(crate) fn new() -> Self {
        Once(loom::sync::Mutex::new(None))
    }

    /// The value, cloned (loom cannot lend it out of the mutex).
    pub(crate) fn get_cloned(&self) -> Option<T> {
        self.0.lock().unwrap().clone()
    }

    pub(crate) fn set(&self, value: T) -> Result<(), T> {
        let mut slot = self.0.lock().unwrap();
        if slot.is_some() {
            return Err(value);
        }
        *slot = Some(value);
        Ok(())
    }
}

/// The value of a write-once cell, cloned.
#[cfg(not(pubsub_loom))]
pub(crate) fn once_get<T: Clone>(cell: &Once<T>) -> Option<T> {
    cell.get().cloned()
}

#[cfg(pubsub_loom)]
pub(crate) fn once_get<T: Clone>(cell: &Once<T>) -> Option<T> {
    cell.get_cloned()
}

/// What `f` makes of a write-once cell's value, if it is set: a lock-free read without a clone
/// unless `f` makes one (under loom, under the cell's mutex).
#[cfg(not(pubsub_loom))]
#[inline]
pub(crate) fn once_with<T, R>(cell: &Once<T>, f: impl FnOnce(&T) -> Option<R>) -> Option<R> {
    cell.get().and_then(f)
}

#[cfg(pubsub_loom)]
pub(crate) fn once_with<T, R>(cell: &Once<T>, f: impl FnOnce(&T) -> Option<R>) -> Option<R> {
    cell.0.lock().unwrap().as_ref().and_then(f)
}
