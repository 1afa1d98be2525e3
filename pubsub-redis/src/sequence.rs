//! Sequence numbers: assigned per sending stream, checked per receiving stream.
//!
//! A *stream* is what one node sends on one channel: in namespace mode the node's whole output,
//! in per-topic mode its output on one topic's channel. Numbers in a stream start at 1 and grow
//! by one per publish attempt, in wire order (one task assigns them as it writes). A receiver
//! subscribed to a channel receives the whole stream, so a hole is a message that never reached
//! Redis (a failed or abandoned publish) or never reached this node.
//!
//! In per-topic mode a node does not receive the other channels, which is why streams are per
//! channel rather than per node (a single per-node counter would have natural holes). A sender
//! forgets a topic's counter after it has been idle for `sequence_idle`; its next envelope
//! there starts again at 1, which a receiver takes as a new stream, not a hole.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What a receiver made of one sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The next number, or the first one seen from this stream, or a new stream (1).
    Fine,
    /// Numbers were skipped: messages were lost before this one.
    Hole,
    /// Not greater than the last one seen (a replay, or a hand-written envelope); delivered.
    Stale,
}

/// The receiving side: the last number seen per (scope, node), where the scope is the topic in
/// per-topic mode and `""` in namespace mode.
#[derive(Debug, Default)]
pub(crate) struct Received {
    scopes: HashMap<Box<str>, HashMap<Box<str>, u64>>,
}

impl Received {
    pub(crate) fn observe(&mut self, scope: &str, node: &str, seq: u64) -> Seen {
        let nodes = match self.scopes.get_mut(scope) {
            Some(nodes) => nodes,
            None => self.scopes.entry(scope.into()).or_default(),
        };
        let Some(last) = nodes.get_mut(node) else {
            nodes.insert(node.into(), seq);
            return Seen::Fine;
        };
        let seen = if seq == *last + 1 || seq == 1 {
            Seen::Fine
        } else if seq > *last {
            Seen::Hole
        } else {
            return Seen::Stale;
        };
        *last = seq;
        seen
    }

    /// Forgets a scope (its channel was subscribed or unsubscribed: a fresh start).
    pub(crate) fn forget(&mut self, scope: &str) {
        self.scopes.remove(scope);
    }

    /// Forgets everything (after a reconnect, which already told every subscriber).
    pub(crate) fn clear(&mut self) {
        self.scopes.clear();
    }
}

/// The sending side: the next number per channel (one channel in namespace mode).
#[derive(Debug)]
pub(crate) struct Sending {
    channels: HashMap<Box<str>, (u64, Instant)>,
    idle: Duration,
    last_sweep: Instant,
}

impl Sending {
    pub(crate) fn new(idle: Duration) -> Self {
        Sending {
            channels: HashMap::new(),
            idle,
            last_sweep: Instant::now(),
        }
    }

    /// The next number of `channel`'s stream.
    pub(crate) fn next(&mut self, channel: &str, now: Instant) -> u64 {
        if let Some((seq, used)) = self.channels.get_mut(channel) {
            *seq += 1;
            *used = now;
            return *seq;
        }
        self.channels.insert(channel.into(), (1, now));
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
        self.channels
            .retain(|_, (_, used)| now.duration_since(*used) < idle);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.channels.len()
    }
}

#[cfg(test)]
mod tests;
