//! [`PresenceStats`]: what a node did, for dashboards and tests.

/// Counters and sizes of one [`Presence`](crate::Presence) node.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
/// use pubsub_presence::{Presence, PresenceConfig};
/// let presence = Presence::start(pubsub_core::MemoryBroker::new(), PresenceConfig::fast()).await?;
/// assert_eq!(presence.stats().tracked, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresenceStats {
    /// Other nodes heard from within the expiry.
    pub peers: u64,
    /// Topics this node tracks on or follows.
    pub topics: u64,
    /// Presences this node tracks.
    pub tracked: u64,
    /// Presence messages from the wire refused (out of bounds, undecodable, over a limit).
    pub rejected: u64,
    /// Holes seen in another node's diffs (each answered by asking that node for its state).
    pub holes: u64,
    /// Nodes whose presences were dropped because they fell silent past the expiry.
    pub expired: u64,
    /// Nodes that left cleanly (or were replaced by a newer run of the same name).
    pub departed: u64,
    /// Diffs and states this node sent.
    pub sent: u64,
    /// Publishes that failed.
    pub send_failures: u64,
    /// Followers that fell behind and were given a full state again.
    pub follower_resets: u64,
    /// Broker notices (lag, gap) on this node's presence subscription, each answered by a resync.
    pub resyncs: u64,
}
