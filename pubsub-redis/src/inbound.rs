//! The receiving side: what happens to each push Redis sends on the subscriber connection.
//!
//! Runs inline on the connection's reader, in the order Redis sent, so message order per
//! publisher and topic is kept and no extra task hop is paid. Only cheap work happens here:
//! holes are recorded for the hole collector (`gaps.rs`), bad input is counted and logged at
//! most once a second, and a push from a replaced connection is dropped.

use pubsub_core::Topic;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::ChannelMode;
use crate::envelope::{self, Reject};
use crate::hold::Offered;
use crate::sequence::Seen;
use crate::shared::{Inbound, Shared};
use crate::stats::Counters;

/// Told to the link task by the reader.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// The connection of this generation is gone.
    Lost(u64),
    /// Cluster mode: one shard's connection of this generation was lost (the client does not
    /// say which); the client reconnects it, and the link checks which shard lost its
    /// subscriptions (`shards.rs`).
    ShardLost(u64),
    /// Cluster mode: Redis unsubscribed this topic's channel on the connection of this
    /// generation without being asked (an `sunsubscribe` push nobody here asked for: the
    /// channel's slot left that shard); the link looks at the slots at once.
    Left(u64, Topic),
}

fn bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        Value::VerbatimString { text, .. } => Some(text.as_bytes()),
        _ => None,
    }
}

/// Handles one push from the connection of `generation`.
pub(crate) fn handle(
    shared: &Shared,
    events: &UnboundedSender<LinkEvent>,
    generation: u64,
    push: &PushInfo,
) {
    match push.kind {
        PushKind::Message | PushKind::SMessage => {
            // The health check's sign of life: a PING late behind these is given more time.
            Counters::add(&shared.counters.pushes, 1);
            if let [channel, payload] = push.data.as_slice()
                && let (Some(channel), Some(payload)) = (bytes(channel), bytes(payload))
            {
                // This node's own envelopes start with a known head: skipped without parsing,
                // and without the lock.
                if payload.starts_with(shared.head.as_bytes()) {
                    Counters::add(&shared.counters.own_echoes, 1);
                    return;
                }
                let mut inbound = shared.inbound();
                if inbound.generation != generation {
                    // A replaced connection's reader still draining: the new connection is (or
                    // will be) subscribed, and the reconnect's gap notice covers what is lost.
                    Counters::add(&shared.counters.replaced_connection, 1);
                    return;
                }
                on_message(
                    shared,
                    &mut inbound,
                    &String::from_utf8_lossy(channel),
                    payload,
                );
            }
        }
        PushKind::Subscribe
        | PushKind::Unsubscribe
        | PushKind::SSubscribe
        | PushKind::SUnsubscribe => {
            // A channel (re)subscribed or left: its streams start afresh.
            if shared.config.mode != ChannelMode::Namespace
                && let Some(channel) = push.data.first().and_then(bytes)
                && let Some(topic) = shared
                    .config
                    .topic_of_channel(&String::from_utf8_lossy(channel))
            {
                let mut inbound = shared.inbound();
                if inbound.generation != generation {
                    return;
                }
                // Cluster mode: a confirmation this node did not ask for is the client
                // re-subscribing by itself, after it reconnected a shard (or moved the channel
                // after a redirect). The marks are kept: what was lost meanwhile shows as a
                // hole at the topic's next message from each sender, a gap notice for that
                // topic only (and none for the topics it merely confirmed again).
                if push.kind == PushKind::SSubscribe && !shared.confirmations.take(topic) {
                    return;
                }
                // Cluster mode: an `sunsubscribe` this node did not ask for is Redis dropping
                // the channel (its slot left the shard): the link follows the slots at once
                // rather than at its next look.
                if push.kind == PushKind::SUnsubscribe
                    && shared.config.mode == ChannelMode::Cluster
                    && !shared.departures.take(topic)
                    && let Ok(topic) = Topic::new(topic)
                {
                    let _ = events.send(LinkEvent::Left(generation, topic));
                }
                inbound.received.forget(topic);
            }
        }
        // On a cluster, one shard's connection: the client reconnects it by itself, but may not
        // subscribe its channels again (`shards.rs`).
        // Once until the link took it: a burst of pushes queues one check, not one each.
        PushKind::Disconnection
            if shared.config.mode == ChannelMode::Cluster
                && !shared
                    .shard_lost_told
                    .swap(true, std::sync::atomic::Ordering::AcqRel) =>
        {
            let _ = events.send(LinkEvent::ShardLost(generation));
        }
        PushKind::Disconnection if shared.config.mode == ChannelMode::Cluster => {}
        PushKind::Disconnection => {
            let _ = events.send(LinkEvent::Lost(generation));
        }
        _ => {}
    }
}

