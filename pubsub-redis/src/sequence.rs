//! Sequence numbers: assigned per sending stream, checked per receiving stream, in bounded memory.
//!
//! A *stream* is what one node sends to one topic. Numbers in a stream start at 1 and grow by
//! one per envelope actually written to Redis, in wire order (each is assigned as its envelope
//! is queued on the publisher connection, under one lock). Every node subscribed to a topic's channel receives its whole stream (in namespace
//! mode every node receives every stream), so a hole is a message that was written but never
//! reached this node, and it concerns that topic only.
//!
//! A sender forgets a topic's counter after it has been idle for `sequence_idle`; its next
//! envelope there starts again at 1, which a receiver takes as a new stream, not a hole.
//!
//! The receiving side is fed by whoever can write to the Redis channel, so its memory is
//! bounded: at most [`Limits::nodes_per_topic`] senders per topic (the oldest one is forgotten
//! first) and at most [`Limits::bytes`] in all, kept in two generations: when the newer one is
//! full, the older one (every topic not seen for a whole generation) is dropped. A forgotten
//! stream is not an error: its next number sets a new baseline, so only a hole right at that
//! point could go unnoticed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pubsub_core::Topic;
use uuid::Uuid;

/// What a receiver made of one sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The next number, or the first one seen from this stream, or a new stream (1).
    Fine,
    /// Numbers were skipped: messages were lost before this one.
    Hole,
    /// Not greater than the last one seen: a duplicate or a replay, not delivered.
    Stale,
}

/// Bounds of the receiving side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Bytes of tracked state, at most (see [`TOPIC_BYTES`] and [`NODE_BYTES`]).
    pub(crate) bytes: usize,
    /// Senders remembered per topic, at most.
    pub(crate) nodes_per_topic: usize,
}

/// What one tracked topic costs besides its name: its table slot (with the table's slack), its
/// name's allocation header and its list of senders.
pub(crate) const TOPIC_BYTES: usize = 128;
/// What one tracked sender of a topic costs: its id and its last number.
pub(crate) const NODE_BYTES: usize = 24;

/// The streams of one topic: each sender's last number, oldest sender first.
type Streams = Vec<(Uuid, u64)>;

/// The receiving side: the last number seen per (topic, node).
#[derive(Debug)]
pub(crate) struct Received {
    current: HashMap<Topic, Streams>,
    previous: HashMap<Topic, Streams>,
    current_bytes: usize,
    previous_bytes: usize,
    /// Streams in the two generations (kept, so the stats need not walk the tables).
    current_streams: usize,
    previous_streams: usize,
    limits: Limits,
    evicted: u64,
}

fn topic_cost(topic: &Topic, streams: &Streams) -> usize {
    TOPIC_BYTES + topic.len() + streams.len() * NODE_BYTES
}

/// One step of a stream whose last number is `last`.
fn step(last: &mut u64, seq: u64) -> Seen {
    let seen = if seq == 1 || last.checked_add(1) == Some(seq) {
        Seen::Fine
    } else if seq > *last {
        Seen::Hole
    } else {
        return Seen::Stale;
    };
    *last = seq;
    seen
}

/// How a topic's list of senders changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    None,
    Added,
    /// A new sender took the oldest one's place.
    Replaced,
}

/// [`step`] for `node`'s stream among `streams`, adding it (the first number seen sets the
/// baseline) in place of the oldest when there are `max` already.
fn observe_in(streams: &mut Streams, node: Uuid, seq: u64, max: usize) -> (Seen, Change) {
    if let Some((_, last)) = streams.iter_mut().find(|(n, _)| *n == node) {
        return (step(last, seq), Change::None);
    }
    let change = if streams.len() >= max {
        streams.remove(0);
        Change::Replaced
    } else {
        Change::Added
    };
    streams.push((node, seq));
    (Seen::Fine, change)
}

impl Received {
    pub(crate) fn new(limits: Limits) -> Self {
        Received {
            current: HashMap::new(),
            previous: HashMap::new(),
            current_bytes: 0,
            previous_bytes: 0,
            current_streams: 0,
            previous_streams: 0,
            limits: Limits {
                bytes: limits.bytes.max(2 * (TOPIC_BYTES + NODE_BYTES)),
                nodes_per_topic: limits.nodes_per_topic.max(1),
            },
            evicted: 0,
        }
    }

