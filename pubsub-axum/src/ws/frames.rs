//! The channel frame format: JSON objects, one per WebSocket text message.
//!
//! Client to server:
//!
//! ```text
//! {"ref": "1", "topic": "docs:doc:1", "event": "$join", "payload": {"since": "12.00000000000000ab", "params": {}, "presence": true}}
//! {"ref": "2", "topic": "docs:doc:1", "event": "$leave"}
//! {"ref": "3", "event": "$heartbeat"}
//! ```
//!
//! Server to client:
//!
//! ```text
//! {"ref": "1", "topic": "docs:doc:1", "event": "$reply", "payload": {"status": "ok", "response": {"recovered": true, "replayed": 2, "position": "12.00000000000000ab"}}}
//! {"ref": "1", "topic": "docs:doc:1", "event": "$reply", "payload": {"status": "error", "response": {"reason": "unauthorized"}}}
//! {"join_ref": "1", "topic": "docs:doc:1", "event": "doc_saved", "payload": {...}, "position": "13.00000000000000ab"}
//! {"join_ref": "1", "topic": "docs:doc:1", "event": "$reload", "payload": {"reason": "lagged: 3 missed"}}
//! {"ref": "9", "event": "$error", "payload": {"reason": "unknown event `$jion`"}}
//! {"join_ref": "1", "topic": "docs:doc:1", "event": "$presence_state", "payload": {"ada": {"metas": [{"id": "3f…-1", "meta": {...}}]}}}
//! {"join_ref": "1", "topic": "docs:doc:1", "event": "$presence_diff", "payload": {"joins": {"bob": {"metas": [...]}}, "leaves": {}}}
//! ```
//!
//! The presence frames (feature `presence`, with `Channels::presence`) come to a join that
//! asked with `"presence": true`: the full state first, then diffs; an update of a presence is
//! its leave and its join with the same `id`. The join's reply says `"presence": true` when it
//! follows.
//!
//! `ref` is the client's string (at most [`MAX_REF_LEN`] bytes), echoed in the reply; a push
//! carries the `ref` of the join it belongs to as `join_ref`, so a client ignores pushes of a
//! join it has left. Gateway events start with `$`; every other `event` is the application
//! event's name, its `payload` the event's JSON (made once per message), its `position` where
//! to rejoin from (topics with history only).

use std::fmt::Write as _;

use pubsub_core::history::Position;
use pubsub_core::{Message, Topic};
use serde::Deserialize;
use serde_json::{Value, json};

/// The longest `ref` accepted, in bytes.
pub const MAX_REF_LEN: usize = 32;

/// The longest reason sent back to a client, in bytes.
const MAX_REASON_LEN: usize = 200;

/// A client frame, checked.
#[derive(Debug)]
pub(crate) enum ClientFrame {
    Join {
        reference: String,
        topic: Topic,
        since: Option<Position>,
        params: Value,
        /// Follow the topic's presence too.
        presence: bool,
    },
    Leave {
        reference: String,
        topic: Topic,
    },
    Heartbeat {
        reference: String,
    },
}

/// A frame that was refused: the `$error` to send back.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) reference: Option<String>,
    pub(crate) reason: String,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "ref")]
    reference: Option<Value>,
    topic: Option<String>,
    event: Option<String>,
    #[serde(default)]
    payload: Value,
}

#[derive(Deserialize)]
struct JoinPayload {
    since: Option<String>,
    #[serde(default)]
    params: Value,
    #[serde(default)]
    presence: bool,
}

/// Reads one text frame (already bounded by the socket's maximum message size).
pub(crate) fn parse(text: &str) -> Result<ClientFrame, Refused> {
    let raw: Raw = serde_json::from_str(text).map_err(|e| Refused {
        reference: None,
        reason: clip(format!("not a frame: {e}")),
    })?;
    let reference = match raw.reference {
        Some(Value::String(reference))
            if !reference.is_empty() && reference.len() <= MAX_REF_LEN =>
        {
            reference
        }
        _ => {
            return Err(Refused {
                reference: None,
                reason: format!("`ref` must be a string of 1 to {MAX_REF_LEN} bytes"),
            });
        }
    };
    let refuse = |reason: String| Refused {
        reference: Some(reference.clone()),
        reason: clip(reason),
    };
    let event = raw.event.ok_or_else(|| refuse("no `event`".to_owned()))?;
    let topic = || -> Result<Topic, Refused> {
        let name = raw
            .topic
            .as_deref()
            .ok_or_else(|| refuse("no `topic`".to_owned()))?;
        Topic::new(name).map_err(|e| refuse(format!("bad topic: {e}")))
    };
    match event.as_str() {
        "$join" => {
            let topic = topic()?;
            let payload = if raw.payload.is_null() {
                JoinPayload {
                    since: None,
                    params: Value::Null,
                    presence: false,
                }
            } else {
                serde_json::from_value::<JoinPayload>(raw.payload)
                    .map_err(|e| refuse(format!("bad join payload: {e}")))?
            };
            let since = match payload.since {
                None => None,
                Some(text) => Some(
                    text.parse::<Position>()
                        .map_err(|e| refuse(format!("bad `since`: {e}")))?,
                ),
            };
            Ok(ClientFrame::Join {
                reference,
                topic,
                since,
                params: payload.params,
                presence: payload.presence,
            })
        }
        "$leave" => Ok(ClientFrame::Leave {
            topic: topic()?,
            reference,
        }),
        "$heartbeat" => Ok(ClientFrame::Heartbeat { reference }),
        other => Err(refuse(format!("unknown event `{other}`"))),
    }
}

