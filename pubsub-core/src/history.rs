//! History and recovery: positions on messages, and a subscriber that catches up instead of
//! reloading.
//!
//! A topic *with history* (chosen per topic family with a [`HistoryConfig`]) keeps its last
//! messages for a while, and gives every message a [`Position`]: an offset (1, 2, 3, … per
//! topic) and an [`Epoch`] (which changes when the topic's history was lost and its offsets
//! started again). A subscriber reads the position of each message it receives
//! ([`Message::position`](crate::Message::position),
//! [`TypedSubscription::last_position`](crate::TypedSubscription::last_position)) and, after a reconnect or a redeploy,
//! subscribes again *from* the last one it saw ([`Broker::subscribe_from`](crate::Broker::subscribe_from)
//! with [`Since::After`]): it gets every message after it, in order and once, then the live
//! ones, with no hole between the two.
//!
//! # Outcomes
//!
//! Subscribing from a position answers with a [`Recovery`]:
//!
//! - [`Recovery::Recovered`]: the missed messages (their count is given) come first, then the
//!   live ones. Nothing was lost.
//! - [`Recovery::Unrecoverable`]: nothing is replayed, and the subscription is live from now on.
//!   The caller reloads its state, as it did on its first load. This happens when the epoch
//!   changed (a new broker, a Redis without persistence restarted, a history expired), when the
//!   oldest missed message is no longer kept (the gap is older than the history: more than its
//!   size, or older than its maximum age), or when the topic has no history.
//!
//! Recovery is all or nothing: there is never a partial replay that would leave a screen looking
//! right while it is not.
//!
//! # Lags and gaps become recoveries
//!
//! On a topic with history, a subscription that falls behind (its buffer full) does not get
//! [`Delivery::Lagged`](crate::Delivery::Lagged): it recovers, by itself, from the last position
//! it received, out of the history, and gets every message in order. Only when the history
//! cannot cover the hole does it get the notice, with the exact count, as on a topic without
//! history. A network backend does the same for a reconnect: it recovers each topic with
//! history from the network's history and gives [`Delivery::Gap`](crate::Delivery::Gap) only
//! for the topics it could not recover. Topics without history keep today's notices.
//!
//! # What it costs
//!
//! Topics without history pay nothing new (one branch per publish when no topic keeps history;
//! a prefix match when some do). A topic with history keeps its last `size` messages (shared
//! with the subscribers that received them) and about 100 bytes per kept message beyond the
//! message itself; a publish to it takes the topic's lock, gets its offset and is delivered
//! under that lock, so deliveries follow offsets. Its subscribers read it from a ring of its own
//! (as a topic with many subscribers does, see
//! [`MemoryBrokerBuilder::hot_threshold`](crate::MemoryBrokerBuilder::hot_threshold)), so a
//! lag is per topic and recovers from the history; while a recovery's messages are being
//! received, a subscription holds them besides its `capacity` (at most the history's size).
//!
//! # History is a cache, not your source of truth
//!
//! History bridges blips (a tab that slept, a reconnect, a deploy); it is bounded by size and
//! age and may be lost. Keep your records in your database, load a screen from it, and treat
//! `Unrecoverable` (and any notice) as "reload". What history promises is that it never
//! pretends: a recovery is complete or it is refused.
//!
//! ```
//! use std::time::Duration;
//! use pubsub_core::history::{HistoryConfig, HistoryPolicy, Recovery, Since};
//! use pubsub_core::{Broker, Delivery, MemoryBroker, Message, Topic};
//! # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved(u32);
//! # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "docs"; fn name(&self) -> &'static str { "saved" } }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let history = HistoryConfig::new().prefix("docs:", HistoryPolicy::new(100, Duration::from_secs(300)));
//! let broker = MemoryBroker::builder().history(history).build();
//! let doc = Topic::new("docs:doc:1")?;
//!
//! let mut screen = broker.subscribe(&doc).await?;
//! broker.publish(&doc, Message::new(Saved(1))).await?;
//! let seen = screen.recv().await.and_then(Delivery::message).and_then(|m| m.position());
//! drop(screen); // the tab sleeps...
//!
//! broker.publish(&doc, Message::new(Saved(2))).await?;
//! broker.publish(&doc, Message::new(Saved(3))).await?;
//!
//! // ... and comes back from where it was.
//! let since = Since::After(seen.expect("a topic with history gives positions"));
//! let (mut screen, recovery) = broker.subscribe_from(&doc, since).await?;
//! assert_eq!(recovery, Recovery::Recovered { count: 2 });
//! for offset in [2, 3] {
//!     let message = screen.recv().await.and_then(Delivery::message).unwrap();
//!     assert_eq!(message.position().map(|p| p.offset), Some(offset));
//! }
//! # Ok(()) }
//! ```

mod log;
mod policy;
mod position;
mod track;

pub(crate) use log::{HistoryStore, Read};
pub use policy::{HistoryConfig, HistoryPolicy, MAX_HISTORY_SIZE};
pub use position::{Epoch, ParsePositionError, Position};
pub(crate) use track::{Track, Verdict};

/// Where a subscription to a topic starts.
///
/// ```
/// use pubsub_core::history::{Epoch, Position, Since};
/// let resume = Since::After(Position::new(42, Epoch::new(7)));
/// assert_ne!(resume, Since::Now);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Since {
    /// Live messages only: what [`Broker::subscribe`](crate::Broker::subscribe) does.
    #[default]
    Now,
    /// The topic's latest message first (from its history, if it has one), then live messages:
    /// a dashboard's current figure, a job's progress.
    Latest,
    /// Every message after this position (the last one the subscriber received), then live
    /// messages; or nothing and [`Recovery::Unrecoverable`].
    After(Position),
}

/// What subscribing from a position did.
///
/// ```
/// use pubsub_core::history::{Recovery, Unrecoverable};
/// assert!(Recovery::Recovered { count: 3 }.is_recovered());
/// assert!(!Recovery::Unrecoverable(Unrecoverable::TooOld).is_recovered());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing was asked for ([`Since::Now`]): live messages only.
    Live,
    /// `count` messages from the history come first, then live ones; nothing was missed.
    Recovered {
        /// How many messages are replayed (for [`Since::Latest`], 0 or 1).
        count: usize,
    },
    /// Nothing is replayed; the subscription is live from now on. Reload.
    Unrecoverable(Unrecoverable),
}

impl Recovery {
    /// Whether nothing was missed (live only, or a complete recovery).
    pub fn is_recovered(&self) -> bool {
        !matches!(self, Recovery::Unrecoverable(_))
    }
}

/// Why a recovery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unrecoverable {
    /// The topic has no history (no [`HistoryPolicy`] covers it).
    #[error("the topic has no history")]
    NoHistory,
    /// The topic's history is of another epoch: it was lost (a new broker, a restarted Redis
    /// without persistence, an expired history), and its offsets started again.
    #[error("the topic's history was lost since (its epoch changed)")]
    EpochChanged,
    /// The oldest missed message is no longer kept: the gap is larger than the history, or
    /// older than its maximum age.
    #[error("the missed messages are older than the history")]
    TooOld,
    /// The position is ahead of the topic's latest message in its epoch: it was not given by
    /// this topic.
    #[error("the position is ahead of the topic's latest message")]
    Ahead,
    /// The history could not be read (a network backend's error, logged).
    #[error("the history could not be read")]
    Unavailable,
}
