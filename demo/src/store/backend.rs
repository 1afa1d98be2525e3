//! Where the JSON lives: a map in this process, or Redis hashes shared by every node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use uuid::Uuid;

type Tables = HashMap<&'static str, HashMap<Uuid, String>>;

pub(super) enum Backend {
    Memory {
        tables: Mutex<Tables>,
        seeded: AtomicBool,
    },
    Redis {
        connection: ConnectionManager,
        prefix: String,
    },
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Memory { .. } => f.write_str("Backend::Memory"),
            Backend::Redis { prefix, .. } => write!(f, "Backend::Redis({prefix})"),
        }
    }
}

impl Backend {
    pub(super) fn memory() -> Self {
        Backend::Memory {
            tables: Mutex::new(HashMap::new()),
            seeded: AtomicBool::new(false),
        }
    }

    pub(super) async fn redis(url: &str, namespace: &str) -> Result<Self> {
        let client = redis::Client::open(url).context("redis url")?;
        let connection = tokio::time::timeout(
            std::time::Duration::from_secs(3),
            client.get_connection_manager(),
        )
        .await
        .context("connecting to redis for the store: timed out")?
        .context("connecting to redis for the store")?;
        Ok(Backend::Redis {
            connection,
            prefix: format!("{namespace}:store:"),
        })
    }

    fn tables(tables: &Mutex<Tables>) -> std::sync::MutexGuard<'_, Tables> {
        tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `true` for the one caller that should write the sample data.
    pub(super) async fn claim_seed(&self) -> Result<bool> {
        match self {
            Backend::Memory { seeded, .. } => Ok(!seeded.swap(true, Ordering::AcqRel)),
            Backend::Redis { connection, prefix } => {
                let mut c = connection.clone();
                let claimed: bool = c.set_nx(format!("{prefix}seeded"), 1).await?;
                Ok(claimed)
            }
        }
    }

    pub(super) async fn put(&self, kind: &'static str, id: Uuid, json: String) -> Result<()> {
        match self {
            Backend::Memory { tables, .. } => {
                Self::tables(tables)
                    .entry(kind)
                    .or_default()
                    .insert(id, json);
                Ok(())
            }
            Backend::Redis { connection, prefix } => {
                let mut c = connection.clone();
                let () = c
                    .hset(format!("{prefix}{kind}"), id.to_string(), json)
                    .await?;
                Ok(())
            }
        }
    }

    pub(super) async fn delete(&self, kind: &'static str, id: Uuid) -> Result<bool> {
        match self {
            Backend::Memory { tables, .. } => Ok(Self::tables(tables)
                .get_mut(kind)
                .and_then(|t| t.remove(&id))
                .is_some()),
            Backend::Redis { connection, prefix } => {
                let mut c = connection.clone();
                let removed: u64 = c.hdel(format!("{prefix}{kind}"), id.to_string()).await?;
                Ok(removed > 0)
            }
        }
    }

    pub(super) async fn get(&self, kind: &'static str, id: Uuid) -> Result<Option<String>> {
        match self {
            Backend::Memory { tables, .. } => Ok(Self::tables(tables)
                .get(kind)
                .and_then(|t| t.get(&id))
                .cloned()),
            Backend::Redis { connection, prefix } => {
                let mut c = connection.clone();
                Ok(c.hget(format!("{prefix}{kind}"), id.to_string()).await?)
            }
        }
    }

    pub(super) async fn all(&self, kind: &'static str) -> Result<Vec<String>> {
        match self {
            Backend::Memory { tables, .. } => Ok(Self::tables(tables)
                .get(kind)
                .map(|t| t.values().cloned().collect())
                .unwrap_or_default()),
            Backend::Redis { connection, prefix } => {
                let mut c = connection.clone();
                Ok(c.hvals(format!("{prefix}{kind}")).await?)
            }
        }
    }
}
