//! What nodes tell each other, as events on the broker (documented in the crate docs, "Wire").
//!
//! Everything from the wire is checked by [`Wire::check`] before it touches any state: bounded
//! key, metadata and batch sizes, a valid topic, a node id that is not zero.

use pubsub_core::{Event, Topic};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::id::NodeId;

/// The longest presence key (a user id, typically), in bytes.
pub const MAX_KEY: usize = 256;
/// The longest metadata, as JSON, in bytes.
pub const MAX_META: usize = 16 * 1024;
/// The most entries one message carries; a larger state is sent in several.
pub const MAX_BATCH: usize = 512;

/// One presence on the wire: its key, its number on the sending node, its metadata's JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WireEntry {
    pub(crate) key: String,
    pub(crate) seq: u64,
    pub(crate) meta: Box<RawValue>,
}

/// A presence message. `topic` is the tracked topic (not the one the message travels on).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub(crate) enum Wire {
    /// On the control topic, every heartbeat interval: the node is alive. `name` is the stable
    /// name of the process, if configured: a run of that name that says hello replaces every
    /// other run of it at once (the order of hellos decides, not clocks that may differ).
    Heartbeat {
        node: NodeId,
        name: Option<String>,
        /// The node's first heartbeat: every node answers with its own at once, so the new
        /// node knows whom a sync waits for.
        hello: bool,
        /// The heartbeat's number (1, 2, ...): the node reads its own back to know its inbound
        /// queue is current.
        beat: u64,
    },
    /// On the control topic: the node leaves cleanly; its presences go at once.
    Down { node: NodeId },
    /// On the control topic: `node` asks for the presences of `topic` (of `target` only, or of
    /// every node). Each asked node answers with a [`Wire::State`], empty if it has none.
    Sync {
        node: NodeId,
        topic: String,
        target: Option<NodeId>,
    },
    /// On the topic's presence topic: every presence `node` tracks on `topic`, as of its diff
    /// `clock` (0: none yet). Sent in parts of at most [`MAX_BATCH`] entries, numbered from 0;
    /// `more` says another part follows.
    State {
        node: NodeId,
        topic: String,
        clock: u64,
        entries: Vec<WireEntry>,
        part: u32,
        more: bool,
    },
    /// On the topic's presence topic: what changed on `node` for `topic` since its diff `prev`
    /// (0: it had none). `joins` add or replace, `leaves` remove, by number.
    Diff {
        node: NodeId,
        topic: String,
        prev: u64,
        clock: u64,
        joins: Vec<WireEntry>,
        leaves: Vec<u64>,
    },
}

impl Event for Wire {
    const DOMAIN: &'static str = "presence";

    fn name(&self) -> &'static str {
        match self {
            Wire::Heartbeat { .. } => "heartbeat",
            Wire::Down { .. } => "down",
            Wire::Sync { .. } => "sync",
            Wire::State { .. } => "state",
            Wire::Diff { .. } => "diff",
        }
    }
}

impl Wire {
    /// The sending node.
    pub(crate) fn node(&self) -> NodeId {
        match self {
            Wire::Heartbeat { node, .. }
            | Wire::Down { node }
            | Wire::Sync { node, .. }
            | Wire::State { node, .. }
            | Wire::Diff { node, .. } => *node,
        }
    }

    /// Whether a message from the wire keeps every bound; the reason when not.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        if self.node() == NodeId::ZERO {
            return Err("node id zero");
        }
        match self {
            Wire::Heartbeat { name, .. } => match name {
                Some(name) if name.len() > MAX_KEY => Err("node name too long"),
                _ => Ok(()),
            },
            Wire::Down { .. } => Ok(()),
            Wire::Sync { topic, .. } => check_topic(topic),
            Wire::State { topic, entries, .. } => {
                check_topic(topic)?;
                check_entries(entries)
            }
            Wire::Diff {
                topic,
                prev,
                clock,
                joins,
                leaves,
                ..
            } => {
                check_topic(topic)?;
                if clock <= prev {
                    return Err("diff clock not after its previous one");
                }
                if leaves.len() > MAX_BATCH {
                    return Err("too many leaves in one message");
                }
                check_entries(joins)
            }
        }
    }
}

fn check_topic(topic: &str) -> Result<(), &'static str> {
    Topic::new(topic).map(drop).map_err(|_| "invalid topic")
}

fn check_entries(entries: &[WireEntry]) -> Result<(), &'static str> {
    if entries.len() > MAX_BATCH {
        return Err("too many entries in one message");
    }
    let mut seqs: Vec<u64> = entries.iter().map(|entry| entry.seq).collect();
    seqs.sort_unstable();
    if seqs.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err("one presence number twice in one message");
    }
    for entry in entries {
        if entry.key.is_empty() || entry.key.len() > MAX_KEY {
            return Err("key empty or too long");
        }
        if entry.meta.get().len() > MAX_META {
            return Err("metadata too large");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, meta: &str) -> WireEntry {
        WireEntry {
            key: key.to_owned(),
            seq: 1,
            meta: RawValue::from_string(meta.to_owned()).expect("json"),
        }
    }

    fn diff(joins: Vec<WireEntry>) -> Wire {
        Wire::Diff {
            node: NodeId::random(),
            topic: "projects:1".to_owned(),
            prev: 0,
            clock: 1,
            joins,
            leaves: Vec::new(),
        }
    }

    #[test]
    fn the_json_form_is_adjacently_tagged() {
        let json = serde_json::to_string(&diff(vec![entry("ada", r#"{"tab":1}"#)])).expect("json");
        assert!(
            json.starts_with(r#"{"event":"diff","payload":{"node":"#),
            "{json}"
        );
        assert!(json.contains(r#""meta":{"tab":1}"#), "{json}");
    }

    #[test]
    fn out_of_bound_messages_are_refused_with_a_reason() {
        assert!(diff(vec![entry("ada", "1")]).check().is_ok());
        let long_key = "k".repeat(MAX_KEY + 1);
        assert_eq!(
            diff(vec![entry(&long_key, "1")]).check(),
            Err("key empty or too long")
        );
        let big = format!("\"{}\"", "x".repeat(MAX_META));
        assert_eq!(
            diff(vec![entry("ada", &big)]).check(),
            Err("metadata too large")
        );
        let many = (0..=MAX_BATCH).map(|_| entry("a", "1")).collect();
        assert_eq!(diff(many).check(), Err("too many entries in one message"));
        let bad_topic = Wire::Sync {
            node: NodeId::random(),
            topic: "a::b".to_owned(),
            target: None,
        };
        assert_eq!(bad_topic.check(), Err("invalid topic"));
        let backwards = Wire::Diff {
            node: NodeId::random(),
            topic: "t".to_owned(),
            prev: 5,
            clock: 5,
            joins: Vec::new(),
            leaves: Vec::new(),
        };
        assert!(backwards.check().is_err());
        assert_eq!(
            Wire::Down { node: NodeId::ZERO }.check(),
            Err("node id zero")
        );
    }
}
