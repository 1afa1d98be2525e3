//! The inbound task: owns the node's subscription (the control topic and the presence topic of
//! every topic the node holds) and applies what other nodes send.

use std::collections::HashMap;
use std::sync::Arc;

use pubsub_core::{Broker, Delivery, Message, Subscription};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::id::NodeId;
use crate::shared::{Command, Gone, Inner, MAX_ANSWERS, Peer, Shared};
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
        return;
    }
    if let Err(reason) = wire.check() {
        tracing::debug!(reason, node = %wire.node(), "refused a presence message");
        shared.lock().stats.rejected += 1;
        return;
    }
    apply(shared, &wire, Instant::now());
}

/// After a broker notice (or when this node was cut off): every peer gets a fresh expiry
/// window, every followed topic asks every node for its state again, and this node sends its own
/// state of every topic it tracks on (another node may have missed its diffs or asked meanwhile).
pub(crate) fn resync(shared: &Shared) {
    let now = Instant::now();
    let mut inner = shared.lock();
    let inner = &mut *inner;
    inner.stats.resyncs += 1;
    for peer in inner.peers.values_mut() {
        peer.last_seen = now;
    }
    for (name, state) in &inner.topics {
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
    match wire {
        Wire::Heartbeat {
            name,
            started,
            hello,
            ..
        } => {
            heartbeat(shared, inner, node, name.as_ref(), *started, now);
            if *hello {
                inner.outbox.heartbeat_now = true;
                shared.wake.notify_one();
            }
            if revived {
                // Back after a split: its presences were dropped here; ask for them again.
                for (topic, state) in &mut inner.topics {
                    if state.replicated && state.asked.insert(node) {
                        inner.outbox.syncs.push((Arc::clone(topic), Some(node)));
                    }
                }
                shared.wake.notify_one();
            }
        }
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
            more,
            ..
        } => {
            seen(inner, node, now);
            state(shared, inner, node, topic, *clock, entries, *more);
        }
        Wire::Diff {
            topic,
            prev,
            clock,
            joins,
            leaves,
            ..
        } => {
            seen(inner, node, now);
            diff(shared, inner, node, topic, (*prev, *clock), joins, leaves);
        }
    }
}

/// Notes `node` alive (a node first heard through its presences expires like any other).
fn seen(inner: &mut Inner, node: NodeId, now: Instant) {
    inner
        .peers
        .entry(node)
        .and_modify(|peer| peer.last_seen = now)
        .or_insert(Peer {
            last_seen: now,
            name: None,
            started: 0,
        });
}

fn heartbeat(
    shared: &Shared,
    inner: &mut Inner,
    node: NodeId,
    name: Option<&String>,
    started: u64,
    now: Instant,
) {
    let peer = inner.peers.entry(node).or_insert(Peer {
        last_seen: now,
        name: None,
        started,
    });
    peer.last_seen = now;
    peer.name = name.cloned();
    peer.started = started;
    let Some(name) = name else {
        return;
    };
    // A newer run of the same process replaces an older one at once: no zombie after a
    // restart. (This node itself is one of the runs to compare with.)
    let mut runs: Vec<(u64, NodeId)> = inner
        .peers
        .iter()
        .filter(|(_, peer)| peer.name.as_ref() == Some(name))
        .map(|(id, peer)| (peer.started, *id))
        .collect();
    if shared.config.name.as_ref() == Some(name) {
        runs.push((shared.started, shared.me));
    }
    let Some(newest) = runs.iter().max().map(|(_, id)| *id) else {
        return;
    };
    for (_, id) in runs {
        if id != newest && id != shared.me {
            inner.remove_node(id, Gone::Departed, now);
        }
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

fn state(
    shared: &Shared,
    inner: &mut Inner,
    node: NodeId,
    topic: &str,
    clock: u64,
    part: &[WireEntry],
    more: bool,
) {
    let max = shared.config.max_per_topic;
    let Some(state) = inner.topics.get_mut(topic) else {
        return;
    };
    if !state.replicated {
        return;
    }
    let partial = state
        .partial
        .entry(node)
        .or_insert_with(|| (clock, HashMap::new()));
    if partial.0 != clock {
        *partial = (clock, HashMap::new());
    }
    if partial.1.len() + part.len() > max {
        state.partial.remove(&node);
        inner.stats.rejected += 1;
        return;
    }
    partial.1.extend(entries(part));
    if more {
        return;
    }
    let (clock, whole) = state.partial.remove(&node).unwrap_or_default();
    state.asked.remove(&node);
    if let Some(change) = state.replica.apply_state(node, clock, whole) {
        if !change.is_empty() {
            state.pending.note_change(change);
            shared.mark_dirty_in(inner, topic);
        }
    }
    let Some(state) = inner.topics.get_mut(topic) else {
        return;
    };
    if state.awaiting.remove(&node) && state.awaiting.is_empty() {
        state.synced.send_replace(true);
    }
}

fn diff(
    shared: &Shared,
    inner: &mut Inner,
    node: NodeId,
    topic: &str,
    (prev, clock): (u64, u64),
    joins: &[WireEntry],
    leaves: &[u64],
) {
    let max = shared.config.max_per_topic;
    let Some(state) = inner.topics.get_mut(topic) else {
        return;
    };
    if !state.replicated {
        return;
    }
    if state.replica.count(node) + joins.len() > max {
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
            if state.asked.insert(node) {
                inner.outbox.syncs.push((topic.into(), Some(node)));
                shared.wake.notify_one();
            }
        }
    }
}
