//! State shared by the broker handles, the receiving side and the background tasks.

use std::sync::{Mutex, MutexGuard, PoisonError};

use pubsub_core::MemoryBroker;

use crate::config::RedisConfig;
use crate::sequence::Received;
use crate::stats::Counters;

/// What every part of one node needs.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The local registry and fan-out: local subscribers are always served from here.
    pub(crate) memory: MemoryBroker,
    pub(crate) config: RedisConfig,
    /// This node's id, written into every envelope it sends; envelopes carrying it are echoes.
    pub(crate) node_id: String,
    /// How every envelope this node writes begins.
    pub(crate) echo_head: String,
    pub(crate) counters: Counters,
    received: Mutex<Received>,
}

impl Shared {
    pub(crate) fn new(memory: MemoryBroker, config: RedisConfig) -> Self {
        let node_id = uuid::Uuid::new_v4().to_string();
        Shared {
            memory,
            config,
            echo_head: crate::envelope::head(&node_id),
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
