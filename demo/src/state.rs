//! [`AppState`]: what every handler and live page shares.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Result;
use pubsub_axum::{Channels, Sse};
use pubsub_core::history::{HistoryConfig, HistoryPolicy};
use pubsub_core::{Broker, MemoryBroker};
use pubsub_presence::{Presence, PresenceConfig};
use pubsub_redis::{RedisBroker, RedisConfig};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::store::Store;
use crate::web::socket::Cut;

/// The broker (any backend, behind one type), the store, and this node's description.
#[derive(Clone)]
pub struct AppState {
    /// `MemoryBroker` by default, `RedisBroker` with `--redis`.
    pub broker: Arc<dyn Broker>,
    /// The records.
    pub store: Store,
    /// What the page header says about this node (`:4000 · in-memory broker`).
    pub node: Arc<str>,
    /// Whether the "simulate activity" switch is on.
    pub simulating: Arc<AtomicBool>,
    /// Cancelled when the server shuts down: every live stream and socket ends.
    pub shutdown: CancellationToken,
    /// The live pages' SSE settings (keep-alives, the shutdown).
    pub sse: Sse,
    /// The WebSocket channels: `jobs:` topics (the job page) and `viewers:` topics (who else
    /// is viewing a contact or team page, through `presence`).
    pub channels: Channels<()>,
    /// This node's presence (on the same broker: across nodes with Redis).
    pub presence: Arc<Presence>,
    /// The "cut connections" switch (`POST /api/cut`): drops every socket, refuses new ones
    /// for a while.
    pub cut: Arc<Cut>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("node", &self.node)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// The history the demo's topics keep: what each domain crate suggests, merged, plus the jobs
/// page's (a job's progress, so a page opened later shows it at once with `Since::Latest`).
pub fn history() -> HistoryConfig {
    HistoryConfig::new()
        .merge(&crm_events::suggested_history())
        .merge(&projects_events::suggested_history())
        .merge(&staff_events::suggested_history())
        .merge(&catalogue_events::suggested_history())
        .prefix(
            "jobs:",
            HistoryPolicy::new(200, std::time::Duration::from_secs(600)),
        )
}

impl AppState {
    /// A state on the in-memory broker and store, seeded: what tests use.
    ///
    /// # Errors
    ///
    /// Never in practice (the in-memory store does not fail).
    pub async fn in_memory(capacity: usize) -> Result<Self> {
        let store = Store::memory();
        store.seed().await?;
        Self::new(
            Arc::new(
                MemoryBroker::builder()
                    .capacity(capacity)
                    .history(history())
                    .build(),
            ),
            store,
            "in-memory broker",
        )
        .await
    }

    /// Connects the broker and store that `config` asks for and seeds the store (once per
    /// shared store).
    ///
    /// # Errors
    ///
    /// When Redis cannot be reached.
    pub async fn connect(config: &Config) -> Result<Self> {
        let Some(url) = &config.redis else {
            return Self::in_memory(config.capacity).await;
        };
        let mut redis = RedisConfig::new(url.clone());
        redis.namespace.clone_from(&config.namespace);
        redis.capacity = config.capacity;
        redis.history = history();
        let broker = RedisBroker::connect(redis).await?;
        let node_id = broker.node_id();
        let label = format!("Redis broker, node {}", node_id.get(..8).unwrap_or(node_id));
        let store = Store::redis(url, &config.namespace).await?;
        store.seed().await?;
        Self::new(Arc::new(broker), store, &label).await
    }

    async fn new(broker: Arc<dyn Broker>, store: Store, node: &str) -> Result<Self> {
        let shutdown = CancellationToken::new();
        let presence =
            Arc::new(Presence::start(Arc::clone(&broker), PresenceConfig::default()).await?);
        let channels = Channels::new(crate::web::viewers::Rules)
            .idle_timeout(Duration::from_secs(60))
            .presence(Arc::clone(&presence))
            .shutdown(shutdown.clone());
        Ok(AppState {
            broker,
            store,
            node: Arc::from(node),
            simulating: Arc::new(AtomicBool::new(false)),
            sse: Sse::new().shutdown(shutdown.clone()),
            cut: Arc::new(Cut::new(&shutdown)),
            channels,
            presence,
            shutdown,
        })
    }
}
