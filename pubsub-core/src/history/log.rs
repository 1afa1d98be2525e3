//! The in-memory history: per topic, its last messages (bounded by its policy), its epoch and
//! its next offset, in a sharded table.
//!
//! A [`MemoryBroker`](crate::MemoryBroker)'s store is *authoritative*: a publish takes the
//! topic's lock, gives the message the next offset, keeps it and delivers it under that lock, so
//! subscribers see offsets in order. A backend node's store is a *mirror* of the network's
//! history: messages come with their positions and are kept as they are delivered; a message at
//! or below the latest kept position is a duplicate (a recovery and the live stream overlap) and
//! is dropped.
//!
//! Memory: a topic's log exists while it has entries or was written within its `max_age`, and
//! each shard is swept for expired entries and idle logs at most once a second, on a write.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use foldhash::fast::RandomState;

use super::{Epoch, HistoryConfig, HistoryPolicy, Position, Unrecoverable};
use crate::message::Message;
use crate::subscription::SubscriptionId;
use crate::topic::Topic;

const SHARDS: usize = 64;
/// How often (at most) a shard is swept, in milliseconds.
const SWEEP_MS: u64 = 1_000;

/// Milliseconds since the first call in this process: a cheap, monotonic clock.
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn age_ms(policy: &HistoryPolicy) -> u64 {
    u64::try_from(policy.max_age().as_millis()).unwrap_or(u64::MAX)
}

/// One topic's history.
struct Log {
    epoch: Epoch,
    /// The offset the next message gets.
    next: u64,
    /// The kept messages with the time each was written, oldest first; the last is at
    /// `next - 1`, and they are contiguous.
    entries: VecDeque<(u64, Message)>,
    policy: HistoryPolicy,
    /// When the log was last written (or made).
    touched: u64,
}

impl Log {
    fn new(epoch: Epoch, next: u64, policy: HistoryPolicy, now: u64) -> Self {
        Log {
            epoch,
            next,
            entries: VecDeque::new(),
            policy,
            touched: now,
        }
    }

    /// The offset of the oldest kept entry (`next` when none is kept).
    fn first(&self) -> u64 {
        self.next - self.entries.len() as u64
    }

    fn expire(&mut self, now: u64) {
        let limit = now.saturating_sub(age_ms(&self.policy));
        while self.entries.front().is_some_and(|(at, _)| *at < limit) {
            self.entries.pop_front();
        }
    }

    fn push(&mut self, message: Message, now: u64) {
        let (len, size) = (self.entries.len(), self.policy.size());
        if len == self.entries.capacity() && len < size {
            // Doubling, but never past the policy's size: a full history holds no spare slots.
            self.entries.reserve_exact((len * 2).max(4).min(size) - len);
        }
        self.entries.push_back((now, message));
        while self.entries.len() > self.policy.size() {
            self.entries.pop_front();
        }
        self.next += 1;
        self.touched = now;
    }

    fn idle(&self, now: u64) -> bool {
        self.entries.is_empty() && now.saturating_sub(self.touched) > age_ms(&self.policy)
    }

    fn latest(&self) -> Position {
        Position::new(self.next - 1, self.epoch)
    }
}

struct Shard {
    logs: HashMap<Topic, Log, RandomState>,
    swept: u64,
}

/// What reading a topic's history after a position found.
pub(crate) enum Read {
    /// Every message after the position, in order (possibly none).
    Entries(Vec<Message>),
    /// The history cannot cover it.
    Unrecoverable(Unrecoverable),
    /// A mirror does not hold it (the network's history may): the backend fetches it.
    Missing,
}

/// The history of a broker's or a node's topics.
pub(crate) struct HistoryStore {
    config: HistoryConfig,
    authoritative: bool,
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
}

