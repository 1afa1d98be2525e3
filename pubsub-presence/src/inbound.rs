//! The inbound task: owns the node's subscription (the control topic and the presence topic of
//! every topic the node holds) and applies what other nodes send.

use std::collections::HashMap;
use std::sync::Arc;

use pubsub_core::{Broker, Delivery, Message, Subscription};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::id::NodeId;
use crate::shared::{Command, Gone, Inner, MAX_ANSWERS, MAX_PEERS, Peer, Shared, TopicState};
use crate::state::{Applied, Entry};
use crate::wire::{Wire, WireEntry};

/// Runs until the node's command channel or subscription closes.
pub(crate) async fn run(
    shared: Arc<Shared>,
    broker: Arc<dyn Broker>,
    mut subscription: Subscription,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    loop {
        tokio::select! {
            biased;
            command = commands.recv() => match command {
                None => break,
                Some(Command::Add(topic, done)) => {
                    let added = broker.add_topic(&mut subscription, &topic).await;
                    let _ = done.send(added);
                }
                Some(Command::Remove(topic)) => {
                    broker.remove_topic(&mut subscription, &topic);
                }
            },
            delivery = subscription.recv() => match delivery {
                None => break,
                Some(Delivery::Message(message)) => receive(&shared, &message),
                Some(Delivery::Lagged(_) | Delivery::Gap) => {
                    tracing::info!(node = %shared.me, "presence messages may have been lost; resyncing");
                    resync(&shared);
                }
            },
        }
    }
}

/// Decodes, checks and applies one message from the wire.
pub(crate) fn receive(shared: &Shared, message: &Message) {
    let wire = match message.decode::<Wire>() {
        Ok(wire) => wire,
        Err(error) => {
            tracing::debug!(%error, "a message on a presence topic is not a presence message");
            shared.lock().stats.rejected += 1;
            return;
        }
    };
    if wire.node() == shared.me {
        // This node's own heartbeat, back through its queue: everything before it was read.
        if let Wire::Heartbeat { beat, .. } = &*wire {
            let mut inner = shared.lock();
            inner.beat_echoed = inner.beat_echoed.max(*beat);
        }
        return;
    }
    if let Err(reason) = wire.check() {
        tracing::debug!(reason, node = %wire.node(), "refused a presence message");
        shared.lock().stats.rejected += 1;
        return;
    }
    apply(shared, &wire, Instant::now());
}

/// After a broker notice (or when this node was cut off): every peer heard from since the last
/// such notice gets a fresh expiry window (one per silence: a crashed node still expires under
/// frequent notices), every followed topic asks every node for its state again, and this node
/// sends its own state of every topic it tracks on (another node may have missed its diffs or
/// asked meanwhile).
pub(crate) fn resync(shared: &Shared) {
    let now = Instant::now();
    let mut inner = shared.lock();
    let inner = &mut *inner;
    inner.stats.resyncs += 1;
    for peer in inner.peers.values_mut() {
        if !peer.graced {
            peer.last_seen = now;
            peer.graced = true;
        }
    }
    for (name, state) in &mut inner.topics {
        state.asked.clear();
        if state.replicated {
            inner.outbox.syncs.push((Arc::clone(name), None));
        }
        if state.replica.count(shared.me) > 0 {
            inner.outbox.answers.insert(Arc::clone(name));
        }
    }
    inner.outbox.heartbeat_now = true;
    shared.wake.notify_one();
}

fn apply(shared: &Shared, wire: &Wire, now: Instant) {
    let node = wire.node();
    let mut inner = shared.lock();
    let inner = &mut *inner;
    let mut revived = false;
    if let Some((_, why)) = inner.gone.get(&node) {
        if *why == Gone::Expired && matches!(wire, Wire::Heartbeat { .. }) {
            inner.gone.remove(&node);
            revived = true;
        } else {
            return;
        }
    }
    if let Wire::Heartbeat { name, hello, .. } = wire {
        let known = inner.peers.contains_key(&node);
        if !known && inner.peers.len() >= MAX_PEERS {
            inner.stats.rejected += 1;
            return;
        }
        heartbeat(shared, inner, node, name.as_ref(), *hello, now);
        if *hello {
            inner.outbox.heartbeat_now = true;
            shared.wake.notify_one();
        }
        // Back after a split, or silent so long it was forgotten: its presences were dropped
        // here; ask for them again. (A new node says hello and has none yet.)
        if revived || (!known && !*hello) {
            ask_everywhere(shared, inner, node, now);
        }
        return;
    }
    // Anything else only from a node that said it is alive: forged ids cost nothing to make.
    let Some(peer) = inner.peers.get_mut(&node) else {
        inner.stats.rejected += 1;
        return;
    };
    peer.last_seen = now;
    peer.graced = false;
    match wire {
        Wire::Heartbeat { .. } => {}
        Wire::Down { .. } => {
            inner.remove_node(node, Gone::Departed, now);
            shared.wake.notify_one();
        }
        Wire::Sync { topic, target, .. } => {
            if target.is_none_or(|target| target == shared.me) {
                if inner.outbox.answers.len() < MAX_ANSWERS {
                    inner.outbox.answers.insert(topic.as_str().into());
                    shared.wake.notify_one();
                } else {
                    inner.stats.rejected += 1;
                }
            }
        }
        Wire::State {
            topic,
            clock,
            entries,
            part,
            more,
            ..
        } => state(
            shared,
            inner,
            node,
            topic,
            (*clock, *part, *more),
            entries,
            now,
        ),
        Wire::Diff {
            topic,
            prev,
            clock,
            joins,
            leaves,
            ..
        } => diff(
            shared,
            inner,
            node,
            topic,
            (*prev, *clock),
            joins,
            leaves,
            now,
        ),
    }
}

