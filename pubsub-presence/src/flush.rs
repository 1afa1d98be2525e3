//! The flusher task: the only sender of the node's messages (so a topic's diffs and states leave
//! in clock order). It sends heartbeats, expires silent nodes, turns each changed topic into a
//! diff (at most one per window per topic: the first change after a quiet window goes at once,
//! later ones wait for the window's end), answers syncs, and says goodbye on shutdown.

use std::sync::Arc;

use pubsub_core::{Broker, Message, Topic};
use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::id::NodeId;
use crate::inbound::resync;
use crate::shared::{Command, Gone, Inner, Shared, TopicState};
use crate::state::Entry;
use crate::wire::{MAX_BATCH, Wire, WireEntry};

/// Runs until the node is closed; then flushes what is left and sends `Down`.
pub(crate) async fn run(shared: Arc<Shared>, broker: Arc<dyn Broker>) {
    let mut clock = Clock {
        next_heartbeat: Instant::now(),
        hello: true,
    };
    loop {
        let now = Instant::now();
        let (messages, deadline, closed) = {
            let mut inner = shared.lock();
            let closed = inner.closed;
            let (messages, deadline) = collect(&shared, &mut inner, &mut clock, now, closed);
            (messages, deadline, closed)
        };
        for (topic, wire) in messages {
            let heartbeat = matches!(wire, Wire::Heartbeat { .. });
            let counts = matches!(wire, Wire::State { .. } | Wire::Diff { .. });
            let sent = broker.publish(&topic, Message::new(wire)).await;
            after_send(&shared, sent.is_ok(), heartbeat, counts);
        }
        if closed {
            let down = Message::new(Wire::Down { node: shared.me });
            let sent = broker.publish(&shared.control, down).await;
            after_send(&shared, sent.is_ok(), false, false);
            // The followers' streams end.
            for state in shared.lock().topics.values_mut() {
                state.followers.clear();
            }
            break;
        }
        tokio::select! {
            () = shared.wake.notified() => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// When the next heartbeat is due, and whether it is the node's first.
struct Clock {
    next_heartbeat: Instant,
    hello: bool,
}

fn after_send(shared: &Shared, ok: bool, heartbeat: bool, counts: bool) {
    let was_deaf = {
        let mut inner = shared.lock();
        if counts && ok {
            inner.stats.sent += 1;
        }
        if !ok {
            inner.stats.send_failures += 1;
        }
        let was_deaf = inner.deaf;
        if heartbeat {
            inner.deaf = !ok;
        }
        was_deaf && heartbeat && ok
    };
    if was_deaf {
        // Reachable again: nobody is expired for the time this node could not hear them.
        resync(shared);
    }
}

/// Everything due now, under the lock; and when to look again.
fn collect(
    shared: &Shared,
    inner: &mut Inner,
    clock: &mut Clock,
    now: Instant,
    closing: bool,
) -> (Vec<(Topic, Wire)>, Instant) {
    let config = &shared.config;
    let mut out = Vec::new();
    let mut deadline = clock.next_heartbeat;
    if !closing && (now >= clock.next_heartbeat || inner.outbox.heartbeat_now) {
        inner.beats_sent += 1;
        out.push((
            shared.control.clone(),
            Wire::Heartbeat {
                node: shared.me,
                name: config.name.clone(),
                hello: clock.hello,
                beat: inner.beats_sent,
            },
        ));
        clock.hello = false;
        inner.outbox.heartbeat_now = false;
        if now >= clock.next_heartbeat {
            clock.next_heartbeat = now + config.heartbeat;
            deadline = clock.next_heartbeat;
            expire(shared, inner, now);
            ask_again(shared, inner, now);
        }
    }
    // At most one answer per topic per window: a flood of syncs costs one state per window.
    let mut answers = std::mem::take(&mut inner.outbox.answers);
    answers.retain(|name| {
        let due = inner
            .topics
            .get(name)
            .and_then(|state| state.last_answer)
            .and_then(|last| last.checked_add(config.window));
        match due {
            Some(due) if now < due && !closing => {
                deadline = deadline.min(due);
                inner.outbox.answers.insert(Arc::clone(name));
                false
            }
            _ => true,
        }
    });
    let dirty = std::mem::take(&mut inner.outbox.dirty);
    let mut resets = 0;
    for name in dirty {
        let Some(state) = inner.topics.get_mut(&name) else {
            continue;
        };
        let forced = closing || answers.contains(&name);
        if let Some(due) = state
            .last_flush
            .and_then(|last| last.checked_add(config.window))
        {
            if !forced && now < due && !state.is_flushed() {
                deadline = deadline.min(due);
                inner.outbox.dirty.insert(name);
                continue;
            }
        }
        if !state.is_flushed() {
            state.last_flush = Some(now);
            out.extend(flush(
                shared.me,
                &name,
                state,
                &mut inner.clock,
                &mut resets,
            ));
        }
        if state.users == 0 && state.is_flushed() {
            let state = inner.topics.remove(&name).expect("present");
            let _ = shared.commands.send(Command::Remove(state.wire));
        }
    }
    inner.stats.follower_resets += resets;
    for name in answers {
        if let Some(state) = inner.topics.get_mut(&name) {
            state.last_answer = Some(now);
        }
        out.extend(answer(shared, inner.topics.get(&name), &name));
    }
    for (name, target) in std::mem::take(&mut inner.outbox.syncs) {
        out.push((
            shared.control.clone(),
            Wire::Sync {
                node: shared.me,
                topic: name.to_string(),
                target,
            },
        ));
    }
    (out, deadline)
}

/// Drops the presences of nodes silent past the expiry, unless this node is the one cut off.
fn expire(shared: &Shared, inner: &mut Inner, now: Instant) {
    let expiry = shared.config.expiry;
    inner
        .gone
        .retain(|_, (when, _)| now.saturating_duration_since(*when) < expiry.saturating_mul(4));
    // Cut off (the last heartbeat failed), or the inbound queue is behind (the heartbeat before
    // the one just made has not come back through it): silence may be this node's own.
    let behind = inner.beat_echoed + 1 < inner.beats_sent;
    if inner.deaf || behind {
        return;
    }
    let silent: Vec<NodeId> = inner
        .peers
        .iter()
        .filter(|(_, peer)| now.saturating_duration_since(peer.last_seen) >= expiry)
        .map(|(id, _)| *id)
        .collect();
    for node in silent {
        tracing::info!(me = %shared.me, node = %node, "a presence node fell silent; its presences are dropped");
        inner.remove_node(node, Gone::Expired, now);
    }
}

/// Asks again every node whose state was asked for and has not come within the sync timeout
/// (the sync or its answer was lost).
fn ask_again(shared: &Shared, inner: &mut Inner, now: Instant) {
    let timeout = shared.config.sync_timeout;
    for (name, state) in &mut inner.topics {
        for (node, at) in &mut state.asked {
            if now.saturating_duration_since(*at) >= timeout {
                *at = now;
                inner.outbox.syncs.push((Arc::clone(name), Some(*node)));
            }
        }
    }
}

/// A topic's pending changes: given to its followers, and this node's own as diffs (in parts
/// of at most `MAX_BATCH` leaves and `MAX_BATCH` joins, chained by clock).
fn flush(
    me: NodeId,
    name: &str,
    state: &mut TopicState,
    clock: &mut u64,
    resets: &mut u64,
) -> Vec<(Topic, Wire)> {
    state.tell_now(me, resets);
    let (_, joins, leaves) = state.unsent.take(me);
    let mut out = Vec::new();
    let mut prev = state.replica.clock(me);
    let joins: Vec<WireEntry> = joins.iter().map(|(seq, e)| wire_entry(*seq, e)).collect();
    // Each part carries leaves and joins together, so a swap at `max_per_topic` fits, and no
    // part but the last can leave the owner with nothing (which would restart its clock).
    let count = joins
        .len()
        .div_ceil(MAX_BATCH)
        .max(leaves.len().div_ceil(MAX_BATCH));
    let mut join_parts = joins.chunks(MAX_BATCH).map(<[_]>::to_vec);
    let mut leave_parts = leaves.chunks(MAX_BATCH).map(<[_]>::to_vec);
    for _ in 0..count {
        let joins = join_parts.next().unwrap_or_default();
        let leaves = leave_parts.next().unwrap_or_default();
        *clock += 1;
        out.push((
            state.wire.clone(),
            Wire::Diff {
                node: me,
                topic: name.to_owned(),
                prev,
                clock: *clock,
                joins,
                leaves,
            },
        ));
        prev = *clock;
    }
    state.replica.set_own_clock(me, prev);
    out
}

/// This node's state of a topic, in parts (one empty part when it has none).
fn answer(shared: &Shared, state: Option<&TopicState>, name: &str) -> Vec<(Topic, Wire)> {
    let me = shared.me;
    let (wire, clock, entries) = match state {
        Some(state) => (
            state.wire.clone(),
            state.replica.clock(me),
            state.replica.entries_of(me),
        ),
        None => match shared.wire_topic(name) {
            Ok(wire) => (wire, 0, Vec::new()),
            Err(_) => return Vec::new(),
        },
    };
    let entries: Vec<WireEntry> = entries.iter().map(|(seq, e)| wire_entry(*seq, e)).collect();
    let mut parts: Vec<Vec<WireEntry>> = entries.chunks(MAX_BATCH).map(<[_]>::to_vec).collect();
    if parts.is_empty() {
        parts.push(Vec::new());
    }
    let last = parts.len() - 1;
    parts
        .into_iter()
        .enumerate()
        .map(|(i, entries)| {
            (
                wire.clone(),
                Wire::State {
                    node: me,
                    topic: name.to_owned(),
                    clock,
                    entries,
                    part: u32::try_from(i).unwrap_or(u32::MAX),
                    more: i < last,
                },
            )
        })
        .collect()
}

fn wire_entry(seq: u64, entry: &Entry) -> WireEntry {
    WireEntry {
        key: entry.key.to_string(),
        seq,
        meta: RawValue::from_string(entry.meta.to_string()).expect("checked JSON"),
    }
}
