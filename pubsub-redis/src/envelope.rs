//! The wire format: a versioned JSON envelope (see the crate docs for the field list).

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::Write as _;

use pubsub_core::history::{Epoch, Position};
use pubsub_core::{Message, SubscriptionId, Topic};
use redis::{RedisWrite, ToRedisArgs};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::error::Error;

/// The envelope format version this crate writes and accepts.
pub const VERSION: u64 = 1;

/// Room for the envelope's head (`{"v":1,"node":"<uuid>","seq":<u64>`).
const HEAD_BYTES: usize = 80;
/// Room for the head of an envelope of a topic with history
/// (`{"v":1,"node":"<uuid>","offset":<u64>,"epoch":"<16 hex digits>"`).
const HISTORY_HEAD_BYTES: usize = 112;

/// An envelope minus its head: built by the publishing task, completed with the sequence number
/// by the single task that sends, so numbers follow the wire order.
#[derive(Debug)]
pub(crate) struct Tail(String);

impl Tail {
    /// Encodes everything but the head: `,"topic":..,"domain":..[,"from":..],"event":..,"payload":..}`.
    /// Refused when the whole envelope could exceed `max_bytes`: with the head of a topic
    /// with history (`history`: offset and epoch) or a plain one (sequence number).
    pub(crate) fn new(
        topic: &Topic,
        message: &Message,
        max_bytes: usize,
        history: bool,
    ) -> Result<Tail, Error> {
        let json = message.json().map_err(|e| Error::Encode {
            domain: message.domain().to_owned(),
            event: message.name().to_owned(),
            reason: e.to_string(),
        })?;
        // Splice the event's own JSON (`{"event":..,"payload":..}`) into the envelope: no
        // re-serialisation, and `event`/`payload` are top-level fields.
        let Some(fields) = json.strip_prefix("{\"event\":") else {
            return Err(Error::Encode {
                domain: message.domain().to_owned(),
                event: message.name().to_owned(),
                reason: "its JSON is not an object starting with the `event` tag (use serde's \
                         adjacently tagged enums: #[serde(tag = \"event\", content = \"payload\")])"
                    .to_owned(),
            });
        };
        let mut tail = String::with_capacity(json.len() + topic.len() + 64);
        tail.push_str(",\"topic\":");
        push_json_str(&mut tail, topic.as_str());
        tail.push_str(",\"domain\":");
        push_json_str(&mut tail, message.domain());
        if let Some(from) = message.origin() {
            let _ = write!(tail, ",\"from\":{}", from.as_u64());
        }
        tail.push_str(",\"event\":");
        tail.push_str(fields);
        let bytes = tail.len()
            + if history {
                HISTORY_HEAD_BYTES
            } else {
                HEAD_BYTES
            };
        if bytes > max_bytes {
            return Err(Error::TooLarge {
                bytes,
                max: max_bytes,
            });
        }
        Ok(Tail(tail))
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The tail as text: what the history script splices after the offset and epoch.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The whole envelope: `head` (this node's [`head`]), then `seq`, then this tail. Written
    /// straight into the Redis command's buffer when given to `Cmd::arg`, with no string of its
    /// own.
    pub(crate) fn stamped<'a>(&'a self, head: &'a str, seq: u64) -> Stamped<'a> {
        Stamped {
            head,
            seq,
            tail: self,
        }
    }
}

/// A [`Tail`] completed with its head and sequence number (see [`Tail::stamped`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamped<'a> {
    head: &'a str,
    seq: u64,
    tail: &'a Tail,
}

impl fmt::Display for Stamped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.head, self.seq, self.tail.0)
    }
}

impl ToRedisArgs for Stamped<'_> {
    /// Three copies into the command's buffer, without `fmt` machinery.
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let mut digits = [0u8; 20];
        let seq = decimal(self.seq, &mut digits);
        let (head, tail) = (self.head.as_bytes(), self.tail.0.as_bytes());
        out.reserve_space_for_args([head.len() + seq.len() + tail.len()]);
        let mut arg = out.writer_for_next_arg();
        // Infallible: the writer appends to a buffer.
        let _ = arg
            .write_all(head)
            .and_then(|()| arg.write_all(seq))
            .and_then(|()| arg.write_all(tail));
    }
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        // Reason: a digit, 0..=9.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        buf[at] = b'0' + digit;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// How every envelope sent by `node` begins (up to its sequence number).
pub(crate) fn head(node: &str) -> String {
    format!("{{\"v\":{VERSION},\"node\":\"{node}\",\"seq\":")
}

/// How every envelope `node` sends to a topic with history begins (up to its offset): the
/// history script appends the offset, `,"epoch":"<16 hex digits>"` and the [`Tail`]. No `seq`:
/// offsets already number the topic's messages, across nodes.
pub(crate) fn history_head(node: &str) -> String {
    format!("{{\"v\":{VERSION},\"node\":\"{node}\",\"offset\":")
}

