//! [`Presence`]: one node's presence tracker over a broker.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use pubsub_core::{Broker, Topic};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::PresenceConfig;
use crate::error::PresenceError;
use crate::follow::PresenceStream;
use crate::id::NodeId;
use crate::meta::FromMeta;
use crate::presences::Presences;
use crate::shared::{Command, FollowerTx, Shared, TopicState};
use crate::state::Entry;
use crate::stats::PresenceStats;
use crate::tracked::Tracked;
use crate::wire::{MAX_KEY, MAX_META};
use crate::{flush, inbound};

/// How long after its start a node waits, before its first sync, for the other nodes to answer
/// its hello (so the sync knows whom to wait for).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

/// One node's presence: track presences, list them, follow them. Cheap to share behind an
/// `Arc`; one per process (and per broker) is the usual shape.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
/// use pubsub_core::{MemoryBroker, Topic};
/// use pubsub_presence::{Presence, PresenceConfig};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// struct Viewer { name: String, tab: u32 }
///
/// let presence = Presence::start(MemoryBroker::new(), PresenceConfig::default()).await?;
/// let page = Topic::new("crm:contacts:7")?;
/// let _first = presence.track(&page, "ada", &Viewer { name: "Ada".into(), tab: 1 }).await?;
/// let _second = presence.track(&page, "ada", &Viewer { name: "Ada".into(), tab: 2 }).await?;
/// let viewers = presence.list::<Viewer>(&page).await?;
/// assert_eq!(viewers.len(), 1); // one user
/// assert_eq!(viewers.metas(), 2); // in two tabs
/// presence.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Presence {
    shared: Arc<Shared>,
    inbound: JoinHandle<()>,
    flusher: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Presence {
    /// Starts a node on `broker` (any [`Broker`]: in memory, Redis, tenant-scoped): subscribes
    /// to the control topic and says hello.
    ///
    /// # Errors
    ///
    /// [`PresenceError::Config`] for inconsistent settings; the broker's error when it cannot
    /// subscribe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// let presence = pubsub_presence::Presence::start(
    ///     pubsub_core::MemoryBroker::new(),
    ///     pubsub_presence::PresenceConfig::default(),
    /// ).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start<B: Broker + 'static>(
        broker: B,
        config: PresenceConfig,
    ) -> Result<Self, PresenceError> {
        config.validate().map_err(PresenceError::Config)?;
        let control = Topic::new(format!("{}:nodes", config.prefix))?;
        let broker: Arc<dyn Broker> = Arc::new(broker);
        let subscription = broker.subscribe(&control).await?;
        let (commands, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(config, control, commands));
        let inbound = tokio::spawn(inbound::run(
            Arc::clone(&shared),
            Arc::clone(&broker),
            subscription,
            rx,
        ));
        let flusher = tokio::spawn(flush::run(Arc::clone(&shared), broker));
        Ok(Self {
            shared,
            inbound,
            flusher: std::sync::Mutex::new(Some(flusher)),
        })
    }

    /// This node's id (new at every start).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let a = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
    /// # let b = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
    /// assert_ne!(a.node(), b.node());
    /// # Ok(()) }
    /// ```
    pub fn node(&self) -> NodeId {
        self.shared.me
    }

    /// Tracks `key` (a user) with `meta` on `topic`, until the guard is dropped. The presence
    /// is in this node's [`list`](Self::list) when this returns, and reaches the followers on
    /// every node within one window (`PresenceConfig::window`) and a broker hop.
    ///
    /// # Errors
    ///
    /// [`PresenceError::Invalid`] for an empty or too long key (over 256 bytes), metadata that
    /// does not serialise or is over 16 KiB of JSON, or a topic at `max_per_topic`;
    /// [`PresenceError::Topic`] when the topic is too long to prefix; the broker's error when it
    /// cannot subscribe to the topic's presence topic.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
    /// let topic = pubsub_core::Topic::new("projects:7")?;
    /// let guard = presence.track(&topic, "ada", &serde_json::json!({"editing": true})).await?;
    /// assert!(presence.track(&topic, "", &1).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn track<M: Serialize + ?Sized>(
        &self,
        topic: &Topic,
        key: &str,
        meta: &M,
    ) -> Result<Tracked, PresenceError> {
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(PresenceError::Invalid(format!(
                "a key must be 1 to {MAX_KEY} bytes, not {}",
                key.len()
            )));
        }
        let meta = encode_meta(meta)?;
        let name: Arc<str> = topic.as_str().into();
        self.hold(&name).await?;
        let seq = {
            let mut inner = self.shared.lock();
            let full = inner.topics.get(&name).is_some_and(|s| {
                s.replica.count(self.shared.me) >= self.shared.config.max_per_topic
            });
            if full {
                drop(inner);
                self.shared.release(&name);
                return Err(PresenceError::Invalid(format!(
                    "topic `{name}` has max_per_topic presences on this node"
                )));
            }
            let seq = inner.next_seq;
            inner.next_seq += 1;
            inner.stats.tracked += 1;
            seq
        };
        let key: Arc<str> = key.into();
        let entry = Entry {
            key: Arc::clone(&key),
            meta,
        };
        self.shared.set_own(&name, seq, Some(entry));
        Ok(Tracked {
            shared: Arc::clone(&self.shared),
            topic: name,
            key,
            seq,
        })
    }

    /// Every presence of `topic`, on every node. Immediate when this node follows the topic;
    /// otherwise it first asks the other nodes (at most `sync_timeout`).
    ///
    /// # Errors
    ///
    /// As [`follow`](Self::follow).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
    /// let topic = pubsub_core::Topic::new("projects:7")?;
    /// let _ada = presence.track(&topic, "ada", &1).await?;
    /// let _bob = presence.track(&topic, "bob", &1).await?;
    /// let list = presence.list::<u32>(&topic).await?;
    /// assert_eq!(list.keys().collect::<Vec<_>>(), ["ada", "bob"]);
    /// # Ok(()) }
    /// ```
    pub async fn list<M: FromMeta>(&self, topic: &Topic) -> Result<Presences<M>, PresenceError> {
        let snapshot = {
            let inner = self.shared.lock();
            inner
                .topics
                .get(topic.as_str())
                .filter(|state| state.replicated && *state.synced.borrow())
                .map(|state| state.replica.snapshot())
        };
        if let Some(snapshot) = snapshot {
            return Ok(Presences::decode(&snapshot));
        }
        // Following makes the replica current; the list is what it holds now (a follower's
        // first state is as of the last flush).
        let stream = self.follow::<M>(topic).await?;
        let snapshot = self
            .shared
            .lock()
            .topics
            .get(topic.as_str())
            .map(|state| state.replica.snapshot())
            .unwrap_or_default();
        drop(stream);
        Ok(Presences::decode(&snapshot))
    }

    /// Follows `topic`'s presence: a full state first, then diffs, nothing lost or doubled in
    /// between. The first follower of a topic on this node asks every other node for its state
    /// and waits for the answers (at most `sync_timeout`; a later answer comes as a diff).
    ///
    /// # Errors
    ///
    /// [`PresenceError::Topic`] when the topic is too long to prefix, the broker's error when
    /// it cannot subscribe, [`PresenceError::Closed`] after shutdown.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// use pubsub_presence::PresenceEvent;
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
    /// let topic = pubsub_core::Topic::new("projects:7")?;
    /// let _ada = presence.track(&topic, "ada", &1).await?;
    /// let mut follow = presence.follow::<u32>(&topic).await?;
    /// let Some(PresenceEvent::State(state)) = follow.recv().await else { panic!() };
    /// assert!(state.contains("ada"));
    /// # Ok(()) }
    /// ```
    pub async fn follow<M: FromMeta>(
        &self,
        topic: &Topic,
    ) -> Result<PresenceStream<M>, PresenceError> {
        let name: Arc<str> = topic.as_str().into();
        self.hold(&name).await?;
        let mut held = Held {
            shared: &self.shared,
            name: &name,
            armed: true,
            joining: false,
        };
        tokio::time::sleep_until(self.shared.born + SETTLE).await;
        let mut synced = {
            let mut inner = self.shared.lock();
            let inner = &mut *inner;
            let peers = inner.live_peers();
            let state = inner.topics.get_mut(&name).ok_or(PresenceError::Closed)?;
            // Replication stays on while this follow waits, whoever else comes and goes.
            state.joining += 1;
            held.joining = true;
            if !state.replicated {
                state.replicated = true;
                state.awaiting = peers;
                state.synced.send_replace(state.awaiting.is_empty());
                // Asked even when no peer is known yet: a node heard of only now answers too.
                inner.outbox.syncs.push((Arc::clone(&name), None));
                self.shared.wake.notify_one();
            }
            state.synced.subscribe()
        };
        let wait = synced.wait_for(|synced| *synced);
        if tokio::time::timeout(self.shared.config.sync_timeout, wait)
            .await
            .is_err()
        {
            let mut inner = self.shared.lock();
            if let Some(state) = inner.topics.get_mut(&name) {
                tracing::debug!(
                    topic = &*name,
                    missing = state.awaiting.len(),
                    "presence sync timed out; late states come as diffs"
                );
                state.awaiting.clear();
                state.synced.send_replace(true);
            }
        }
        let mut guard = self.shared.lock();
        let inner = &mut *guard;
        let id = inner.next_follower;
        inner.next_follower += 1;
        let state: &mut TopicState = inner.topics.get_mut(&name).ok_or(PresenceError::Closed)?;
        // The others hear what is pending first, so this follower starts from the state now
        // (the sync's answers included) and gets exactly the diffs after it.
        state.tell_now(self.shared.me, &mut inner.stats.follower_resets);
        let first = state.replica.snapshot();
        let (tx, rx) = mpsc::channel(self.shared.config.follower_capacity);
        let overflowed = Arc::new(AtomicBool::new(false));
        state.followers.push(FollowerTx {
            id,
            tx,
            stale: Arc::clone(&overflowed),
        });
        state.joining -= 1;
        drop(guard);
        held.disarm();
        Ok(PresenceStream {
            shared: Arc::clone(&self.shared),
            topic: name,
            id,
            rx,
            stale: overflowed,
            first: Some(first),
            _meta: PhantomData,
        })
    }

    /// Counters and sizes of this node.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
    /// let _ada = presence.track(&pubsub_core::Topic::new("t")?, "ada", &1).await?;
    /// assert_eq!(presence.stats().tracked, 1);
    /// assert_eq!(presence.stats().topics, 1);
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> PresenceStats {
        let inner = self.shared.lock();
        let mut stats = inner.stats.clone();
        stats.peers = inner.peers.len() as u64;
        stats.topics = inner.topics.len() as u64;
        stats
    }

    /// Leaves cleanly: what changed is sent, then every node drops this node's presences at
    /// once; later calls fail with [`PresenceError::Closed`]. Dropping a `Presence` does the
    /// same without waiting.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// # let presence = pubsub_presence::Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
    /// presence.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn shutdown(&self) {
        self.close();
        let flusher = self
            .flusher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(flusher) = flusher {
            let _ = tokio::time::timeout(self.shared.config.sync_timeout, flusher).await;
        }
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        self.inbound.abort();
    }

    /// Holds `name` (a guard, a follower or a call in progress), subscribing to its presence
    /// topic first if this node did not hold it.
    async fn hold(&self, name: &Arc<str>) -> Result<(), PresenceError> {
        if self.hold_held(name)? {
            return Ok(());
        }
        let _membership = self.shared.membership.lock().await;
        if self.hold_held(name)? {
            return Ok(());
        }
        let wire = self.shared.wire_topic(name)?;
        let (done, added) = oneshot::channel();
        self.shared
            .commands
            .send(Command::Add(wire.clone(), done))
            .map_err(|_| PresenceError::Closed)?;
        let mut adding = Adding {
            shared: &self.shared,
            wire: Some(wire.clone()),
        };
        added.await.map_err(|_| PresenceError::Closed)??;
        adding.wire = None;
        let mut state = TopicState::new(wire);
        state.users = 1;
        self.shared.lock().topics.insert(Arc::clone(name), state);
        Ok(())
    }

    fn hold_held(&self, name: &str) -> Result<bool, PresenceError> {
        let mut inner = self.shared.lock();
        if inner.closed {
            return Err(PresenceError::Closed);
        }
        Ok(match inner.topics.get_mut(name) {
            Some(state) => {
                state.users += 1;
                true
            }
            None => false,
        })
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Presence")
            .field("node", &self.shared.me)
            .finish_non_exhaustive()
    }
}

