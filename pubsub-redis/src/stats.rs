//! [`RedisStats`]: the Redis backend's counters, beside the local registry's.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::envelope::Reject;

/// A snapshot of a [`RedisBroker`](crate::RedisBroker)'s counters, read with
/// [`RedisBroker::stats`](crate::RedisBroker::stats). Counters only grow.
///
/// ```
/// use pubsub_redis::RedisStats;
/// let stats = RedisStats::default();
/// assert_eq!(stats.rejected(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisStats {
    /// The local registry: topics, subscriptions, local deliveries, lag, gap notices and the
    /// messages typed subscribers could not decode (unknown event, wrong payload shape).
    pub local: pubsub_core::Stats,
    /// Envelopes Redis accepted from this node.
    pub sent: u64,
    /// Publishes that did not reach Redis (timeout, connection down, Redis error).
    pub send_failures: u64,
    /// Envelopes from other nodes handed to local subscribers.
    pub received: u64,
    /// This node's own envelopes read back from Redis: skipped (local subscribers already had
    /// them), except on topics with history, whose local subscribers get them from here.
    pub own_echoes: u64,
    /// Skipped: not JSON.
    pub rejected_not_json: u64,
    /// Skipped: JSON but not an envelope (a field missing or of the wrong type).
    pub rejected_malformed: u64,
    /// Skipped: an envelope of another format version.
    pub rejected_version: u64,
    /// Skipped: larger than the configured maximum.
    pub rejected_oversized: u64,
    /// Skipped: a topic that fails validation or does not match its channel.
    pub rejected_topic: u64,
    /// Skipped: a `node` field that is not a node id (a hyphenated UUID).
    pub rejected_node: u64,
    /// Skipped: an `offset`/`epoch` that is not a position (see the crate docs, "History and
    /// recovery"), on the channel or in a topic's history stream.
    pub rejected_position: u64,
    /// Skipped: an envelope whose sequence number is not greater than the last one seen from
    /// its node on its topic (a duplicate or a replay), so it is not delivered twice.
    pub duplicates: u64,
    /// Holes found in a remote node's sequence numbers (each gives that topic's subscribers a
    /// gap notice; holes close together share one).
    pub sequence_gaps: u64,
    /// Rounds of gap notices the hole collector sent (at most one per
    /// [`RedisConfig::gap_interval`](crate::RedisConfig::gap_interval)).
    pub gap_rounds: u64,
    /// Gauge: (node, topic) sequence streams remembered now (bounded by
    /// [`RedisConfig::sequence_memory`](crate::RedisConfig::sequence_memory)).
    pub sequence_streams: u64,
    /// Gauge: bytes spent on remembering them, at most
    /// [`RedisConfig::sequence_memory`](crate::RedisConfig::sequence_memory).
    pub sequence_bytes: u64,
    /// Streams forgotten to stay within those bounds.
    pub sequence_evictions: u64,
    /// Times the subscriber connection was re-established after a loss (each followed by a gap
    /// notice to every local subscriber); the same count as `local.reconnects`.
    pub reconnects: u64,
    /// Messages a replaced subscriber connection still delivered after the node had moved on
    /// to a new one: dropped, so nothing arrives twice or out of order (the reconnect's gap
    /// notice covers them).
    pub replaced_connection: u64,
    /// Health-check PINGs that were late while the reader was busy handing over messages
    /// (given more time instead of replacing the connection).
    pub slow_pings: u64,
    /// Failed or timed-out health-check PINGs (each replaces the connection).
    pub ping_failures: u64,
    /// Topics with history recovered from Redis after the subscriber connection was replaced:
    /// their subscribers missed nothing and got no notice.
    pub recovered_topics: u64,
    /// Topics with history that could not be recovered after a reconnect (history lost or
    /// trimmed, or Redis failed): their subscribers got a gap notice.
    pub unrecovered_topics: u64,
    /// Live messages of topics with history received while a reconnect's recovery was under
    /// way and dropped because the hold-back buffer was full (a later message then reveals the
    /// hole, and its subscribers get a gap notice).
    pub held_dropped: u64,
    /// Cluster mode: subscribed topics whose slot moved to another primary (a failover, a
    /// resharding), subscribed again there: their subscribers got a gap notice.
    pub moved_topics: u64,
    /// Cluster mode: subscribed topics whose shard's subscriber connection was found holding
    /// fewer of this node's channels than it should (lost without a failover and reconnected by
    /// the client, or a slot's channels dropped), subscribed again: their subscribers got a gap
    /// notice (or, with history, a recovery).
    pub lost_shard_topics: u64,
}

