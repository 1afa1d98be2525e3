//! [`Tracked`]: the guard of one tracked presence.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::error::PresenceError;
use crate::id::MetaId;
use crate::shared::Shared;
use crate::state::Entry;

/// One presence this node tracks; dropping it untracks it (its leave reaches the followers
/// within one window).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
/// use pubsub_core::{MemoryBroker, Topic};
/// use pubsub_presence::{Presence, PresenceConfig};
///
/// let presence = Presence::start(MemoryBroker::new(), PresenceConfig::fast()).await?;
/// let topic = Topic::new("projects:42")?;
/// let tab = presence.track(&topic, "ada", &"editing").await?;
/// tab.update(&"viewing")?;
/// assert_eq!(presence.list::<String>(&topic).await?.get("ada").unwrap()[0].meta, "viewing");
/// drop(tab);
/// assert!(presence.list::<String>(&topic).await?.is_empty());
/// # Ok(()) }
/// ```
pub struct Tracked {
    pub(crate) shared: Arc<Shared>,
    pub(crate) topic: Arc<str>,
    pub(crate) key: Arc<str>,
    pub(crate) seq: u64,
}

impl Tracked {
    /// Which presence this is.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), pubsub_presence::PresenceConfig::fast()).await?;
    /// let tab = presence.track(&pubsub_core::Topic::new("t")?, "ada", &1).await?;
    /// assert_eq!(tab.id().node(), presence.node());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> MetaId {
        MetaId::new(self.shared.me, self.seq)
    }

    /// The key it is tracked under.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), pubsub_presence::PresenceConfig::fast()).await?;
    /// let tab = presence.track(&pubsub_core::Topic::new("t")?, "ada", &1).await?;
    /// assert_eq!(tab.key(), "ada");
    /// # Ok(()) }
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Replaces its metadata (followers see a leave of the old one and a join of the new one,
    /// with the same id).
    ///
    /// # Errors
    ///
    /// [`PresenceError::Invalid`] when the metadata does not serialise or is too large.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), pubsub_presence::PresenceConfig::fast()).await?;
    /// let tab = presence.track(&pubsub_core::Topic::new("t")?, "ada", &1).await?;
    /// tab.update(&2)?;
    /// # Ok(()) }
    /// ```
    pub fn update<M: Serialize + ?Sized>(&self, meta: &M) -> Result<(), PresenceError> {
        let meta = crate::presence::encode_meta(meta)?;
        let entry = Entry {
            key: Arc::clone(&self.key),
            meta,
        };
        if self.shared.set_own(&self.topic, self.seq, Some(entry)) {
            Ok(())
        } else {
            Err(PresenceError::Closed)
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.shared.set_own(&self.topic, self.seq, None) {
            self.shared.lock().stats.tracked -= 1;
        }
        self.shared.release(&self.topic);
    }
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracked")
            .field("topic", &self.topic)
            .field("key", &self.key)
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}
