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
//! whose next offset has fallen below the oldest readable one is told exactly how many messages
//! it missed (its own `publish_from` entries and gap markers are not counted as messages; a
//! dropped gap marker is still given as a gap) and continues with the oldest kept, so received +
//! missed == published, per reader, as on the per-subscription path. Chunks wholly below the
//! oldest readable offset are freed; a reader holds at most the one chunk it is reading. Unlike
//! `broadcast`, an entry stays in the ring after every reader has read it, until it is among the
//! oldest beyond `capacity` (the slots are write-once).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, PoisonError};
use std::task::Waker;

use foldhash::fast::RandomState;

use crate::message::Message;
use crate::subscription::SubscriptionId;
use crate::sync::{AtomicU64, Mutex, MutexGuard, Once, Ordering, once_get, once_with};

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

    /// What `f` makes of the entry at `offset` (`holds` checked) when it is a message and not
    /// `me`'s own; nothing is cloned unless `f` clones.
    #[inline]
    fn message_for<T>(
        &self,
        offset: u64,
        me: SubscriptionId,
        f: impl FnOnce(&Message) -> Option<T>,
    ) -> Option<T> {
        #[allow(clippy::cast_possible_truncation)]
        let index = (offset - self.base) as usize;
        once_with(&self.slots[index], |entry| match entry {
            Entry::Message(message) if message.origin() != Some(me) => f(message),
            _ => None,
        })
    }
}

/// Entries that are not messages for some reader: bookkept so lag counts stay exact.
#[derive(Default)]
struct Books {
    /// Offsets of the readable ones, in ring order, with whose they are (`None`: a gap marker).
    readable: VecDeque<(u64, Option<SubscriptionId>)>,
    /// Own entries dropped below `oldest`, per subscriber still reading.
    own_dropped: HashMap<SubscriptionId, u64, RandomState>,
    /// Gap markers dropped below `oldest`.
    gaps_dropped: u64,
}

impl Books {
    fn drop_below(&mut self, oldest: u64) {
        while let Some(&(offset, whose)) = self.readable.front() {
            if offset >= oldest {
                break;
            }
            self.readable.pop_front();
            match whose {
                Some(id) => {
                    if let Some(dropped) = self.own_dropped.get_mut(&id) {
                        *dropped += 1;
                    }
                }
                None => self.gaps_dropped += 1,
            }
        }
    }
}

struct State {
    /// Chunks from the oldest still holding a readable entry to the newest.
    chunks: VecDeque<Arc<Chunk>>,
    /// The offset the next entry gets.
    next: u64,
    /// Whether the last entry written is a gap marker (consecutive gaps merge).
    last_is_gap: bool,
    /// Readers waiting for the next entry: one waker per subscription, replaced in place when
    /// its task changes, removed when its cursor goes.
    waiters: HashMap<SubscriptionId, Waker, RandomState>,
    books: Books,
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
    /// This many messages were dropped before the reader's offset; it now points at the oldest
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
                last_is_gap: false,
                waiters: HashMap::default(),
                books: Books::default(),
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
    /// must not count it). A gap right after a gap merges with it.
    pub(crate) fn push(&self, entry: Entry, own: Option<SubscriptionId>) {
        let mut state = self.lock();
        let is_gap = matches!(entry, Entry::Gap);
        if is_gap && state.last_is_gap {
            return;
        }
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
        if is_gap {
            state.books.readable.push_back((offset, None));
        } else if let Some(id) = own {
            state.books.own_dropped.entry(id).or_insert(0);
            state.books.readable.push_back((offset, Some(id)));
        }
        state.last_is_gap = is_gap;
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
            state.books.drop_below(oldest);
        }
        let waiters = std::mem::take(&mut state.waiters);
        drop(state);
        if !waiters.is_empty() {
            self.wake(waiters);
        }
    }

    /// Wakes `waiters` (taken from the state, so woken outside the lock), then gives the emptied
    /// map back so its allocation is reused.
    fn wake(&self, mut waiters: HashMap<SubscriptionId, Waker, RandomState>) {
        for (_, waker) in waiters.drain() {
            waker.wake();
        }
        let mut state = self.lock();
        if state.waiters.is_empty() {
            state.waiters = waiters;
        }
    }

    /// Forgets what `id` published here and any waker it left (it no longer reads this ring).
    pub(crate) fn forget(&self, id: SubscriptionId) {
        let mut state = self.lock();
        state.books.own_dropped.remove(&id);
        // Its entries no longer count as its own: if it reads this ring again later, it starts
        // past them (a new cursor counts only what it published while reading).
        state
            .books
            .readable
            .retain(|&(_, whose)| whose.is_none() || whose != Some(id));
        state.waiters.remove(&id);
    }
}