/// Cluster mode: `topic`'s channel is subscribed again on its shard (its new primary after a
/// failover, or a new connection to the same one), after a time in which its messages did not
/// reach this node: the node's copy of its history forgotten, and its subscribers given a gap
/// notice.
pub(crate) fn resubscribed(shared: &Shared, topic: &Topic) {
    if shared.history_policy(topic).is_some() {
        shared.forget_history(topic);
    }
    if shared.has_subscribers(topic) {
        shared.gaps.record(topic);
    }
}

/// Counts and (at most once a second) logs a skipped message; `channel` says where it was read
/// (a channel, or a history stream's key).
pub(crate) fn reject(shared: &Shared, channel: &str, payload: &[u8], reason: Reject) {
    shared.counters.reject(reason);
    // Anyone who can write to the channel could otherwise fill the logs: one line per second,
    // the counters have the exact figures.
    if let Some(held_back) = shared.reject_log.allow() {
        let preview = String::from_utf8_lossy(&payload[..payload.len().min(120)]).into_owned();
        tracing::warn!(
            channel = &channel[..channel.len().min(200)],
            reason = reason.as_str(),
            bytes = payload.len(),
            preview,
            similar_lines_held_back = held_back,
            "skipping a message from redis"
        );
    }
}

fn on_message(shared: &Shared, inbound: &mut Inbound, channel: &str, payload: &[u8]) {
    let incoming = match envelope::decode(payload, shared.config.max_message_bytes) {
        Ok(incoming) => incoming,
        Err(reason) => return reject(shared, channel, payload, reason),
    };
    if incoming.position.is_some() {
        return on_positioned(shared, inbound, channel, payload, incoming);
    }
    if incoming.node == Some(shared.node) {
        Counters::add(&shared.counters.own_echoes, 1);
        return;
    }
    let topic: &Topic = &incoming.topic;
    if shared.config.mode != ChannelMode::Namespace
        && shared.config.topic_of_channel(channel) != Some(topic.as_str())
    {
        return reject(shared, channel, payload, Reject::InvalidTopic);
    }
    if let (Some(node), Some(seq)) = (incoming.node, incoming.seq) {
        match inbound.received.observe(topic, node, seq) {
            Seen::Fine => {}
            Seen::Hole => {
                Counters::add(&shared.counters.sequence_gaps, 1);
                // The notice is sent by the hole collector, off this reader.
                if shared.has_subscribers(topic) {
                    shared.gaps.record(topic);
                }
            }
            Seen::Stale => {
                Counters::add(&shared.counters.duplicates, 1);
                return;
            }
        }
    }
    Counters::add(&shared.counters.received, 1);
    // The envelope's `from` names a subscription of the origin node, which skipped it there;
    // subscription ids are per process, so it means nothing here.
    let _ = incoming.from;
    shared.deliver(topic, &incoming.message);
}

/// A message of a topic with history (it has a position): this node's own ones too, since
/// local subscribers get them here, in Redis's order, like everyone else's. No sequence check:
/// offsets number the topic's messages, and the node's history mirror gives the gap notice
/// for a hole in them (once).
fn on_positioned(
    shared: &Shared,
    inbound: &mut Inbound,
    channel: &str,
    payload: &[u8],
    incoming: envelope::Incoming,
) {
    let topic: &Topic = &incoming.topic;
    if shared.config.mode != ChannelMode::Namespace
        && shared.config.topic_of_channel(channel) != Some(topic.as_str())
    {
        return reject(shared, channel, payload, Reject::InvalidTopic);
    }
    let own = incoming.node == Some(shared.node);
    Counters::add(
        if own {
            &shared.counters.own_echoes
        } else {
            &shared.counters.received
        },
        1,
    );
    if !shared.has_subscribers(topic) {
        // Nobody here listens: the node's copy of a topic's history serves its subscribers'
        // lag recoveries only, so it is not kept (in namespace mode the node reads every
        // topic), and what was kept is forgotten, since it now lacks this message.
        shared.forget_history(topic);
        return;
    }
    let mut message = incoming.message;
    if own && let Some(from) = incoming.from {
        // The subscription that published it skips it, as a local publish would.
        message = message.with_origin(from);
    }
    if let Some(hold) = inbound.hold.as_mut()
        && shared.history_policy(topic).is_some()
    {
        match hold.offer(topic, &message, payload.len()) {
            Offered::Held => return,
            Offered::Dropped => {
                Counters::add(&shared.counters.held_dropped, 1);
                return;
            }
            Offered::Deliver => {}
        }
    }
    shared.deliver(topic, &message);
}
