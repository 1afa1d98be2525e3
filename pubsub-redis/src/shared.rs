//! State shared by the broker handles, the receiving side and the background tasks.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pubsub_core::backend::Node;
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;

use crate::config::RedisConfig;
use crate::error::{Error, bounded};
use crate::sequence::Received;
use crate::stats::Counters;

/// What every part of one node needs.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The local registry and fan-out: local subscribers are always served from here.
    pub(crate) memory: Node,
    pub(crate) config: RedisConfig,
    /// This node's id, written into every envelope it sends; envelopes carrying it are echoes.
    pub(crate) node_id: String,
    /// How every envelope this node writes begins (up to its sequence number); read back, it
    /// marks an echo.
    pub(crate) head: String,
    pub(crate) counters: Counters,
    received: Mutex<Received>,
}

impl Shared {
    pub(crate) fn new(memory: Node, config: RedisConfig) -> Self {
        let node_id = uuid::Uuid::new_v4().to_string();
        Shared {
            memory,
            config,
            head: crate::envelope::head(&node_id),
            node_id,
            counters: Counters::default(),
            received: Mutex::new(Received::default()),
        }
    }

    /// The receivers' sequence marks. Never held while calling into the registry.
    pub(crate) fn received(&self) -> MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Opens a connection with `config` (its push handler) and names it `name`, so operators find it
/// in `CLIENT LIST`; each step bounded by `after`.
pub(crate) async fn open(
    client: &redis::Client,
    config: AsyncConnectionConfig,
    after: Duration,
    name: &str,
) -> Result<MultiplexedConnection, Error> {
    let config = config
        .set_connection_timeout(Some(after))
        .set_response_timeout(None);
    let mut conn = bounded(
        "connect",
        after,
        client.get_multiplexed_async_connection_with_config(&config),
    )
    .await?;
    let mut setname = redis::cmd("CLIENT");
    setname.arg("SETNAME").arg(name);
    bounded("connect", after, setname.query_async::<()>(&mut conn)).await?;
    Ok(conn)
}
