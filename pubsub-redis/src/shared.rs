//! State shared by the broker handles, the receiving side and the background tasks, and the
//! one place that calls the core's backend hooks (building the local registry with its
//! observer, local delivery, subscribing without awaiting, gap notices, reconnect counts).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pubsub_core::backend::{Node, Resume, TopicObserver};
use pubsub_core::history::{HistoryPolicy, Position, Recovery, Since, Unrecoverable};
use pubsub_core::{MemoryBroker, Message, Subscription, Topic};
use uuid::Uuid;

use crate::circuit::Circuit;
use crate::cluster::{Confirmations, Topology};
use crate::config::RedisConfig;
use crate::conn::Client;
use crate::gaps::Gaps;
use crate::hold::Hold;
use crate::log_limit::LogLimit;
use crate::sequence::{Limits, Received};
use crate::stats::{Counters, RedisStats};

/// What every part of one node needs.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The local registry and fan-out: local subscribers are always served from here.
    memory: Node,
    pub(crate) config: RedisConfig,
    /// This node's id, written into every envelope it sends; envelopes carrying it are echoes.
    pub(crate) node_id: String,
    pub(crate) node: Uuid,
    /// How every envelope this node writes begins (up to its sequence number); read back, it
    /// marks an echo.
    pub(crate) head: String,
    /// How every envelope this node writes to a topic with history begins (up to its offset).
    pub(crate) history_head: String,
    pub(crate) counters: Counters,
    /// Holes waiting for their gap notices.
    pub(crate) gaps: Gaps,
    /// Cluster mode: the `SSUBSCRIBE` confirmations this node still awaits (any other is a
    /// re-subscription by the client, after a shard was lost or slots moved).
    pub(crate) confirmations: Confirmations,
    /// Cluster mode: the `sunsubscribe` confirmations this node's own `SUNSUBSCRIBE`s are still
    /// due (any other means Redis dropped the channel: its slot left the shard).
    pub(crate) departures: Confirmations,
    /// Cluster mode: a shard's lost connection is told to the link and not yet looked at, so
    /// a burst of `Disconnection` pushes queues one check, not one each.
    pub(crate) shard_lost_told: AtomicBool,
    /// At most one WARN a second for the cluster link's failed slot reads and shard checks.
    pub(crate) cluster_log: LogLimit,
    /// Open while the publisher connection is down: publishes fail at once.
    circuit_open: AtomicBool,
    /// Cluster mode: the slots' owners as the link last read them, for the publisher's gates
    /// per primary (`admission.rs`), and how many times they changed.
    topology: Mutex<Option<(u64, Arc<Topology>)>>,
    topology_version: AtomicU64,
    /// Reconnects the publisher while the circuit is open.
    pub(crate) circuit: Arc<Circuit>,
    /// Lines about skipped bad input.
    pub(crate) reject_log: LogLimit,
    /// Lines about failed publishes.
    pub(crate) publish_log: LogLimit,
    /// History reads that failed (every subscriber's, every topic's after a reconnect, while
    /// Redis is down): at most one line a second.
    pub(crate) history_log: LogLimit,
    inbound: Mutex<Inbound>,
    /// Topics with history: the earliest position a local subscription started after (Redis's
    /// latest when it subscribed), for a reconnect to recover from when the node has received
    /// none of the topic's messages since. Pruned to topics with subscribers.
    starts: Mutex<HashMap<Topic, Position>>,
}

/// The receiving side's state, behind one lock that the connection's reader holds while it
/// handles a push.
#[derive(Debug)]
pub(crate) struct Inbound {
    /// The generation of the one subscriber connection whose pushes are delivered; pushes of
    /// any other (an old connection's reader still draining) are dropped.
    pub(crate) generation: u64,
    /// The sequence marks.
    pub(crate) received: Received,
    /// While a reconnect's recovery is under way: the live messages of topics with history
    /// held back until their topic is recovered (`hold.rs`).
    pub(crate) hold: Option<Hold>,
}

