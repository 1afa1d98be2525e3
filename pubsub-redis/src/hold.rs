//! The hold-back buffer of a reconnect's recovery: live messages of topics with history that
//! the new subscriber connection delivers before their topic's missed messages were fetched
//! from Redis and delivered.
//!
//! While a recovery is under way (from the moment the old connection is let go of until every
//! topic is recovered), the reader keeps each positioned message of a topic with history here
//! instead of delivering it, unless its topic is already recovered. The recovery delivers a
//! topic's fetched messages, then (under the receiving side's lock, so the reader cannot slip
//! one in between) what was held for it, in arrival order; the node's history mirror drops
//! the ones the fetch already gave. Then the topic goes live again.
//!
//! In cluster mode a topology change (`link.rs`: a moved slot, a shard's lost connection)
//! holds only the topics it subscribes again ([`Hold::only`]), recovered the same way.
//!
//! Bounded: at most [`HOLD_BYTES`] of envelopes in all. A message that does not fit is dropped
//! and counted ([`RedisStats::held_dropped`](crate::RedisStats::held_dropped)); the next one of
//! its topic then follows a hole, and the mirror gives that topic's subscribers a gap notice:
//! honest, never a silent loss.

use std::collections::{HashMap, HashSet};

use pubsub_core::{Message, Topic};

/// The most envelope bytes held, over every topic.
pub(crate) const HOLD_BYTES: usize = 16 << 20;

#[derive(Debug, Default)]
pub(crate) struct Hold {
    /// Cluster mode, after a topology change: the only topics held (those subscribed again);
    /// `None`: every topic with history (a reconnect).
    only: Option<HashSet<Topic>>,
    held: HashMap<Topic, Vec<Message>>,
    /// Topics recovered: their messages are delivered again.
    released: HashSet<Topic>,
    bytes: usize,
}

/// What [`Hold::offer`] did with a message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offered {
    /// Kept, to be delivered after the topic's recovery.
    Held,
    /// The buffer is full: dropped.
    Dropped,
    /// Its topic is recovered (or was never held): deliver it now.
    Deliver,
}

impl Hold {
    /// A hold of `topics` only: the others' messages are delivered at once.
    pub(crate) fn only(topics: HashSet<Topic>) -> Self {
        Hold {
            only: Some(topics),
            ..Hold::default()
        }
    }

    /// Holds `message` of `topic` (`bytes` long on the wire) unless the topic is released (or
    /// not held at all).
    pub(crate) fn offer(&mut self, topic: &Topic, message: &Message, bytes: usize) -> Offered {
        if self.released.contains(topic) || self.only.as_ref().is_some_and(|o| !o.contains(topic)) {
            return Offered::Deliver;
        }
        if self.bytes + bytes > HOLD_BYTES {
            return Offered::Dropped;
        }
        self.bytes += bytes;
        self.held
            .entry(topic.clone())
            .or_default()
            .push(message.clone());
        Offered::Held
    }

    /// Releases `topic`: returns what was held for it, in arrival order; from now on its
    /// messages are delivered at once.
    pub(crate) fn release(&mut self, topic: &Topic) -> Vec<Message> {
        self.released.insert(topic.clone());
        self.held.remove(topic).unwrap_or_default()
    }

    /// Forgets everything held (the connection it came from is gone; the recovery's fetch,
    /// made after the next connection is subscribed, covers it) and every release; from now
    /// on every topic with history is held.
    pub(crate) fn clear(&mut self) {
        *self = Hold::default();
    }

    /// Ends the hold: what is left (topics that were not recovered), per topic in order.
    pub(crate) fn finish(self) -> HashMap<Topic, Vec<Message>> {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::{HOLD_BYTES, Hold, Offered};
    use pubsub_core::{Message, Topic};

    #[test]
    fn held_until_released_then_delivered_and_bounded() {
        let (a, b) = (Topic::new("a").unwrap(), Topic::new("b").unwrap());
        let message = Message::from_json("d", "e", "{}");
        let mut hold = Hold::default();
        assert_eq!(hold.offer(&a, &message, 10), Offered::Held);
        assert_eq!(hold.offer(&a, &message, 10), Offered::Held);
        assert_eq!(hold.offer(&b, &message, 10), Offered::Held);
        assert_eq!(hold.release(&a).len(), 2);
        assert_eq!(hold.offer(&a, &message, 10), Offered::Deliver);
        assert_eq!(hold.offer(&b, &message, HOLD_BYTES), Offered::Dropped);
        let left = hold.finish();
        assert_eq!(left.len(), 1);
        assert_eq!(left[&b].len(), 1);
    }

    #[test]
    fn a_hold_of_some_topics_delivers_the_others_at_once() {
        let (a, b) = (Topic::new("a").unwrap(), Topic::new("b").unwrap());
        let message = Message::from_json("d", "e", "{}");
        let mut hold = Hold::only([a.clone()].into());
        assert_eq!(hold.offer(&a, &message, 10), Offered::Held);
        assert_eq!(hold.offer(&b, &message, 10), Offered::Deliver);
        hold.clear();
        assert_eq!(
            hold.offer(&b, &message, 10),
            Offered::Held,
            "cleared: all held"
        );
    }
}
