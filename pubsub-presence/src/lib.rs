//! Presence for live screens: who is on this page, across nodes, over any
//! [`Broker`](pubsub_core::Broker).
//!
//! "Ada is also editing this project" next to live data. A [`Presence`] node tracks presences
//! (a key, such as a user id, with typed metadata) on topics and hands out a [`Tracked`] guard:
//! dropping it untracks. [`Presence::list`] gives a topic's [`Presences`] by key (a user in two
//! tabs is one key with two metas); [`Presence::follow`] gives a [`PresenceStream`] that starts
//! with the full state and continues with diffs (joins and leaves with their metas, Phoenix's
//! `presence_state` / `presence_diff`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pubsub_core::{MemoryBroker, Topic};
//! use pubsub_presence::{Presence, PresenceConfig, PresenceEvent};
//!
//! let presence = Presence::start(MemoryBroker::new(), PresenceConfig::default()).await?;
//! let page = Topic::new("projects:42")?;
//! let mut viewers = presence.follow::<String>(&page).await?;
//! assert!(matches!(viewers.recv().await, Some(PresenceEvent::State(s)) if s.is_empty()));
//!
//! let ada = presence.track(&page, "ada", "editing").await?;
//! let Some(PresenceEvent::Diff(diff)) = viewers.recv().await else { panic!() };
//! assert_eq!(diff.joins.get("ada").unwrap()[0].meta, "editing");
//!
//! drop(ada);
//! let Some(PresenceEvent::Diff(diff)) = viewers.recv().await else { panic!() };
//! assert!(diff.leaves.contains("ada"));
//! # Ok(()) }
//! ```
//!
//! # How it works across nodes, and why
//!
//! Each presence has one owner, the node that tracks it, and only its owner changes it. Every
//! node keeps, for each topic it holds, each owner's entries at that owner's *diff clock*; the
//! state of a topic is the union over live owners. Nothing needs merging (no CRDT), and the
//! state lives in the nodes, so any broker carries it: the in-memory one, Redis, a
//! tenant-scoped wrapper. This is Phoenix's approach (state replicated over the broker, with
//! heartbeats), with the complaints of its users (`../shared/REALTIME.md`) designed out:
//!
//! - **Traffic goes only where it is needed.** A topic's presence travels on its own presence
//!   topic (`<prefix>:t:<topic>`), which only nodes that track on or follow the topic subscribe
//!   to (in Redis per-topic mode, only they receive it; a node that only tracks reads the other
//!   trackers' diffs and drops them). Heartbeats are one small message per node per interval on
//!   `<prefix>:nodes`, whatever the number of presences. Phoenix sends every node's state
//!   deltas to every node.
//! - **No traffic for 20 minutes after a restart, no zombies after a deploy.** A node's id is
//!   new at every start; a node that leaves cleanly ([`Presence::shutdown`], or drop) says so
//!   and its presences go at once everywhere; a crashed node's presences go when it has been
//!   silent for [`PresenceConfig::expiry`] (default 15 s); a node restarted under the same
//!   [`PresenceConfig::name`] replaces its previous run at once. There are no tombstones to
//!   gossip: a gone node's later messages are ignored for four expiries. A node that cannot
//!   tell another's silence from its own deafness expires nobody: while its heartbeat fails
//!   (cut off from the broker), and while its own last heartbeat has not come back through its
//!   inbound queue (the queue is behind). A broker notice gives each node one fresh expiry
//!   window, not one per notice, so a crashed node still expires under frequent notices.
//! - **Joins and leaves are never doubled or lost.** Each owner numbers its diffs per topic
//!   (`prev` → `clock`); a diff that is not the next one is a duplicate (ignored) or a hole, and
//!   a hole makes the node ask that owner for its state, which replaces what it had (asked
//!   again after `sync_timeout` if no answer came). A state comes in numbered parts and only
//!   a whole one counts. A broker notice (lag, or a Redis reconnect) makes the node ask every
//!   node again and send its own states. A follower's stream gets a full state first and then exactly the diffs after it;
//!   one that falls [`PresenceConfig::follower_capacity`] diffs behind gets a full state again
//!   (bounded memory, nothing lost silently).
//! - **Mass reconnects do not storm.** Changes are batched per topic within
//!   [`PresenceConfig::window`] (default 20 ms): the first change after a quiet window is sent
//!   at once, later ones within the window go out together, as one diff (in parts of at most
//!   512 presences). 1,000 tracks within a second reach each follower as at most about 50
//!   diffs, not 1,000. A join and a leave of one presence within a window cancel out.
//!
//! The first follower of a topic on a node asks every node for its state (`sync` on the
//! control topic) and waits, at most [`PresenceConfig::sync_timeout`], for the answer of every
//! node it knows; a node heard of only later answers too, and its presences come as a diff.
//! [`Presence::list`] is a read of the local replica when the node follows the topic (10,000
//! presences list in about a millisecond), and a follow and a sync otherwise.
//!
//! Centrifugo's alternative, a Redis hash per channel with expiry refreshed by each client,
//! reads Redis on every list and offers joins and leaves at most once; ours lists from memory,
//! gets diffs exactly once and needs no backend code, at the cost of one state transfer when a
//! node starts following a topic.
//!
//! # Wire
//!
//! Presence messages are events of domain `presence` (JSON `{"event": …, "payload": …}`):
//! `heartbeat {node, name, hello, beat}`, `down {node}` and
//! `sync {node, topic, target}` on `<prefix>:nodes`; `state {node, topic, clock, entries, part,
//! more}` and `diff {node, topic, prev, clock, joins, leaves}` on `<prefix>:t:<topic>`, where an
//! entry is `{key, seq, meta}`. Node ids are 64-bit random numbers. Everything received is
//! checked first: keys at most 256 bytes, metadata at most 16 KiB, at most 512 entries per
//! message, valid topics, at most [`PresenceConfig::max_per_topic`] presences per node and
//! topic, at most 4,096 known nodes and 4,096 sync answers queued, and nothing but a heartbeat
//! from a node that has not sent one; what breaks a bound is counted in
//! [`PresenceStats::rejected`] and dropped. Anyone who can publish on the broker can still
//! speak for a node (there is no signature): the bounds cap what that costs.
//!
//! # Tenants
//!
//! A `Presence` started on a tenant-scoped broker (`pubsub_core::Scoped`, or
//! `MultiTenant::for_tenant`) keeps its presence topics, control topic included, inside the
//! tenant: topics work unchanged.

mod config;
mod error;
mod flush;
mod follow;
mod id;
mod inbound;
mod meta;
mod presence;
mod presences;
mod shared;
mod state;
mod stats;
#[cfg(feature = "testing")]
pub mod testing;
mod tracked;
mod wire;

pub use config::PresenceConfig;
pub use error::PresenceError;
pub use follow::PresenceStream;
pub use id::{MetaId, NodeId};
pub use meta::{FromMeta, RawMeta};
pub use presence::Presence;
pub use presences::{Meta, PresenceDiff, PresenceEvent, Presences};
pub use stats::PresenceStats;
pub use tracked::Tracked;
pub use wire::{MAX_BATCH, MAX_KEY, MAX_META};
