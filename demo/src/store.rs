//! The demo's "database": records as JSON, by kind and id, in this process or in Redis.
//!
//! With the in-memory broker the store lives in this process. With `--redis` it lives in Redis
//! (one hash per kind, `<namespace>:store:<kind>`), shared by every node: a node writes, commits,
//! then broadcasts an event that carries identifiers only (as the domain crates require), and
//! every node that receives it re-reads the record from the shared store. That is the shape of a
//! real deployment (one database, many app nodes, `PubSub` to say what changed).

mod backend;
pub mod model;
mod seed;

use std::sync::Arc;

use anyhow::Result;
use uuid::Uuid;

use backend::Backend;
pub use model::Record;
pub use seed::Sample;

/// A handle to the records; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Arc<Backend>,
}

impl Store {
    /// An empty store in this process.
    pub fn memory() -> Self {
        Store {
            backend: Arc::new(Backend::memory()),
        }
    }

    /// A store in the Redis at `url`, under the key prefix `<namespace>:store:`.
    ///
    /// # Errors
    ///
    /// When Redis cannot be reached.
    pub async fn redis(url: &str, namespace: &str) -> Result<Self> {
        Ok(Store {
            backend: Arc::new(Backend::redis(url, namespace).await?),
        })
    }

    /// Adds the sample data unless some node already did (one seeding per shared store).
    ///
    /// # Errors
    ///
    /// When the backend fails.
    pub async fn seed(&self) -> Result<()> {
        if self.backend.claim_seed().await? {
            seed::write(self).await?;
        }
        Ok(())
    }

    /// Inserts or replaces a record.
    ///
    /// # Errors
    ///
    /// When the backend fails.
    pub async fn put<R: Record>(&self, record: &R) -> Result<()> {
        let json = serde_json::to_string(record)?;
        self.backend.put(R::KIND, record.id(), json).await
    }

    /// Deletes a record; returns whether it existed.
    ///
    /// # Errors
    ///
    /// When the backend fails.
    pub async fn delete<R: Record>(&self, id: Uuid) -> Result<bool> {
        self.backend.delete(R::KIND, id).await
    }

    /// One record; `None` also when the stored JSON does not decode as `R` (logged: a shared
    /// store may hold anything another node or `redis-cli` wrote).
    ///
    /// # Errors
    ///
    /// When the backend fails.
    pub async fn get<R: Record>(&self, id: Uuid) -> Result<Option<R>> {
        Ok(self
            .backend
            .get(R::KIND, id)
            .await?
            .and_then(|json| decode(&json)))
    }

    /// Every record of a kind, in no particular order, without those whose stored JSON does not
    /// decode (logged, as in [`get`](Self::get)).
    ///
    /// # Errors
    ///
    /// When the backend fails.
    pub async fn all<R: Record>(&self) -> Result<Vec<R>> {
        Ok(self
            .backend
            .all(R::KIND)
            .await?
            .iter()
            .filter_map(|json| decode(json))
            .collect())
    }

    /// The records of a kind that satisfy `keep`.
    ///
    /// # Errors
    ///
    /// As [`all`](Self::all).
    pub async fn filter<R: Record>(&self, keep: impl Fn(&R) -> bool) -> Result<Vec<R>> {
        let mut records = self.all::<R>().await?;
        records.retain(|r| keep(r));
        Ok(records)
    }
}

/// A stored record, or `None` (logged) when its JSON is not an `R`.
fn decode<R: Record>(json: &str) -> Option<R> {
    match serde_json::from_str(json) {
        Ok(record) => Some(record),
        Err(error) => {
            tracing::warn!(kind = R::KIND, %error, "skipped a stored record that does not decode");
            None
        }
    }
}
