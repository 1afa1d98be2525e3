//! A hot topic's shared ring: each message is written once, and every subscriber reads it with a
//! cursor of its own, as `tokio::sync::broadcast` does.
//!
//! A topic held by many subscriptions (an `all` list every admin screen shows) would otherwise
//! cost its publisher one lock and push per subscriber. Here a publish appends one entry, under
//! the ring's lock, and wakes only the subscribers that are waiting; a reader takes an entry with
//! one lock-free load of a write-once slot.
//!
//! Entries are numbered (offsets from 1, +1 per entry) and stored in chunks of [`CHUNK`]
//! write-once slots, allocated as the ring fills. A ring keeps its last `capacity` entries
//! readable, exactly as a subscription's own buffer keeps its last `capacity` messages: a reader
//! whose next offset has fallen below the oldest readable one is told exactly how many it missed
//! and continues with the oldest kept, so received + missed == published, per reader, as on the
//! per-subscription path. Chunks wholly below the oldest readable offset are freed; a reader
//! holds at most the one chunk it is reading.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, PoisonError};
use std::task::Waker;

use foldhash::fast::RandomState;

use crate::message::Message;
use crate::subscription::SubscriptionId;
use crate::sync::{AtomicU64, Mutex, MutexGuard, Once, Ordering, once_get};

/// Slots per chunk.
pub(crate) const CHUNK: u64 = 32;

/// What a ring holds at an offset.
#[derive(Clone)]
pub(crate) enum Entry {
    Message(Message),
    /// Messages may have been lost here (a network backend's gap notice).
    Gap,
}

/// A run of [`CHUNK`] write-once slots, the entries from `base` on.
pub(crate) struct Chunk {
    base: u64,
    slots: Box<[Once<Entry>]>,
}

impl Chunk {
    fn new(base: u64) -> Self {
        Chunk {
            base,
            slots: (0..CHUNK).map(|_| Once::new()).collect(),
        }
    }

    fn holds(&self, offset: u64) -> bool {
        offset >= self.base && offset < self.base + CHUNK
    }

    fn get(&self, offset: u64) -> Option<Entry> {
        // `holds` was checked: the index is below CHUNK.
        #[allow(clippy::cast_possible_truncation)]
        let index = (offset - self.base) as usize;
        once_get(&self.slots[index])
    }
}

struct State {
    /// Chunks from the oldest still holding a readable entry to the newest.
    chunks: VecDeque<Arc<Chunk>>,
    /// The offset the next entry gets.
    next: u64,
    /// Readers waiting for the next entry, each listed once per entry (unless its task changed).
    waiters: Vec<Waker>,
    /// Per subscriber that published here with `publish_from`: its entries, so that a lag
    /// notice does not count the ones it would have skipped anyway.
    own: HashMap<SubscriptionId, Own, RandomState>,
}

/// One subscriber's own entries in a ring.
#[derive(Default)]
struct Own {
    /// Offsets of its entries still readable (at or above `oldest`), in order.
    readable: VecDeque<u64>,
    /// How many of its entries have dropped below `oldest`.
    dropped: u64,
}

/// One hot topic's ring.
pub(crate) struct Ring {
    state: Mutex<State>,
    /// The oldest readable offset (entries below it count as dropped); only grows.
    oldest: AtomicU64,
    capacity: u64,
}

