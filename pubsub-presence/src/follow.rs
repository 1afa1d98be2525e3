//! [`PresenceStream`]: a topic's presence as a stream, a full state first and diffs after.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;

use crate::id::MetaId;
use crate::meta::FromMeta;
use crate::presences::{PresenceDiff, PresenceEvent, Presences};
use crate::shared::Shared;
use crate::state::{Change, Entry};

/// Follows one topic's presence (see [`Presence::follow`](crate::Presence::follow)): yields
/// [`PresenceEvent::State`] first, then [`PresenceEvent::Diff`]s with nothing lost or doubled in
/// between. A follower that falls `follower_capacity` diffs behind gets a full state again
/// instead of the diffs it missed. Dropping it stops following.
pub struct PresenceStream<M> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) topic: Arc<str>,
    pub(crate) id: u64,
    pub(crate) rx: mpsc::Receiver<Arc<Change>>,
    pub(crate) stale: Arc<AtomicBool>,
    pub(crate) first: Option<Vec<(MetaId, Entry)>>,
    pub(crate) _meta: PhantomData<fn() -> M>,
}

impl<M: FromMeta> PresenceStream<M> {
    /// The next event; `None` once the node shut down.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// use pubsub_presence::{Presence, PresenceConfig, PresenceEvent};
    /// let presence = Presence::start(pubsub_core::MemoryBroker::new(), PresenceConfig::fast()).await?;
    /// let topic = pubsub_core::Topic::new("staff:teams")?;
    /// let mut follow = presence.follow::<u32>(&topic).await?;
    /// assert!(matches!(follow.recv().await, Some(PresenceEvent::State(s)) if s.is_empty()));
    /// let _ada = presence.track(&topic, "ada", &1u32).await?;
    /// let Some(PresenceEvent::Diff(diff)) = follow.recv().await else { panic!() };
    /// assert!(diff.joins.contains("ada"));
    /// # Ok(()) }
    /// ```
    pub async fn recv(&mut self) -> Option<PresenceEvent<M>> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<PresenceEvent<M>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(PresenceEvent::State(Presences::decode(&first))));
        }
        loop {
            if let Some(state) = self.shared.rebuild(&self.topic, &self.stale, &mut self.rx) {
                return Poll::Ready(Some(PresenceEvent::State(Presences::decode(&state))));
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(change)) => {
                    let diff = PresenceDiff {
                        joins: Presences::decode(&change.joins),
                        leaves: Presences::decode(&change.leaves),
                    };
                    if diff.joins.is_empty() && diff.leaves.is_empty() {
                        continue; // nothing of it decodes as M
                    }
                    return Poll::Ready(Some(PresenceEvent::Diff(diff)));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<M: FromMeta> Stream for PresenceStream<M> {
    type Item = PresenceEvent<M>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_event(cx)
    }
}

impl<M> Drop for PresenceStream<M> {
    fn drop(&mut self) {
        self.shared.unfollow(&self.topic, self.id);
    }
}

impl<M> fmt::Debug for PresenceStream<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresenceStream")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}