/// A hold taken by a call that may fail or be cancelled: released unless the call succeeds
/// (and a follow in its first sync no longer counted).
struct Held<'a> {
    shared: &'a Shared,
    name: &'a Arc<str>,
    armed: bool,
    joining: bool,
}

impl Held<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if self.joining {
            let mut inner = self.shared.lock();
            if let Some(state) = inner.topics.get_mut(self.name) {
                state.joining -= 1;
                if state.joining == 0 && state.followers.is_empty() {
                    crate::shared::stop_replicating(state, self.shared.me);
                }
            }
        }
        self.shared.release(self.name);
    }
}

/// A topic being added to the subscription: removed again if the call is cancelled before the
/// topic's state exists.
struct Adding<'a> {
    shared: &'a Shared,
    wire: Option<Topic>,
}

impl Drop for Adding<'_> {
    fn drop(&mut self) {
        if let Some(wire) = self.wire.take() {
            let _ = self.shared.commands.send(Command::Remove(wire));
        }
    }
}

/// Metadata as bounded JSON.
pub(crate) fn encode_meta<M: Serialize + ?Sized>(meta: &M) -> Result<Arc<str>, PresenceError> {
    let json = serde_json::to_string(meta)
        .map_err(|error| PresenceError::Invalid(format!("metadata does not serialise: {error}")))?;
    if json.len() > MAX_META {
        return Err(PresenceError::Invalid(format!(
            "metadata is {} bytes of JSON; at most {MAX_META}",
            json.len()
        )));
    }
    Ok(json.into())
}