impl Shared {
    /// Builds the node's local registry (with `observer`, per-topic mode) and its shared state.
    pub(crate) fn new(
        config: RedisConfig,
        client: Client,
        observer: Option<Arc<dyn TopicObserver>>,
    ) -> Self {
        let mut memory = Node::builder()
            .capacity(config.capacity)
            .hot_threshold(config.hot_threshold);
        if let Some(observer) = observer {
            memory = memory.observer(observer);
        }
        if !config.history.is_empty() {
            memory = memory.history(config.history.clone());
        }
        let node = Uuid::new_v4();
        let node_id = node.to_string();
        let limits = Limits {
            bytes: config.sequence_memory,
            nodes_per_topic: config.sequence_nodes_per_topic,
        };
        Shared {
            memory: memory.build(),
            gaps: Gaps::new(),
            confirmations: Confirmations::default(),
            departures: Confirmations::default(),
            shard_lost_told: AtomicBool::new(false),
            cluster_log: LogLimit::new(Duration::from_secs(1)),
            config,
            head: crate::envelope::head(&node_id),
            history_head: crate::envelope::history_head(&node_id),
            node_id,
            node,
            counters: Counters::default(),
            circuit_open: AtomicBool::new(false),
            topology: Mutex::new(None),
            topology_version: AtomicU64::new(0),
            circuit: Arc::new(Circuit::new(client)),
            reject_log: LogLimit::new(Duration::from_secs(1)),
            publish_log: LogLimit::new(Duration::from_secs(1)),
            history_log: LogLimit::new(Duration::from_secs(1)),
            inbound: Mutex::new(Inbound {
                generation: 0,
                received: Received::new(limits),
                hold: None,
            }),
            starts: Mutex::new(HashMap::new()),
        }
    }

    /// The receiving side's state. Never held while calling into the registry, except by the
    /// reader delivering one message (the registry never calls back into this crate then).
    pub(crate) fn inbound(&self) -> MutexGuard<'_, Inbound> {
        self.inbound.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stats(&self) -> RedisStats {
        let tracked = {
            let inbound = self.inbound();
            let (streams, bytes) = inbound.received.size();
            (streams, bytes, inbound.received.evicted())
        };
        self.counters.snapshot(self.memory.stats(), tracked)
    }

    /// Whether publishes fail at once (the publisher connection is down).
    pub(crate) fn circuit_open(&self) -> bool {
        self.circuit_open.load(Ordering::Acquire)
    }

    /// Opens the circuit (a publish timed out, or reconnecting failed) and starts probing.
    pub(crate) fn trip(self: &Arc<Self>) {
        self.circuit.trip(self);
    }

    pub(crate) fn set_circuit_open(&self, open: bool) {
        self.circuit_open.store(open, Ordering::Release);
    }

    /// Cluster mode: the slots' owners the link read, kept for the publisher when they differ
    /// from the last kept (a new version).
    pub(crate) fn set_cluster_topology(&self, topology: &Topology) {
        let mut kept = self.topology.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.as_ref().is_some_and(|(_, known)| **known == *topology) {
            return;
        }
        let version = self.topology_version.load(Ordering::Relaxed) + 1;
        *kept = Some((version, Arc::new(topology.clone())));
        self.topology_version.store(version, Ordering::Release);
    }

    /// The version of the kept slots' owners (0: none yet), read without the lock.
    pub(crate) fn cluster_topology_version(&self) -> u64 {
        self.topology_version.load(Ordering::Acquire)
    }

    /// The kept slots' owners and their version.
    pub(crate) fn cluster_topology(&self) -> Option<(u64, Arc<Topology>)> {
        self.topology
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    // The core's backend surface (`pubsub_core::backend::Node`), all called from here.

    /// The node's user-facing view of its local registry.
    pub(crate) fn local(&self) -> &MemoryBroker {
        self.memory.local()
    }

    /// Delivers `message` to this node's subscribers of `topic`.
    pub(crate) fn deliver(&self, topic: &Topic, message: &Message) -> usize {
        self.memory.deliver(topic, message)
    }

    /// A local subscription to `topic`, effective at once.
    pub(crate) fn subscribe_now(&self, topic: &Topic) -> Result<Subscription, pubsub_core::Error> {
        self.memory.subscribe(topic)
    }

    /// Adds `topic` to a local subscription at once.
    pub(crate) fn add_topic_now(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
    ) -> Result<(), pubsub_core::Error> {
        self.memory.add_topic(subscription, topic).map(drop)
    }

    /// Removes `topic` from a local subscription.
    pub(crate) fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        self.memory.remove_topic(subscription, topic)
    }