fn clip(mut text: String) -> String {
    if text.len() > MAX_REASON_LEN {
        let mut end = MAX_REASON_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// `{"ref": .., "topic": .., "event": "$reply", "payload": {"status": "ok", "response": ..}}`.
pub(crate) fn reply_ok(reference: &str, topic: Option<&Topic>, response: &Value) -> String {
    json!({
        "ref": reference,
        "topic": topic.map(Topic::as_str),
        "event": "$reply",
        "payload": { "status": "ok", "response": response },
    })
    .to_string()
}

/// A refused request's reply: `status: "error"` and the reason.
pub(crate) fn reply_error(reference: &str, topic: Option<&Topic>, reason: &str) -> String {
    json!({
        "ref": reference,
        "topic": topic.map(Topic::as_str),
        "event": "$reply",
        "payload": { "status": "error", "response": { "reason": clip(reason.to_owned()) } },
    })
    .to_string()
}

/// An `$error` frame for a frame that could not be read.
pub(crate) fn error(refused: &Refused) -> String {
    json!({
        "ref": refused.reference,
        "event": "$error",
        "payload": { "reason": refused.reason },
    })
    .to_string()
}

/// The start of every push of one join: `{"join_ref":"1","topic":"docs:doc:1","event":`.
pub(crate) fn push_prefix(reference: &str, topic: &Topic) -> String {
    format!(
        "{{\"join_ref\":{},\"topic\":{},\"event\":",
        Value::from(reference),
        Value::from(topic.as_str())
    )
}

/// One push: the join's prefix, then the message's name, its cached JSON and its position.
/// `None` when the event cannot be encoded (logged).
pub(crate) fn push(prefix: &str, message: &Message) -> Option<String> {
    let json = match message.json() {
        Ok(json) => json,
        Err(error) => {
            tracing::warn!(%error, "an event that cannot be encoded is skipped");
            return None;
        }
    };
    let mut frame = String::with_capacity(prefix.len() + json.len() + message.name().len() + 64);
    frame.push_str(prefix);
    push_json_string(&mut frame, message.name());
    frame.push_str(",\"payload\":");
    frame.push_str(json);
    if let Some(position) = message.position() {
        let _ = write!(frame, ",\"position\":\"{position}\"");
    }
    frame.push('}');
    Some(frame)
}

/// Appends `text` as a JSON string: as it is, quoted, when nothing in it needs an escape (an
/// event's name, always in practice), else through `serde_json`. Either way, what `serde_json`
/// writes.
pub(crate) fn push_json_string(frame: &mut String, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        frame.push('"');
        frame.push_str(text);
        frame.push('"');
    } else {
        frame.push_str(&Value::from(text).to_string());
    }
}

/// A gateway push of one join: its prefix, the event's name, and its payload (JSON text).
pub(crate) fn event(prefix: &str, name: &str, payload: &str) -> String {
    event_with(prefix, name, payload.len(), |frame| frame.push_str(payload))
}

/// An event of the gateway's own (`name` needs no escape), its payload written by `payload`
/// straight into the frame (about `size` bytes): one string, however the payload is made.
pub(crate) fn event_with(
    prefix: &str,
    name: &str,
    size: usize,
    payload: impl FnOnce(&mut String),
) -> String {
    let mut frame = String::with_capacity(prefix.len() + name.len() + size + 16);
    frame.push_str(prefix);
    frame.push('"');
    frame.push_str(name);
    frame.push_str("\",\"payload\":");
    payload(&mut frame);
    frame.push('}');
    frame
}

/// A `$reload` push: this join may have missed messages.
pub(crate) fn reload(prefix: &str, reason: &str) -> String {
    event(prefix, "$reload", &json!({ "reason": reason }).to_string())
}

#[cfg(test)]
mod tests;