impl RedisStats {
    /// Every wire message skipped as bad input, whatever the reason.
    pub fn rejected(&self) -> u64 {
        self.rejected_not_json
            + self.rejected_malformed
            + self.rejected_version
            + self.rejected_oversized
            + self.rejected_topic
            + self.rejected_node
            + self.rejected_position
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) send_failures: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) own_echoes: AtomicU64,
    rejected_not_json: AtomicU64,
    rejected_malformed: AtomicU64,
    rejected_version: AtomicU64,
    rejected_oversized: AtomicU64,
    rejected_topic: AtomicU64,
    rejected_node: AtomicU64,
    rejected_position: AtomicU64,
    pub(crate) recovered_topics: AtomicU64,
    pub(crate) unrecovered_topics: AtomicU64,
    pub(crate) held_dropped: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) sequence_gaps: AtomicU64,
    pub(crate) gap_rounds: AtomicU64,
    pub(crate) ping_failures: AtomicU64,
    pub(crate) replaced_connection: AtomicU64,
    /// Pushes the current subscriber connection's reader handled (the health check's sign of
    /// life).
    pub(crate) pushes: AtomicU64,
    pub(crate) slow_pings: AtomicU64,
    pub(crate) moved_topics: AtomicU64,
    pub(crate) lost_shard_topics: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn reject(&self, reason: Reject) {
        let counter = match reason {
            Reject::NotJson => &self.rejected_not_json,
            Reject::Malformed => &self.rejected_malformed,
            Reject::WrongVersion => &self.rejected_version,
            Reject::Oversized => &self.rejected_oversized,
            Reject::InvalidTopic => &self.rejected_topic,
            Reject::InvalidNode => &self.rejected_node,
            Reject::InvalidPosition => &self.rejected_position,
        };
        Self::add(counter, 1);
    }

    /// `tracked` is the receiving side's (streams, bytes, evictions).
    pub(crate) fn snapshot(
        &self,
        local: pubsub_core::Stats,
        tracked: (u64, u64, u64),
    ) -> RedisStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RedisStats {
            local,
            sent: get(&self.sent),
            send_failures: get(&self.send_failures),
            received: get(&self.received),
            own_echoes: get(&self.own_echoes),
            rejected_not_json: get(&self.rejected_not_json),
            rejected_malformed: get(&self.rejected_malformed),
            rejected_version: get(&self.rejected_version),
            rejected_oversized: get(&self.rejected_oversized),
            rejected_topic: get(&self.rejected_topic),
            rejected_node: get(&self.rejected_node),
            rejected_position: get(&self.rejected_position),
            recovered_topics: get(&self.recovered_topics),
            unrecovered_topics: get(&self.unrecovered_topics),
            held_dropped: get(&self.held_dropped),
            duplicates: get(&self.duplicates),
            sequence_gaps: get(&self.sequence_gaps),
            gap_rounds: get(&self.gap_rounds),
            sequence_streams: tracked.0,
            sequence_bytes: tracked.1,
            sequence_evictions: tracked.2,
            reconnects: local.reconnects,
            ping_failures: get(&self.ping_failures),
            replaced_connection: get(&self.replaced_connection),
            slow_pings: get(&self.slow_pings),
            moved_topics: get(&self.moved_topics),
            lost_shard_topics: get(&self.lost_shard_topics),
        }
    }
}