/// The whole envelope of a topic with history, as the history script builds it (for tests and
/// the documentation: the script splices the same parts).
#[cfg(test)]
pub(crate) fn positioned(head: &str, position: Position, tail: &Tail) -> String {
    format!(
        "{head}{},\"epoch\":\"{}\"{}",
        position.offset, position.epoch, tail.0
    )
}

fn push_json_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        // Infallible for a string.
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()));
    }
}

/// Why a message read from Redis was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    /// Not JSON at all.
    NotJson,
    /// JSON, but not an envelope (a field missing or of the wrong type).
    Malformed,
    /// An envelope of another format version.
    WrongVersion,
    /// Larger than the configured maximum.
    Oversized,
    /// The topic fails validation (or does not match its per-topic channel).
    InvalidTopic,
    /// The `node` field is not a node id (a hyphenated UUID).
    InvalidNode,
    /// A position that is not one: `offset` without `epoch` or the reverse, offset 0, an epoch
    /// that is not 16 hex digits, or a history entry whose id or topic does not match it.
    InvalidPosition,
}

impl Reject {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reject::NotJson => "not JSON",
            Reject::Malformed => "not an envelope",
            Reject::WrongVersion => "unsupported envelope version",
            Reject::Oversized => "oversized",
            Reject::InvalidTopic => "invalid topic",
            Reject::InvalidNode => "node id is not a UUID",
            Reject::InvalidPosition => "invalid offset or epoch",
        }
    }
}

#[derive(Deserialize)]
struct Raw<'a> {
    v: Option<u64>,
    #[serde(borrow, default)]
    node: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(borrow)]
    topic: Option<Cow<'a, str>>,
    #[serde(borrow)]
    domain: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "present")]
    payload: Option<&'a RawValue>,
    #[serde(default)]
    from: Option<u64>,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(borrow, default)]
    epoch: Option<Cow<'a, str>>,
}

/// Keeps an explicit `null` payload as `Some("null")`, unlike `Option`'s default.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// A decoded envelope, ready to hand to local subscribers.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) topic: Topic,
    pub(crate) node: Option<Uuid>,
    pub(crate) seq: Option<u64>,
    pub(crate) from: Option<SubscriptionId>,
    /// The message's place in its topic's history (topics with history only); the message
    /// carries it too.
    pub(crate) position: Option<Position>,
    pub(crate) message: Message,
}

/// Parses and validates one envelope.
pub(crate) fn decode(bytes: &[u8], max_bytes: usize) -> Result<Incoming, Reject> {
    if bytes.len() > max_bytes {
        return Err(Reject::Oversized);
    }
    let raw: Raw<'_> = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            Reject::NotJson
        } else {
            Reject::Malformed
        }
    })?;
    match raw.v {
        Some(VERSION) => {}
        Some(_) => return Err(Reject::WrongVersion),
        None => return Err(Reject::Malformed),
    }
    let (Some(topic), Some(domain), Some(event)) = (raw.topic, raw.domain, raw.event) else {
        return Err(Reject::Malformed);
    };
    if domain.is_empty() || event.is_empty() {
        return Err(Reject::Malformed);
    }
    let node = match raw.node {
        Some(node) => Some(node_id(&node).ok_or(Reject::InvalidNode)?),
        None => None,
    };
    let topic = Topic::new(topic.as_ref()).map_err(|_| Reject::InvalidTopic)?;
    let position = match (raw.offset, raw.epoch) {
        (None, None) => None,
        (Some(offset), Some(epoch)) if offset > 0 => Some(Position::new(
            offset,
            epoch_of(&epoch).ok_or(Reject::InvalidPosition)?,
        )),
        _ => return Err(Reject::InvalidPosition),
    };
    // `{"event":"<event>"` + `,"payload":<payload>` + `}`: the exact length (unless the event
    // needs escapes), so the message's `Box<str>` takes this allocation as it is.
    let mut json =
        String::with_capacity(event.len() + 12 + raw.payload.map_or(0, |p| p.get().len() + 11));
    json.push_str("{\"event\":");
    push_json_str(&mut json, &event);
    if let Some(payload) = raw.payload {
        json.push_str(",\"payload\":");
        json.push_str(payload.get());
    }
    json.push('}');
    let message = Message::from_json(domain.as_ref(), event.as_ref(), json);
    Ok(Incoming {
        topic,
        node,
        seq: raw.seq,
        from: raw.from.and_then(SubscriptionId::from_u64),
        position,
        message: match position {
            Some(position) => message.with_position(position),
            None => message,
        },
    })
}

/// An epoch as the wire and the history's meta hash carry it: exactly 16 hex digits.
pub(crate) fn epoch_of(text: &str) -> Option<Epoch> {
    if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(text, 16).ok().map(Epoch::new)
}

/// A node id as the wire carries it: a UUID in its hyphenated form (36 characters, any case).
pub(crate) fn node_id(text: &str) -> Option<Uuid> {
    if text.len() != 36 {
        return None;
    }
    Uuid::try_parse(text).ok()
}

#[cfg(test)]
mod tests;