/// What a reader found.
pub(crate) enum Read {
    /// The entry at the reader's offset (the reader moved past it).
    Entry(Entry),
    /// This many entries were dropped before the reader's offset; it now points at the oldest
    /// kept. The next read yields an entry if one is there.
    Lagged(u64),
    /// Nothing new yet.
    Empty,
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Self {
        Ring {
            state: Mutex::new(State {
                chunks: VecDeque::new(),
                next: 1,
                waiters: Vec::new(),
                own: HashMap::default(),
            }),
            oldest: AtomicU64::new(1),
            capacity: capacity.max(1) as u64,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent (infallible field updates).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The offset the next entry will get: where a new reader starts.
    pub(crate) fn next_offset(&self) -> u64 {
        self.lock().next
    }

    /// Appends `entry` and wakes the waiting readers. Never waits for a reader. `own` is the
    /// entry's origin when that origin reads this ring (it skips the entry; its lag notices
    /// must not count it).
    pub(crate) fn push(&self, entry: Entry, own: Option<SubscriptionId>) {
        let waiters = {
            let mut state = self.lock();
            let offset = state.next;
            if !state.chunks.back().is_some_and(|chunk| chunk.holds(offset)) {
                state.chunks.push_back(Arc::new(Chunk::new(offset)));
            }
            if let Some(chunk) = state.chunks.back() {
                #[allow(clippy::cast_possible_truncation)]
                let index = (offset - chunk.base) as usize;
                // The slot is fresh: each offset is written once.
                let _ = chunk.slots[index].set(entry);
            }
            if let Some(id) = own {
                state.own.entry(id).or_default().readable.push_back(offset);
            }
            state.next = offset + 1;
            let oldest = (state.next.saturating_sub(self.capacity)).max(1);
            if oldest > self.oldest.load(Ordering::Relaxed) {
                // Published before the chunks it frees are dropped, so a reader that finds its
                // chunk gone also finds itself behind `oldest`.
                self.oldest.store(oldest, Ordering::Release);
                while state
                    .chunks
                    .front()
                    .is_some_and(|chunk| chunk.base + CHUNK <= oldest)
                {
                    state.chunks.pop_front();
                }
                for own in state.own.values_mut() {
                    while own.readable.front().is_some_and(|&o| o < oldest) {
                        own.readable.pop_front();
                        own.dropped += 1;
                    }
                }
            }
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }

    /// Forgets what `id` published here (it no longer reads this ring).
    pub(crate) fn forget(&self, id: SubscriptionId) {
        self.lock().own.remove(&id);
    }
}

/// A subscriber's position in one ring.
pub(crate) struct Cursor {
    ring: Arc<Ring>,
    /// The chunk holding `next`, once found.
    chunk: Option<Arc<Chunk>>,
    /// The offset of the next entry to read.
    next: u64,
    /// The ring's `next` when this cursor last listed a waker, and which: listed again only
    /// after a push has emptied the list, or for another task.
    listed: u64,
    listed_waker: Option<Waker>,
    /// The entry read together with a lag notice, given by the next read: after a notice, a
    /// reader always gets a message, however fast the writer drops entries meanwhile.
    stash: Option<Entry>,
    /// How many of the reader's own entries lie below `next` (passed, or counted in a notice).
    own_passed: u64,
}

/// What one attempt at the cursor's offset found.
enum Taken {
    Entry(Entry),
    Empty,
    /// The entry's chunk was freed meanwhile: the cursor is behind `oldest`.
    Evicted,
}

impl Cursor {
    /// A cursor reading `ring` from `next` on.
    pub(crate) fn new(ring: Arc<Ring>, next: u64) -> Self {
        Cursor {
            ring,
            chunk: None,
            next,
            listed: 0,
            listed_waker: None,
            stash: None,
            own_passed: 0,
        }
    }

    pub(crate) fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    /// Entries readable ahead of this cursor (for `Subscription::len`), a lag notice counting
    /// as one.
    pub(crate) fn ahead(&self) -> u64 {
        let next = self.ring.lock().next;
        let oldest = self.ring.oldest.load(Ordering::Acquire);
        let notice = u64::from(self.next < oldest);
        u64::from(self.stash.is_some()) + notice + next.saturating_sub(self.next.max(oldest))
    }

    /// Reads the next entry for subscriber `me` (its own entries are skipped), or says how
    /// many were dropped before it (the entry after the hole then comes with the next read).
    pub(crate) fn read(&mut self, me: SubscriptionId) -> Read {
        if let Some(entry) = self.stash.take() {
            return Read::Entry(entry);
        }
        let mut missed = 0;
        loop {
            if self.next < self.ring.oldest.load(Ordering::Acquire) {
                missed += self.skip_to_oldest(me);
            }
            match self.take() {
                Taken::Entry(Entry::Message(message)) if message.origin() == Some(me) => {
                    self.own_passed += 1;
                }
                Taken::Entry(entry) if missed > 0 => {
                    self.stash = Some(entry);
                    return Read::Lagged(missed);
                }
                Taken::Entry(entry) => return Read::Entry(entry),
                Taken::Empty if missed > 0 => return Read::Lagged(missed),
                Taken::Empty => return Read::Empty,
                Taken::Evicted => {}
            }
        }
    }

    /// Moves a cursor that fell behind to the oldest readable entry; returns how many entries
    /// for `me` it skipped (its own ones are not counted).
    fn skip_to_oldest(&mut self, me: SubscriptionId) -> u64 {
        let state = self.ring.lock();
        // Under the lock `oldest` and the own-entry books agree.
        let oldest = self.ring.oldest.load(Ordering::Acquire);
        let skipped = oldest.saturating_sub(self.next);
        let own_below = state.own.get(&me).map_or(0, |own| own.dropped);
        let own_skipped = own_below.saturating_sub(self.own_passed);
        self.own_passed = self.own_passed.max(own_below);
        self.next = self.next.max(oldest);
        self.chunk = None;
        skipped - own_skipped.min(skipped)
    }

    fn take(&mut self) -> Taken {
        if !self
            .chunk
            .as_ref()
            .is_some_and(|chunk| chunk.holds(self.next))
        {
            let state = self.ring.lock();
            if self.next >= state.next {
                return Taken::Empty;
            }
            let Some(front) = state.chunks.front() else {
                return Taken::Empty;
            };
            if self.next < front.base {
                return Taken::Evicted;
            }
            #[allow(clippy::cast_possible_truncation)]
            let index = ((self.next - front.base) / CHUNK) as usize;
            self.chunk = state.chunks.get(index).cloned();
        }
        match self.chunk.as_ref().and_then(|chunk| chunk.get(self.next)) {
            Some(entry) => {
                self.next += 1;
                Taken::Entry(entry)
            }
            None => Taken::Empty,
        }
    }

    /// Lists `waker` to be woken by the ring's next push, unless something is already there to
    /// read (then `false`: read again instead of waiting).
    pub(crate) fn wait(&mut self, waker: &Waker) -> bool {
        if self.stash.is_some() {
            return false;
        }
        let mut state = self.ring.lock();
        if state.next > self.next || self.next < self.ring.oldest.load(Ordering::Acquire) {
            return false;
        }
        let listed = self.listed == state.next
            && self
                .listed_waker
                .as_ref()
                .is_some_and(|w| w.will_wake(waker));
        if !listed {
            state.waiters.push(waker.clone());
            self.listed = state.next;
            self.listed_waker = Some(waker.clone());
        }
        true
    }
}

#[cfg(test)]
mod tests;
