//! The state of one node, shared by its handle, its guards, its followers and its two tasks
//! (`inbound.rs` applies what other nodes send; `flush.rs` sends what this node has to say).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pubsub_core::Topic;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::config::PresenceConfig;
use crate::id::{MetaId, NodeId};
use crate::state::{Change, Entry, Pending, Replica};
use crate::stats::PresenceStats;

/// What the inbound task is asked to do with the node's subscription.
#[derive(Debug)]
pub(crate) enum Command {
    Add(Topic, oneshot::Sender<Result<(), pubsub_core::Error>>),
    Remove(Topic),
}

/// A follower's end as the node sees it: a bounded queue of diffs and a flag that says it
/// overflowed (it then rebuilds a full state instead of reading the diffs it missed).
#[derive(Debug)]
pub(crate) struct FollowerTx {
    pub(crate) id: u64,
    pub(crate) tx: mpsc::Sender<Arc<Change>>,
    pub(crate) stale: Arc<AtomicBool>,
}

/// One topic this node tracks on or follows.
#[derive(Debug)]
pub(crate) struct TopicState {
    /// The topic its presence travels on (`<prefix>:<topic>`).
    pub(crate) wire: Topic,
    pub(crate) replica: Replica,
    /// What changed since the followers were last told (own and, when replicated, other
    /// nodes' presences).
    pub(crate) pending: Pending,
    /// This node's own changes since its last diff was sent.
    pub(crate) unsent: Pending,
    pub(crate) last_flush: Option<Instant>,
    /// Guards, followers and calls in progress that hold the topic.
    pub(crate) users: usize,
    pub(crate) followers: Vec<FollowerTx>,
    /// Whether other nodes' presences are kept (while someone here follows).
    pub(crate) replicated: bool,
    /// Whether the first sync of the replica is over (answered or timed out).
    pub(crate) synced: watch::Sender<bool>,
    /// Nodes whose state the first sync still waits for.
    pub(crate) awaiting: HashSet<NodeId>,
    /// States arriving in parts: (clock, next part, entries so far) per node.
    pub(crate) partial: HashMap<NodeId, (u64, u32, HashMap<u64, Entry>)>,
    /// Nodes asked for their state (after a hole, or when heard again), not answered yet, and
    /// when.
    pub(crate) asked: HashMap<NodeId, Instant>,
    /// Follows waiting for their first state (replication stays on for them).
    pub(crate) joining: usize,
    /// When this node last sent its state of the topic (at most one per window).
    pub(crate) last_answer: Option<Instant>,
}

impl TopicState {
    /// The presences as the followers know them: as of the last flush (the pending changes
    /// reach them as the next diff).
    pub(crate) fn flushed_snapshot(&self) -> Vec<(MetaId, Entry)> {
        self.pending.as_flushed(self.replica.snapshot())
    }

    /// Whether nothing waits to be told or sent.
    pub(crate) fn is_flushed(&self) -> bool {
        self.pending.is_empty() && self.unsent.is_empty()
    }

    /// Tells the followers what is pending now, ahead of the window (a new follower is about
    /// to start from the current state).
    pub(crate) fn tell_now(&mut self, me: NodeId, resets: &mut u64) {
        let (change, _, _) = self.pending.take(me);
        self.deliver(change, resets);
    }

    /// Delivers `change` to the topic's followers; a full follower is marked stale.
    fn deliver(&self, mut change: Change, resets: &mut u64) {
        if change.is_empty() || self.followers.is_empty() {
            return;
        }
        change.sort();
        let change = Arc::new(change);
        for follower in &self.followers {
            if follower.stale.load(Ordering::Acquire) {
                continue;
            }
            // A closed one (its stream is being dropped) is removed by its drop.
            if let Err(mpsc::error::TrySendError::Full(_)) =
                follower.tx.try_send(Arc::clone(&change))
            {
                follower.stale.store(true, Ordering::Release);
                *resets += 1;
            }
        }
    }

    pub(crate) fn new(wire: Topic) -> Self {
        Self {
            wire,
            replica: Replica::default(),
            pending: Pending::default(),
            unsent: Pending::default(),
            last_flush: None,
            users: 0,
            followers: Vec::new(),
            replicated: false,
            synced: watch::Sender::new(false),
            awaiting: HashSet::new(),
            partial: HashMap::new(),
            asked: HashMap::new(),
            joining: 0,
            last_answer: None,
        }
    }
}