/// Asks `node` for its state of every topic this node replicates.
fn ask_everywhere(shared: &Shared, inner: &mut Inner, node: NodeId, now: Instant) {
    for (topic, state) in &mut inner.topics {
        if state.replicated {
            state.asked.insert(node, now);
            inner.outbox.syncs.push((Arc::clone(topic), Some(node)));
        }
    }
    shared.wake.notify_one();
}

/// Asks `node` for its state of `topic` after a hole, unless it was asked within the sync
/// timeout (a lost answer is asked again at the next hole after that).
fn ask(shared: &Shared, inner: &mut Inner, node: NodeId, topic: &str, now: Instant) {
    let Some(name) = inner
        .topics
        .get_key_value(topic)
        .map(|(k, _)| Arc::clone(k))
    else {
        return;
    };
    let state = inner.topics.get_mut(&name).expect("present");
    let recent = state
        .asked
        .get(&node)
        .is_some_and(|at| now.saturating_duration_since(*at) < shared.config.sync_timeout);
    if !recent {
        state.asked.insert(node, now);
        inner.outbox.syncs.push((name, Some(node)));
        shared.wake.notify_one();
    }
}

fn heartbeat(
    shared: &Shared,
    inner: &mut Inner,
    node: NodeId,
    name: Option<&String>,
    hello: bool,
    now: Instant,
) {
    let peer = inner.peers.entry(node).or_insert(Peer {
        last_seen: now,
        name: None,
        graced: false,
    });
    peer.last_seen = now;
    peer.graced = false;
    peer.name = name.cloned();
    let Some(name) = name.filter(|_| hello) else {
        return;
    };
    // A run that says hello under a name replaces every other run of that name at once: no
    // zombie after a restart. The hello's order decides, not the runs' clocks.
    let others: Vec<NodeId> = inner
        .peers
        .iter()
        .filter(|(id, peer)| **id != node && peer.name.as_ref() == Some(name))
        .map(|(id, _)| *id)
        .collect();
    for id in others {
        inner.remove_node(id, Gone::Departed, now);
    }
    shared.wake.notify_one();
}

fn entries(joins: &[WireEntry]) -> impl Iterator<Item = (u64, Entry)> + '_ {
    joins.iter().map(|join| {
        (
            join.seq,
            Entry {
                key: join.key.as_str().into(),
                meta: join.meta.get().into(),
            },
        )
    })
}

/// One part of `node`'s state of `topic`: parts are gathered in order from part 0, and the
/// whole replaces what this node has of `node` there. A part out of order (one was lost, or
/// this node came in the middle of an answer to someone else) drops what was gathered; when
/// this node was waiting for that state, it asks again.
fn state(
    shared: &Shared,
    inner: &mut Inner,
    node: NodeId,
    topic: &str,
    (clock, part, more): (u64, u32, bool),
    entries_part: &[WireEntry],
    now: Instant,
) {
    let max = shared.config.max_per_topic;
    let Some(state) = Shared::replicated(&mut inner.topics, topic) else {
        return;
    };
    if part == 0 {
        state.partial.insert(node, (clock, 0, HashMap::new()));
    }
    let in_order = state
        .partial
        .get(&node)
        .is_some_and(|(c, next, _)| *c == clock && *next == part);
    if !in_order {
        state.partial.remove(&node);
        let waited = state.awaiting.contains(&node) || state.asked.remove(&node).is_some();
        inner.stats.rejected += 1;
        if waited {
            ask(shared, inner, node, topic, now);
        }
        return;
    }
    let gathered = state.partial.get_mut(&node).expect("in order");
    if gathered.2.len() + entries_part.len() > max {
        state.partial.remove(&node);
        inner.stats.rejected += 1;
        return;
    }
    gathered.1 += 1;
    gathered.2.extend(entries(entries_part));
    if more {
        return;
    }
    let (clock, _, whole) = state.partial.remove(&node).expect("in order");
    state.asked.remove(&node);
    let change = state.replica.apply_state(node, clock, whole);
    if !change.is_empty() {
        state.pending.note_change(change);
        shared.mark_dirty_in(inner, topic);
    }
    if let Some(state) = inner.topics.get_mut(topic) {
        synced_by(state, node);
    }
}

/// `node` answered the first sync of `state`.
fn synced_by(state: &mut TopicState, node: NodeId) {
    if state.awaiting.remove(&node) && state.awaiting.is_empty() {
        state.synced.send_replace(true);
    }
}

#[allow(clippy::too_many_arguments)]
fn diff(
    shared: &Shared,
    inner: &mut Inner,
    node: NodeId,
    topic: &str,
    (prev, clock): (u64, u64),
    joins: &[WireEntry],
    leaves: &[u64],
    now: Instant,
) {
    let max = shared.config.max_per_topic;
    let Some(state) = Shared::replicated(&mut inner.topics, topic) else {
        return;
    };
    let seqs: Vec<u64> = joins.iter().map(|join| join.seq).collect();
    if state.replica.count_after(node, &seqs, leaves) > max {
        inner.stats.rejected += 1;
        return;
    }
    match state
        .replica
        .apply_diff(node, prev, clock, entries(joins), leaves)
    {
        Applied::Done(change) => {
            if !change.is_empty() {
                state.pending.note_change(change);
                shared.mark_dirty_in(inner, topic);
            }
        }
        Applied::Duplicate => {}
        Applied::Hole => {
            inner.stats.holes += 1;
            ask(shared, inner, node, topic, now);
        }
    }
}