    /// Checks `seq` against the last number of `node`'s stream on `topic`, and remembers it.
    pub(crate) fn observe(&mut self, topic: &Topic, node: Uuid, seq: u64) -> Seen {
        let max_nodes = self.limits.nodes_per_topic;
        if let Some(streams) = self.current.get_mut(topic) {
            let (seen, change) = observe_in(streams, node, seq, max_nodes);
            match change {
                Change::None => {}
                Change::Added => {
                    self.current_bytes += NODE_BYTES;
                    self.current_streams += 1;
                }
                Change::Replaced => self.evicted += 1,
            }
            if self.current_bytes > self.limits.bytes / 2 {
                self.rotate();
            }
            return seen;
        }
        let (mut streams, seen) = match self.previous.remove(topic) {
            Some(mut streams) => {
                self.previous_bytes -= topic_cost(topic, &streams);
                self.previous_streams -= streams.len();
                let (seen, change) = observe_in(&mut streams, node, seq, max_nodes);
                if change == Change::Replaced {
                    self.evicted += 1;
                }
                (streams, seen)
            }
            None => (vec![(node, seq)], Seen::Fine),
        };
        streams.shrink_to_fit();
        let cost = topic_cost(topic, &streams);
        if self.current_bytes + cost > self.limits.bytes / 2 {
            self.rotate();
        }
        self.current_bytes += cost;
        self.current_streams += streams.len();
        self.current.insert(topic.clone(), streams);
        seen
    }

    /// The newer generation is full: it becomes the older one, and the older one is forgotten.
    fn rotate(&mut self) {
        self.evicted += self.previous_streams as u64;
        let capacity = self.current.capacity();
        self.previous = std::mem::replace(&mut self.current, HashMap::with_capacity(capacity));
        self.previous_bytes = std::mem::take(&mut self.current_bytes);
        self.previous_streams = std::mem::take(&mut self.current_streams);
    }

    /// Forgets a topic (its channel was subscribed or unsubscribed: a fresh start).
    pub(crate) fn forget(&mut self, topic: &str) {
        if let Some((topic, streams)) = self.current.remove_entry(topic) {
            self.current_bytes -= topic_cost(&topic, &streams);
            self.current_streams -= streams.len();
        }
        if let Some((topic, streams)) = self.previous.remove_entry(topic) {
            self.previous_bytes -= topic_cost(&topic, &streams);
            self.previous_streams -= streams.len();
        }
    }

    /// Forgets everything (after a reconnect, which already told every subscriber).
    pub(crate) fn clear(&mut self) {
        self.current.clear();
        self.previous.clear();
        self.current_bytes = 0;
        self.previous_bytes = 0;
        self.current_streams = 0;
        self.previous_streams = 0;
    }

    /// What is tracked now: (streams, bytes), for the stats.
    pub(crate) fn size(&self) -> (u64, u64) {
        let streams = self.current_streams + self.previous_streams;
        (
            streams as u64,
            (self.current_bytes + self.previous_bytes) as u64,
        )
    }

    /// Streams forgotten to stay within the limits, since the start.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }
}

/// The sending side: the next number per topic.
#[derive(Debug)]
pub(crate) struct Sending {
    topics: HashMap<Topic, (u64, Instant)>,
    idle: Duration,
    last_sweep: Instant,
}

impl Sending {
    pub(crate) fn new(idle: Duration) -> Self {
        Sending {
            topics: HashMap::new(),
            idle,
            last_sweep: Instant::now(),
        }
    }

    /// The next number of `topic`'s stream.
    pub(crate) fn next(&mut self, topic: &Topic, now: Instant) -> u64 {
        if let Some((seq, used)) = self.topics.get_mut(topic) {
            *seq += 1;
            *used = now;
            return *seq;
        }
        self.topics.insert(topic.clone(), (1, now));
        1
    }

    /// Forgets streams idle for longer than the configured time (checked at most twice per
    /// idle period).
    pub(crate) fn sweep(&mut self, now: Instant) {
        if now.duration_since(self.last_sweep) < self.idle / 2 {
            return;
        }
        self.last_sweep = now;
        let idle = self.idle;
        self.topics
            .retain(|_, (_, used)| now.duration_since(*used) < idle);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.topics.len()
    }
}

#[cfg(test)]
mod tests;
