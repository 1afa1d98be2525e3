//! Cluster mode: a circuit breaker per publishing connection, that is per primary
//! (`admission.rs`), so a shard that stops answering fails only its own topics' publishes.
//!
//! The node-wide circuit (`circuit.rs`) opens when a publish times out: on one server that
//! means the server is frozen or overloaded, and every publish would wait for the same
//! timeout. On a cluster it means one shard is: the others answer. So there a publish that
//! times out (waiting for Redis's answer, or for an admission slot on its shard's connection;
//! the history script's too) opens its connection's circuit only: publishes and history reads
//! for that primary's slots fail at once, the others go on. A probe replaces the connection, every
//! [`RedisConfig::reconnect_min_delay`](crate::RedisConfig::reconnect_min_delay) doubling up to
//! [`RedisConfig::reconnect_max_delay`](crate::RedisConfig::reconnect_max_delay): a new cluster
//! connection whose `PING` to the shard's primary is answered (a connection that opens is not
//! enough: the other nodes answer for the cluster). The publisher takes it at the next publish
//! to that shard, which closes the circuit.
//!
//! The envelopes that timed out are still queued on the old connection, which is let go of;
//! a shard that thaws delivers them after all. Its topics may then see them overtaken by the
//! next ones (sent on the new connection), which the receiving nodes report as a hole: the
//! shard's subscribers were told of trouble either way, never the other shards'.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};

use crate::circuit::retry;
use crate::conn::{Client, Conn};
use crate::error::{Error, bounded};
use crate::shared::Shared;

/// The circuit of the connection an envelope goes out on, and the envelope's slot (a probe
/// must reach its primary): what a timeout trips.
pub(crate) type Breaker = (Arc<ShardCircuit>, u16);

/// One publishing connection's circuit (see the module's docs).
#[derive(Debug, Default)]
pub(crate) struct ShardCircuit {
    open: AtomicBool,
    /// A probe task is running.
    probing: AtomicBool,
    /// The connection a successful probe made, for the publisher to take.
    ready: Mutex<Option<Conn>>,
}

impl ShardCircuit {
    /// Whether publishes on this connection fail at once.
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Opens the circuit and starts probing (unless a probe runs): a publish to `slot` timed
    /// out, so a replacement must answer a `PING` routed to `slot`'s primary.
    pub(crate) fn trip(self: &Arc<Self>, shared: &Arc<Shared>, slot: u16) {
        self.open.store(true, Ordering::Release);
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::warn!(
            slot,
            "a redis cluster shard did not answer a publish in time; \
             publishes to its slots fail at once until it answers again"
        );
        tokio::spawn(Arc::clone(self).probe(Arc::downgrade(shared), slot));
    }

    /// The connection a probe made, if any; taking it closes the circuit.
    pub(crate) fn take_ready(&self) -> Option<Conn> {
        let conn = self
            .ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        self.open.store(false, Ordering::Release);
        Some(conn)
    }

    async fn probe(self: Arc<Self>, shared: Weak<Shared>, slot: u16) {
        let answer = |shared: Arc<Shared>| async move {
            answering(shared.circuit.client(), &shared, slot).await
        };
        let Some((_, conn)) = retry(&shared, "redis cluster shard still silent", answer).await
        else {
            return; // the broker is gone
        };
        *self.ready.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn);
        self.probing.store(false, Ordering::Release);
        tracing::info!(slot, "a redis cluster shard answers publishes again");
    }
}

/// A new cluster connection whose `PING` to `slot`'s primary was answered.
async fn answering(client: &Client, shared: &Shared, slot: u16) -> Result<Conn, Error> {
    let conn = crate::publisher::open_cluster(client, shared).await?;
    let Conn::Cluster(cluster) = &conn else {
        return Ok(conn);
    };
    let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::new(
        slot,
        SlotAddr::Master,
    )));
    let mut cluster = cluster.clone();
    bounded(
        "ping",
        shared.config.ping_timeout,
        cluster.route_command(redis::cmd("PING"), route),
    )
    .await?;
    Ok(conn)
}