/// Another node as heard from.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) last_seen: Instant,
    pub(crate) name: Option<String>,
    /// Given a fresh expiry window by a resync and not heard since: the next resync gives
    /// none.
    pub(crate) graced: bool,
}

/// Why a node is gone (and its messages are ignored for a while).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gone {
    /// It left cleanly or was replaced: final.
    Departed,
    /// It fell silent: it comes back if it is heard again (a healed network split).
    Expired,
}

/// What the flusher has to send, besides the dirty topics.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Topics whose state another node asked for.
    pub(crate) answers: BTreeSet<Arc<str>>,
    /// Syncs to ask: topic, and the one node asked (none: all).
    pub(crate) syncs: Vec<(Arc<str>, Option<NodeId>)>,
    /// Topics changed since their last flush.
    pub(crate) dirty: BTreeSet<Arc<str>>,
    /// A heartbeat is due now (a new node said hello).
    pub(crate) heartbeat_now: bool,
}

/// Answers queued at most, so a flood of syncs for made-up topics costs bounded memory.
pub(crate) const MAX_ANSWERS: usize = 4096;
/// Other nodes known at most (forged heartbeats beyond it are refused).
pub(crate) const MAX_PEERS: usize = 4096;

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) topics: HashMap<Arc<str>, TopicState>,
    pub(crate) peers: HashMap<NodeId, Peer>,
    pub(crate) gone: HashMap<NodeId, (Instant, Gone)>,
    /// This node's diff clock: one sequence over all its topics.
    pub(crate) clock: u64,
    pub(crate) next_seq: u64,
    pub(crate) next_follower: u64,
    pub(crate) outbox: Outbox,
    pub(crate) stats: PresenceStats,
    /// The last heartbeat could not be published: this node may be cut off, so it expires
    /// nobody.
    pub(crate) deaf: bool,
    pub(crate) closed: bool,
    /// Heartbeats sent, and the last of them read back by the inbound task: a node whose
    /// inbound queue is behind (or does not hear itself) expires nobody.
    pub(crate) beats_sent: u64,
    pub(crate) beat_echoed: u64,
}

/// One node's state and the means to reach its tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) me: NodeId,
    pub(crate) born: Instant,
    pub(crate) config: PresenceConfig,
    pub(crate) control: Topic,
    inner: Mutex<Inner>,
    /// Wakes the flusher.
    pub(crate) wake: Notify,
    /// Held while a topic is added to or removed from the subscription.
    pub(crate) membership: tokio::sync::Mutex<()>,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
}

impl Shared {
    pub(crate) fn new(
        config: PresenceConfig,
        control: Topic,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        Self {
            me: NodeId::random(),
            born: Instant::now(),
            config,
            control,
            inner: Mutex::new(Inner {
                topics: HashMap::new(),
                peers: HashMap::new(),
                gone: HashMap::new(),
                clock: 0,
                next_seq: 1,
                next_follower: 1,
                outbox: Outbox::default(),
                stats: PresenceStats::default(),
                deaf: false,
                closed: false,
                beats_sent: 0,
                beat_echoed: 0,
            }),
            wake: Notify::new(),
            membership: tokio::sync::Mutex::new(()),
            commands,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves counters at worst; the state stays usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The presence topic of `topic`.
    /// `<prefix>:t:<topic>`: never the control topic `<prefix>:nodes`, whatever the topic.
    pub(crate) fn wire_topic(&self, topic: &str) -> Result<Topic, pubsub_core::TopicError> {
        Topic::new(format!("{}:t:{topic}", self.config.prefix))
    }

    /// Notes that `topic` changed and wakes the flusher.
    pub(crate) fn mark_dirty(&self, inner: &mut Inner, topic: &Arc<str>) {
        inner.outbox.dirty.insert(Arc::clone(topic));
        self.wake.notify_one();
    }

    /// [`mark_dirty`](Self::mark_dirty) for a topic named by the wire.
    pub(crate) fn mark_dirty_in(&self, inner: &mut Inner, topic: &str) {
        if let Some((name, _)) = inner.topics.get_key_value(topic) {
            let name = Arc::clone(name);
            self.mark_dirty(inner, &name);
        }
    }

    /// Sets (or removes) one of this node's presences; returns whether the topic was held.
    pub(crate) fn set_own(&self, topic: &Arc<str>, seq: u64, entry: Option<Entry>) -> bool {
        let mut inner = self.lock();
        if inner.closed && entry.is_some() {
            return false;
        }
        let Some(state) = inner.topics.get_mut(topic) else {
            return false;
        };
        let me = self.me;
        let before = state.replica.set_own(me, seq, entry.as_ref());
        let id = MetaId::new(me, seq);
        state.pending.note(id, before.clone(), entry.clone());
        state.unsent.note(id, before, entry);
        self.mark_dirty(&mut inner, topic);
        true
    }

    /// The topic's state when this node keeps other nodes' presences of it (someone here
    /// follows): what a state or diff from the wire applies to.
    pub(crate) fn replicated<'a>(
        topics: &'a mut HashMap<Arc<str>, TopicState>,
        topic: &str,
    ) -> Option<&'a mut TopicState> {
        topics.get_mut(topic).filter(|state| state.replicated)
    }

