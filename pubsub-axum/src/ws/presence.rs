//! Presence on channel joins (feature `presence`): a join tracked in its topic's presence while
//! it lasts, and a join that follows the topic's presence as `$presence_state` and
//! `$presence_diff` frames (see [`frames`](super::frames) for the format).
//!
//! The order on the wire is the join's: tracking happens before the reply (the reply says
//! whether the join follows), and the follower starts after it, so a client never gets a
//! presence frame of a join it has not been told about.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use pubsub_core::Topic;
use pubsub_core::log_limit::LogLimit;
use pubsub_presence::{Presence, PresenceEvent, Presences, RawMeta, Tracked};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::conn::Outbound;
use super::frames;
use crate::auth::Tracking;

/// A WARN line for a presence call that failed, at most once a second (every join fails alike
/// while the broker is down, or once a topic is at its limit).
static FAILED: LogLimit = LogLimit::new(Duration::from_secs(1));

/// Tracks `tracking` on `topic` for the join's lifetime (`None` when there is nothing to track
/// or it failed); notes in the join's `response` whether it will follow.
pub(crate) async fn track(
    presence: Option<&Arc<Presence>>,
    tracking: Option<Tracking>,
    follow: bool,
    topic: &Topic,
    response: &mut Value,
) -> Option<Tracked> {
    if follow {
        response["presence"] = json!(presence.is_some());
    }
    let (presence, tracking) = (presence?, tracking?);
    match presence.track(topic, &tracking.key, &tracking.meta).await {
        Ok(tracked) => Some(tracked),
        Err(error) => {
            if let Some(held_back) = FAILED.allow() {
                tracing::warn!(%error, held_back, topic = topic.as_str(), "a join could not be tracked");
            }
            None
        }
    }
}

/// Starts forwarding `topic`'s presence into the connection's queue, after the join's reply.
pub(crate) fn follow(
    presence: &Arc<Presence>,
    topic: &Topic,
    prefix: &str,
    tx: &mpsc::Sender<Outbound>,
) -> JoinHandle<()> {
    tokio::spawn(forward(
        Arc::clone(presence),
        topic.clone(),
        prefix.to_owned(),
        tx.clone(),
    ))
}

/// Follows the topic's presence into the connection's queue (a full queue waits here; the
/// follower's own bounded buffer then turns into a fresh `$presence_state`). Metadata stays the
/// JSON it was tracked as, shared with the node's replica ([`RawMeta`]): it is copied into the
/// frame, never parsed.
async fn forward(
    presence: Arc<Presence>,
    topic: Topic,
    prefix: String,
    tx: mpsc::Sender<Outbound>,
) {
    let mut stream = match presence.follow::<RawMeta>(&topic).await {
        Ok(stream) => stream,
        Err(error) => {
            if let Some(held_back) = FAILED.allow() {
                tracing::warn!(%error, held_back, topic = topic.as_str(), "a join could not follow presence");
            }
            return;
        }
    };
    while let Some(event) = stream.recv().await {
        // Written straight into the frame: one string per frame.
        let frame = match event {
            PresenceEvent::State(state) => {
                frames::event_with(&prefix, "$presence_state", size(&state), |out| {
                    by_key(out, &state);
                })
            }
            PresenceEvent::Diff(diff) => {
                let size = size(&diff.joins) + size(&diff.leaves) + 24;
                frames::event_with(&prefix, "$presence_diff", size, |out| {
                    out.push_str("{\"joins\":");
                    by_key(out, &diff.joins);
                    out.push_str(",\"leaves\":");
                    by_key(out, &diff.leaves);
                    out.push('}');
                })
            }
        };
        if tx.send(Outbound::Text(frame)).await.is_err() {
            return;
        }
    }
}

/// A first guess of how many bytes [`by_key`] writes for `presences`, from their count (no
/// walk over them; the frame grows past it if their metadata is larger).
fn size(presences: &Presences<RawMeta>) -> usize {
    presences.len() * 128 + 2
}

/// Appends `{key: {"metas": [{"id": .., "meta": ..}]}}`, as Phoenix's presence payloads, keys
/// in order.
fn by_key(out: &mut String, presences: &Presences<RawMeta>) {
    out.push('{');
    for (i, (key, metas)) in presences.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        frames::push_json_string(out, key);
        out.push_str(":{\"metas\":[");
        for (j, meta) in metas.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"id\":\"{}", meta.id);
            out.push_str("\",\"meta\":");
            out.push_str(meta.meta.get());
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push('}');
}