    /// Gives every subscriber of `topic` a gap notice; returns how many were told.
    pub(crate) fn notify_gap(&self, topic: &Topic) -> usize {
        self.memory.notify_gap(topic)
    }

    /// Gives every subscriber a gap notice; returns how many (subscription, topic) pairs.
    pub(crate) fn notify_gap_all(&self) -> usize {
        self.memory.notify_gap_all()
    }

    /// Counts a re-established subscriber connection.
    pub(crate) fn record_reconnect(&self) {
        self.memory.record_reconnect();
    }

    /// The history policy of `topic`, if it keeps history.
    pub(crate) fn history_policy(&self, topic: &Topic) -> Option<HistoryPolicy> {
        self.memory.history_policy(topic)
    }

    /// A local subscription to `topic` started from `since`, and what is left to fetch.
    pub(crate) fn subscribe_from_now(
        &self,
        topic: &Topic,
        since: Since,
    ) -> Result<(Subscription, Resume), pubsub_core::Error> {
        self.memory.subscribe_from(topic, since)
    }

    /// Adds `topic` to a local subscription started from `since`.
    pub(crate) fn add_topic_from_now(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<(bool, Resume), pubsub_core::Error> {
        self.memory.add_topic_from(subscription, topic, since)
    }

    /// Hands a subscription what was fetched from Redis for `topic`.
    pub(crate) fn replay(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        after: Option<Position>,
        fetched: Result<Vec<Message>, Unrecoverable>,
    ) -> Recovery {
        self.memory.replay(subscription, topic, after, fetched)
    }

    /// The latest position of `topic` in the node's copy of its history.
    pub(crate) fn history_position(&self, topic: &Topic) -> Option<Position> {
        self.memory.history_position(topic)
    }

    /// Notes that a local subscription to `topic` started right after `position`.
    pub(crate) fn note_start(&self, topic: &Topic, position: Position) {
        let mut starts = self.starts.lock().unwrap_or_else(PoisonError::into_inner);
        starts
            .entry(topic.clone())
            .and_modify(|start| {
                if start.epoch != position.epoch || position.offset < start.offset {
                    *start = position;
                }
            })
            .or_insert(position);
        // Amortised O(1): pruned when twice as large as it needs to be.
        if starts.len() > 1024 && starts.len() > 2 * self.local().topic_count() {
            starts.retain(|topic, _| self.has_subscribers(topic));
        }
    }

    /// Where a reconnect recovers `topic` from when the node received none of its messages:
    /// the earliest start of a subscription to it (see [`note_start`](Self::note_start)).
    pub(crate) fn start_of(&self, topic: &Topic) -> Option<Position> {
        let starts = self.starts.lock().unwrap_or_else(PoisonError::into_inner);
        starts.get(topic).copied()
    }

    /// Forgets the starts of topics without local subscribers.
    pub(crate) fn prune_starts(&self) {
        let mut starts = self.starts.lock().unwrap_or_else(PoisonError::into_inner);
        starts.retain(|topic, _| self.has_subscribers(topic));
    }

    /// Forgets the node's copy of `topic`'s history (it may have missed messages).
    pub(crate) fn forget_history(&self, topic: &Topic) {
        self.memory.forget_history(topic);
    }

    /// Forgets the node's copy of the history of every topic but those `keep` names.
    pub(crate) fn retain_history(&self, keep: &dyn Fn(&Topic) -> bool) {
        self.memory.retain_history(keep);
    }

    /// Whether `topic` has a local subscriber.
    pub(crate) fn has_subscribers(&self, topic: &Topic) -> bool {
        self.memory.local().subscriber_count(topic) > 0
    }
}
