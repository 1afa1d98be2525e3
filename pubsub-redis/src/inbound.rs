//! The receiving side: what happens to each push Redis sends on the subscriber connection.
//!
//! Runs inline on the connection's reader, in the order Redis sent, so message order per
//! publisher and topic is kept and no extra task hop is paid.

use pubsub_core::Topic;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::ChannelMode;
use crate::envelope::{self, Reject};
use crate::sequence::Seen;
use crate::shared::Shared;
use crate::stats::Counters;

/// Told to the link task by the reader.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// The connection of this generation is gone.
    Lost(u64),
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
        PushKind::Message => {
            if let [channel, payload] = push.data.as_slice()
                && let (Some(channel), Some(payload)) = (bytes(channel), bytes(payload))
            {
                on_message(shared, &String::from_utf8_lossy(channel), payload);
            }
        }
        PushKind::Subscribe | PushKind::Unsubscribe => {
            // A channel (re)subscribed or left: its streams start afresh.
            if shared.config.mode == ChannelMode::PerTopic
                && let Some(channel) = push.data.first().and_then(bytes)
                && let Some(topic) = shared
                    .config
                    .topic_of_channel(&String::from_utf8_lossy(channel))
            {
                shared.received().forget(topic);
            }
        }
        PushKind::Disconnection => {
            let _ = events.send(LinkEvent::Lost(generation));
        }
        _ => {}
    }
}

fn reject(shared: &Shared, channel: &str, payload: &[u8], reason: Reject) {
    shared.counters.reject(reason);
    let preview = String::from_utf8_lossy(&payload[..payload.len().min(120)]).into_owned();
    tracing::warn!(
        channel,
        reason = reason.as_str(),
        bytes = payload.len(),
        preview,
        "skipping a message from redis"
    );
}

fn on_message(shared: &Shared, channel: &str, payload: &[u8]) {
    // This node's own envelopes start with a known head: skip them without parsing.
    if payload.starts_with(shared.head.as_bytes()) {
        Counters::add(&shared.counters.own_echoes, 1);
        return;
    }
    let incoming = match envelope::decode(payload, shared.config.max_message_bytes) {
        Ok(incoming) => incoming,
        Err(reason) => return reject(shared, channel, payload, reason),
    };
    if incoming.node.as_deref() == Some(shared.node_id.as_str()) {
        Counters::add(&shared.counters.own_echoes, 1);
        return;
    }
    let topic: &Topic = &incoming.topic;
    let per_topic = shared.config.mode == ChannelMode::PerTopic;
    if per_topic && shared.config.topic_of_channel(channel) != Some(topic.as_str()) {
        return reject(shared, channel, payload, Reject::InvalidTopic);
    }
    if let (Some(node), Some(seq)) = (&incoming.node, incoming.seq) {
        let seen = shared
            .received()
            .observe(shared.config.stream_of(topic), node, seq);
        if seen == Seen::Hole {
            Counters::add(&shared.counters.sequence_gaps, 1);
            let told = if per_topic {
                shared.memory.notify_gap(topic)
            } else {
                shared.memory.notify_gap_all()
            };
            tracing::warn!(
                node = &**node,
                seq,
                topic = topic.as_str(),
                told,
                "hole in a remote node's sequence numbers: messages were lost; gap notice sent"
            );
        }
    }
    Counters::add(&shared.counters.received, 1);
    // The envelope's `from` names a subscription of the origin node, which skipped it there;
    // subscription ids are per process, so it means nothing here.
    let _ = incoming.from;
    shared.memory.deliver(topic, &incoming.message);
}