    /// Lets go of a topic held by a guard, follower or call; the flusher removes it once it is
    /// unused and flushed.
    pub(crate) fn release(&self, topic: &Arc<str>) {
        let mut inner = self.lock();
        if let Some(state) = inner.topics.get_mut(topic) {
            state.users = state.users.saturating_sub(1);
            if state.users == 0 {
                self.mark_dirty(&mut inner, topic);
            }
        }
    }

    /// Removes follower `id` of `topic`; the last one stops the replication.
    pub(crate) fn unfollow(&self, topic: &Arc<str>, id: u64) {
        {
            let mut inner = self.lock();
            if let Some(state) = inner.topics.get_mut(topic) {
                state.followers.retain(|f| f.id != id);
                if state.followers.is_empty() && state.joining == 0 {
                    stop_replicating(state, self.me);
                }
            }
        }
        self.release(topic);
    }

    /// Whether follower `stale` must rebuild its state; if so, drains its queue and gives the
    /// state, under the lock that orders diffs, so nothing is missed or doubled.
    pub(crate) fn rebuild(
        &self,
        topic: &Arc<str>,
        stale: &AtomicBool,
        rx: &mut mpsc::Receiver<Arc<Change>>,
    ) -> Option<Vec<(MetaId, Entry)>> {
        if !stale.load(Ordering::Acquire) {
            return None;
        }
        let inner = self.lock();
        stale.store(false, Ordering::Release);
        while rx.try_recv().is_ok() {}
        Some(
            inner
                .topics
                .get(topic)
                .map(TopicState::flushed_snapshot)
                .unwrap_or_default(),
        )
    }
}

/// Stops keeping other nodes' presences of a topic nobody here follows any more.
pub(crate) fn stop_replicating(state: &mut TopicState, me: NodeId) {
    state.replicated = false;
    state.replica.retain_only(me);
    state.partial.clear();
    state.awaiting.clear();
    state.asked.clear();
    state.synced.send_replace(false);
}

impl Inner {
    /// Drops `node`'s presences everywhere and notes it gone.
    pub(crate) fn remove_node(&mut self, node: NodeId, why: Gone, now: Instant) {
        self.peers.remove(&node);
        self.gone.insert(node, (now, why));
        match why {
            Gone::Departed => self.stats.departed += 1,
            Gone::Expired => self.stats.expired += 1,
        }
        for (name, state) in &mut self.topics {
            state.partial.remove(&node);
            state.asked.remove(&node);
            if state.awaiting.remove(&node) && state.awaiting.is_empty() {
                state.synced.send_replace(true);
            }
            let change = state.replica.remove_owner(node);
            if !change.is_empty() {
                state.pending.note_change(change);
                self.outbox.dirty.insert(Arc::clone(name));
            }
        }
    }

    /// The nodes heard from within the expiry (the ones a sync waits for).
    pub(crate) fn live_peers(&self) -> HashSet<NodeId> {
        self.peers.keys().copied().collect()
    }
}