/// A subscriber's position in one ring.
pub(crate) struct Cursor {
    ring: Arc<Ring>,
    /// The subscription reading.
    me: SubscriptionId,
    /// The chunk holding `next`, once found.
    chunk: Option<Arc<Chunk>>,
    /// The offset of the next entry to read.
    next: u64,
    /// The entry read together with a notice, given by the next read: after a notice, a reader
    /// always gets a message, however fast the writer drops entries meanwhile.
    stash: Option<Entry>,
    /// A lag count still to give (after a gap notice given first).
    owed_lag: u64,
    /// How many of the reader's own entries lie below `next` (passed, or counted as skipped).
    own_passed: u64,
    /// How many gap markers lie below `next` (passed, or counted as skipped).
    gaps_passed: u64,
}

/// What one attempt at the cursor's offset found.
enum Taken {
    Entry(Entry),
    Empty,
    /// The entry's chunk was freed meanwhile: the cursor is behind `oldest`.
    Evicted,
}

/// Entries a cursor skipped when it fell behind.
#[derive(Default)]
struct Skipped {
    messages: u64,
    gaps: u64,
}

impl Cursor {
    /// A cursor of subscription `me` reading `ring` from `next` on.
    pub(crate) fn new(ring: Arc<Ring>, me: SubscriptionId, next: u64) -> Self {
        let (own_passed, gaps_passed) = if next <= 1 {
            // From the ring's first entry (a join): nothing lies below.
            (0, 0)
        } else {
            // From the ring's end (a new subscriber): every entry so far lies below `next`.
            let state = ring.lock();
            let books = &state.books;
            let below = |whose: Option<SubscriptionId>| {
                books
                    .readable
                    .iter()
                    .filter(|&&(offset, w)| offset < next && w == whose)
                    .count() as u64
            };
            (
                books.own_dropped.get(&me).copied().unwrap_or(0) + below(Some(me)),
                books.gaps_dropped + below(None),
            )
        };
        Cursor {
            ring,
            me,
            chunk: None,
            next,
            stash: None,
            owed_lag: 0,
            own_passed,
            gaps_passed,
        }
    }

    /// Deliveries readable ahead of this cursor (for `Subscription::len`): messages for this
    /// reader, gap markers, and a pending notice as one.
    pub(crate) fn ahead(&self) -> u64 {
        let state = self.ring.lock();
        let oldest = self.ring.oldest.load(Ordering::Acquire);
        let from = self.next.max(oldest);
        let own_ahead = state
            .books
            .readable
            .iter()
            .rev()
            .take_while(|&&(offset, _)| offset >= from)
            .filter(|&&(_, whose)| whose == Some(self.me))
            .count() as u64;
        let notice = u64::from(self.next < oldest || self.owed_lag > 0);
        u64::from(self.stash.is_some()) + notice + state.next.saturating_sub(from) - own_ahead
    }

    /// What `f` makes of the next entry when it is a message for this reader and nothing else
    /// is due first: no notice owed or stashed entry, not behind the oldest readable offset, in
    /// the chunk already in hand. The cursor moves past it only when `f` gives `Some`. `None`
    /// means only that [`read`](Self::read) has to look (it may find the same message): the
    /// receive path's common case in a few loads, inlined into it.
    #[inline]
    pub(crate) fn read_with<T>(&mut self, f: impl FnOnce(&Message) -> Option<T>) -> Option<T> {
        if self.owed_lag > 0 || self.stash.is_some() {
            return None;
        }
        let chunk = self.chunk.as_ref()?;
        if !chunk.holds(self.next) || self.next < self.ring.oldest.load(Ordering::Acquire) {
            return None;
        }
        let made = chunk.message_for(self.next, self.me, f)?;
        self.next += 1;
        Some(made)
    }