impl HistoryStore {
    /// A store for the topics `config` covers: authoritative (it gives offsets) or a mirror.
    pub(crate) fn new(config: HistoryConfig, authoritative: bool) -> Self {
        HistoryStore {
            config,
            authoritative,
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        logs: HashMap::default(),
                        swept: 0,
                    })
                })
                .collect(),
            hasher: RandomState::default(),
        }
    }

    /// The policy of `topic`, if it keeps history.
    pub(crate) fn policy(&self, topic: &Topic) -> Option<HistoryPolicy> {
        self.config.policy_for(topic.as_str()).copied()
    }

    pub(crate) fn is_authoritative(&self) -> bool {
        self.authoritative
    }

    fn shard(&self, topic: &Topic) -> MutexGuard<'_, Shard> {
        // The mask keeps the index in range; truncating the hash is intended.
        #[allow(clippy::cast_possible_truncation)]
        let index = self.hasher.hash_one(topic.as_str()) as usize & (SHARDS - 1);
        // Every critical section leaves the shard consistent.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Sweeps the shard when its last sweep is over a second old.
    fn maybe_sweep(shard: &mut Shard, now: u64) {
        if now.saturating_sub(shard.swept) < SWEEP_MS {
            return;
        }
        shard.swept = now;
        shard.logs.retain(|_, log| {
            log.expire(now);
            !log.idle(now)
        });
        if shard.logs.capacity() > 64 && shard.logs.len() * 4 < shard.logs.capacity() {
            shard.logs.shrink_to(shard.logs.len() * 2);
        }
    }

    /// Authoritative: gives `message` the topic's next offset, keeps it, and hands it to
    /// `deliver` under the topic's lock (so deliveries follow offsets).
    pub(crate) fn append<R>(
        &self,
        topic: &Topic,
        message: &Message,
        policy: HistoryPolicy,
        deliver: impl FnOnce(&Message) -> R,
    ) -> R {
        let now = now_ms();
        let mut shard = self.shard(topic);
        Self::maybe_sweep(&mut shard, now);
        let log = Self::authoritative_log(&mut shard, topic, policy, now);
        log.expire(now);
        let positioned = message
            .clone()
            .with_position(Position::new(log.next, log.epoch));
        log.push(positioned.clone(), now);
        deliver(&positioned)
    }

    /// The topic's log in an authoritative store, made (a fresh epoch, offsets from 1) if it
    /// has none.
    fn authoritative_log<'a>(
        shard: &'a mut Shard,
        topic: &Topic,
        policy: HistoryPolicy,
        now: u64,
    ) -> &'a mut Log {
        shard
            .logs
            .entry(topic.clone())
            .or_insert_with(|| Log::new(Epoch::random(), 1, policy, now))
    }

    /// Mirror: keeps `message` (which has a position) unless it is a duplicate of one it holds,
    /// then hands it to `deliver` under the topic's lock with whether a hole lies before it (the
    /// mirror then holds only from it on). A position below everything held (after a jump
    /// ahead that the network did not make, such as a forged one) starts the copy again from
    /// it, with a hole: a forged position costs a gap notice, never the real messages after
    /// it. Returns `None` for a duplicate.
    pub(crate) fn mirror<R>(
        &self,
        topic: &Topic,
        message: &Message,
        position: Position,
        policy: HistoryPolicy,
        deliver: impl FnOnce(&Message, bool) -> R,
    ) -> Option<R> {
        let now = now_ms();
        let mut shard = self.shard(topic);
        Self::maybe_sweep(&mut shard, now);
        let log = shard
            .logs
            .entry(topic.clone())
            .or_insert_with(|| Log::new(position.epoch, position.offset, policy, now));
        log.expire(now);
        let mut hole = false;
        if log.epoch != position.epoch {
            // The network's history started again: what this node kept is of the old epoch.
            *log = Log::new(position.epoch, position.offset, policy, now);
            hole = position.offset > 1;
        } else if position.offset < log.next {
            if position.offset >= log.first() {
                // A message this copy holds: a recovery overlapping the live stream.
                return None;
            }
            // Below everything this copy holds, after it jumped ahead: the jump was not the
            // network's (a forged position on the wire, or a message out of order). Start again
            // from this message, with a gap notice, rather than drop every real message from
            // here on as a "duplicate".
            *log = Log::new(position.epoch, position.offset, policy, now);
            hole = true;
        } else if position.offset > log.next {
            log.entries.clear();
            log.next = position.offset;
            hole = true;
        }
        log.push(message.clone(), now);
        Some(deliver(message, hole))
    }

    /// Mirror: forgets what is kept of `topic` (the backend can no longer vouch that it is
    /// complete up to its latest position); the next message starts it again, with no hole.
    pub(crate) fn forget(&self, topic: &Topic) {
        self.shard(topic).logs.remove(topic);
    }

    /// Mirror: forgets every topic but those `keep` names.
    pub(crate) fn retain(&self, keep: &dyn Fn(&Topic) -> bool) {
        for shard in &*self.shards {
            shard
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .logs
                .retain(|topic, _| keep(topic));
        }
    }

    /// The latest position of `topic`. An authoritative store makes the topic's log if it has
    /// none, so a subscriber's starting point has an epoch (`offset` 0: nothing yet).
    pub(crate) fn position(&self, topic: &Topic, policy: HistoryPolicy) -> Option<Position> {
        let now = now_ms();
        let mut shard = self.shard(topic);
        if self.authoritative {
            return Some(Self::authoritative_log(&mut shard, topic, policy, now).latest());
        }
        shard.logs.get(topic).map(Log::latest)
    }

    /// The topic's latest kept message.
    pub(crate) fn latest(&self, topic: &Topic) -> Option<Message> {
        let now = now_ms();
        let mut shard = self.shard(topic);
        let log = shard.logs.get_mut(topic)?;
        log.expire(now);
        log.entries.back().map(|(_, message)| message.clone())
    }

    /// Every kept message of `topic` after `after` (those published from `me` left out), or why
    /// not. At most the policy's size: more would not be kept.
    pub(crate) fn read_after(
        &self,
        topic: &Topic,
        after: Position,
        me: Option<SubscriptionId>,
    ) -> Read {
        let now = now_ms();
        let mut shard = self.shard(topic);
        let missing = if self.authoritative {
            Read::Unrecoverable(Unrecoverable::EpochChanged)
        } else {
            Read::Missing
        };
        let Some(log) = shard.logs.get_mut(topic) else {
            return missing;
        };
        log.expire(now);
        if log.epoch != after.epoch {
            return missing;
        }
        let latest = log.next - 1;
        if after.offset > latest {
            return Read::Unrecoverable(Unrecoverable::Ahead);
        }
        if after.offset + 1 < log.first() {
            return if self.authoritative {
                Read::Unrecoverable(Unrecoverable::TooOld)
            } else {
                Read::Missing
            };
        }
        // In range: `first <= after + 1 <= next`.
        #[allow(clippy::cast_possible_truncation)]
        let skip = (after.offset + 1 - log.first()) as usize;
        Read::Entries(
            log.entries
                .iter()
                .skip(skip)
                .map(|(_, message)| message)
                .filter(|message| me.is_none() || message.origin() != me)
                .cloned()
                .collect(),
        )
    }

    /// Topics with a log.
    #[cfg(test)]
    pub(crate) fn log_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).logs.len())
            .sum()
    }

    /// Entries kept over all logs.
    #[cfg(test)]
    pub(crate) fn entry_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let shard = s.lock().unwrap_or_else(PoisonError::into_inner);
                shard
                    .logs
                    .values()
                    .map(|log| log.entries.len())
                    .sum::<usize>()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests;