    /// Reads the next entry for this subscriber (its own entries are skipped), or says how many
    /// messages were dropped before it (the entry after the hole then comes with the next read).
    pub(crate) fn read(&mut self) -> Read {
        if self.owed_lag > 0 {
            return Read::Lagged(std::mem::take(&mut self.owed_lag));
        }
        if let Some(entry) = self.stash.take() {
            return Read::Entry(entry);
        }
        let mut skipped = Skipped::default();
        loop {
            if self.next < self.ring.oldest.load(Ordering::Acquire) {
                let more = self.skip_to_oldest();
                skipped.messages += more.messages;
                skipped.gaps += more.gaps;
            }
            match self.take() {
                Taken::Entry(Entry::Message(message)) if message.origin() == Some(self.me) => {
                    self.own_passed += 1;
                }
                Taken::Entry(Entry::Gap) if skipped.gaps > 0 => {
                    // Merges with the dropped gap about to be given.
                    self.gaps_passed += 1;
                }
                Taken::Entry(entry) => {
                    if matches!(entry, Entry::Gap) {
                        // Passed now, whether given now or from the stash.
                        self.gaps_passed += 1;
                    }
                    if let Some(notice) = self.notice(&mut skipped) {
                        self.stash = Some(entry);
                        return notice;
                    }
                    return Read::Entry(entry);
                }
                Taken::Empty => return self.notice(&mut skipped).unwrap_or(Read::Empty),
                Taken::Evicted => {}
            }
        }
    }

    /// The notice for what was skipped: a gap first when a gap marker was dropped (the lag
    /// count then comes next), else the lag count.
    fn notice(&mut self, skipped: &mut Skipped) -> Option<Read> {
        if skipped.gaps > 0 {
            self.owed_lag = skipped.messages;
            *skipped = Skipped::default();
            return Some(Read::Entry(Entry::Gap));
        }
        if skipped.messages > 0 {
            return Some(Read::Lagged(std::mem::take(&mut skipped.messages)));
        }
        None
    }

    /// Moves a cursor that fell behind to the oldest readable entry; returns what it skipped
    /// (its own entries not counted).
    fn skip_to_oldest(&mut self) -> Skipped {
        let state = self.ring.lock();
        // Under the lock `oldest` and the books agree.
        let oldest = self.ring.oldest.load(Ordering::Acquire);
        let entries = oldest.saturating_sub(self.next);
        let own_below = state.books.own_dropped.get(&self.me).copied().unwrap_or(0);
        let own = own_below.saturating_sub(self.own_passed);
        let gaps = state.books.gaps_dropped.saturating_sub(self.gaps_passed);
        self.own_passed = self.own_passed.max(own_below);
        self.gaps_passed = self.gaps_passed.max(state.books.gaps_dropped);
        self.next = self.next.max(oldest);
        self.chunk = None;
        Skipped {
            messages: entries.saturating_sub(own + gaps),
            gaps,
        }
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
    /// read (then `false`: read again instead of waiting). One waker per subscription: a new
    /// one replaces the old.
    pub(crate) fn wait(&mut self, waker: &Waker) -> bool {
        if self.stash.is_some() || self.owed_lag > 0 {
            return false;
        }
        let mut state = self.ring.lock();
        if state.next > self.next || self.next < self.ring.oldest.load(Ordering::Acquire) {
            return false;
        }
        match state.waiters.get_mut(&self.me) {
            Some(listed) if listed.will_wake(waker) => {}
            Some(listed) => listed.clone_from(waker),
            None => {
                state.waiters.insert(self.me, waker.clone());
            }
        }
        true
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        self.ring.lock().waiters.remove(&self.me);
    }
}

#[cfg(test)]
mod tests;
