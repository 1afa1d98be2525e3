//! A reconnect's recovery: after the subscriber connection was replaced and every channel is
//! subscribed again, each topic with history and local subscribers is brought up to date from
//! Redis, so its subscribers see every message once, in order, and no notice.
//!
//! For each such topic, the messages after the node's latest position (its history mirror's)
//! are read from the topic's stream, on the new connection, and delivered in order; then what
//! the new connection delivered meanwhile, held back (`hold.rs`), is delivered (the mirror
//! drops what the read already gave), and the topic goes live. A topic whose history cannot
//! cover the outage (its epoch changed: Redis restarted without persistence or the history
//! expired; its stream was trimmed past the position; Redis failed to answer) gets one gap
//! notice instead, its mirror is forgotten so no second notice follows, and, when only the
//! epoch changed, the new epoch's messages so far are delivered after the notice. Topics
//! without history keep the reconnect's plain gap notice.
//!
//! In cluster mode the same recovery follows a topology change for the topics it subscribed
//! again ([`run_some`]): a slot moved to another primary (a failover, a resharding) or a
//! shard's connection that lost its subscriptions.

use std::collections::HashSet;
use std::sync::Arc;

use crate::conn::Conn;
use pubsub_core::Topic;
use pubsub_core::history::{HistoryPolicy, Position, Unrecoverable};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::{Error, bounded};
use crate::history::{self, From, Snapshot};
use crate::shared::Shared;
use crate::stats::Counters;

/// History reads in flight at once.
const CONCURRENT_READS: usize = 64;

/// One topic to recover: its policy, and the position its subscribers are at (`None`: the node
/// has seen none of its messages, and no subscription noted where it started).
struct Pending {
    topic: Topic,
    policy: HistoryPolicy,
    after: Option<Position>,
    /// `after` is the node's copy of the history's latest (which it can vouch for).
    mirrored: bool,
}

/// What the recovery did, for the log line.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// (subscription, topic) pairs told about a gap on topics without history.
    pub(crate) plain_told: usize,
    pub(crate) recovered: usize,
    pub(crate) unrecovered: usize,
}

/// Recovers every topic with local subscribers after a reconnect (see the module docs).
/// `current` says whether the node's mirror of a topic was up to date when the old connection
/// was lost (per-topic mode: its channel was subscribed then; namespace mode: always).
pub(crate) async fn run(
    shared: &Arc<Shared>,
    conn: Option<Conn>,
    current: &(dyn Fn(&Topic) -> bool + Sync),
) -> Outcome {
    let (outcome, pending) = plan(shared, shared.local().topics().into_iter(), current);
    // Only the mirrors of topics recovered from their position are vouched for; the rest (no
    // subscriber here, or not received while the old connection was up) start afresh with
    // their next message, without a notice.
    let keep: HashSet<Topic> = pending
        .iter()
        .filter(|p| p.mirrored)
        .map(|p| p.topic.clone())
        .collect();
    shared.retain_history(&|topic| keep.contains(topic));
    read_all(shared, conn, pending, outcome).await
}

/// Cluster mode: recovers `topics` (with history, subscribed again after a topology change,
/// and the only ones held back) the same way: each from the node's latest position, a gap
/// notice for what cannot be recovered (a failover's new primary that lacks what the old one
/// delivered is `Ahead`: a notice too).
pub(crate) async fn run_some(
    shared: &Arc<Shared>,
    conn: Option<Conn>,
    topics: &[Topic],
) -> Outcome {
    let (outcome, pending) = plan(shared, topics.iter().cloned(), &|_| true);
    for pending in pending.iter().filter(|p| !p.mirrored) {
        shared.forget_history(&pending.topic);
    }
    read_all(shared, conn, pending, outcome).await
}

/// What to do for each of `topics`: a plain gap notice (no history), or a read (returned).
fn plan(
    shared: &Shared,
    topics: impl Iterator<Item = Topic>,
    current: &(dyn Fn(&Topic) -> bool + Sync),
) -> (Outcome, Vec<Pending>) {
    let mut outcome = Outcome::default();
    let mut pending = Vec::new();
    for topic in topics {
        match shared.history_policy(&topic) {
            None => outcome.plain_told += shared.notify_gap(&topic),
            Some(policy) => {
                // The node's latest position if it was following the topic; else (or if it
                // has received none of its messages) where its subscriptions started.
                let mirrored = current(&topic)
                    .then(|| shared.history_position(&topic))
                    .flatten();
                let after = mirrored.or_else(|| shared.start_of(&topic));
                pending.push(Pending {
                    topic,
                    policy,
                    after,
                    mirrored: mirrored.is_some(),
                });
            }
        }
    }
    (outcome, pending)
}

/// Reads every pending topic's history (at most [`CONCURRENT_READS`] at once), delivers each
/// topic's recovery or notice, then ends the hold.
async fn read_all(
    shared: &Arc<Shared>,
    conn: Option<Conn>,
    pending: Vec<Pending>,
    mut outcome: Outcome,
) -> Outcome {
    let reads = Arc::new(Semaphore::new(CONCURRENT_READS));
    let mut tasks = JoinSet::new();
    for pending in pending {
        let (shared, conn, reads) = (Arc::clone(shared), conn.clone(), Arc::clone(&reads));
        tasks.spawn(async move {
            let _permit = reads.acquire_owned().await;
            let read = read(&shared, conn, &pending).await;
            (pending, read)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let Ok((pending, read)) = done else {
            continue; // a read task panicked or was cancelled: its topic is released below
        };
        if apply(shared, &pending, read) {
            outcome.recovered += 1;
        } else {
            outcome.unrecovered += 1;
        }
    }
    finish(shared);
    shared.prune_starts();
    outcome
}

async fn read(shared: &Shared, conn: Option<Conn>, pending: &Pending) -> Result<Snapshot, Error> {
    let mut conn = conn.ok_or(Error::Closed)?;
    let from = pending
        .after
        .map_or(From::Latest, |p| From::Offset(p.offset + 1));
    let read = history::read(&mut conn, shared, &pending.topic, from, &pending.policy);
    bounded("read history", shared.config.subscribe_timeout, read).await
}

/// Delivers a topic's recovery (or its gap notice), then what was held for it; returns whether
/// it was recovered.
fn apply(shared: &Shared, pending: &Pending, read: Result<Snapshot, Error>) -> bool {
    let topic = &pending.topic;
    let (recovered, deliver) = match read {
        Err(error) => {
            if let Some(held_back) = shared.history_log.allow() {
                tracing::warn!(
                    %error,
                    held_back,
                    topic = topic.as_str(),
                    "reading a topic's history from redis failed; its subscribers get a gap notice"
                );
            }
            (Err(Unrecoverable::Unavailable), Vec::new())
        }
        Ok(snapshot) => match pending.after {
            Some(after) => match snapshot.after(after, &pending.policy) {
                Ok(messages) => (Ok(()), messages),
                Err(Unrecoverable::EpochChanged) => (
                    Err(Unrecoverable::EpochChanged),
                    snapshot.whole_epoch(&pending.policy).unwrap_or_default(),
                ),
                Err(why) => (Err(why), Vec::new()),
            },
            // Nothing seen here yet: fine if Redis has no history either; else the node cannot
            // tell what its subscribers missed.
            None if snapshot.epoch().is_none() => (Ok(()), Vec::new()),
            None => (Err(Unrecoverable::TooOld), Vec::new()),
        },
    };
    // Counted before anyone is told, so whoever sees the outcome sees it in the stats too.
    let counter = match recovered {
        Ok(()) => &shared.counters.recovered_topics,
        Err(_) => &shared.counters.unrecovered_topics,
    };
    Counters::add(counter, 1);
    if let Err(why) = recovered {
        // One line per topic after a reconnect would be thousands: the outcome's summary line
        // and `unrecovered_topics` carry the figures.
        tracing::debug!(
            topic = topic.as_str(),
            reason = %why,
            "a topic with history could not be recovered after a reconnect; gap notice sent"
        );
        // Forgotten first, so the next message starts the mirror again rather than reveal a
        // hole (a second notice).
        shared.forget_history(topic);
        shared.notify_gap(topic);
    }
    for message in &deliver {
        shared.deliver(topic, message);
    }
    let mut inbound = shared.inbound();
    if let Some(hold) = inbound.hold.as_mut() {
        for message in hold.release(topic) {
            shared.deliver(topic, &message);
        }
    }
    recovered.is_ok()
}

/// Ends the hold: what is left (topics not recovered here) is delivered, and messages flow.
pub(crate) fn finish(shared: &Shared) {
    let mut inbound = shared.inbound();
    if let Some(hold) = inbound.hold.take() {
        for (topic, messages) in hold.finish() {
            for message in &messages {
                shared.deliver(&topic, message);
            }
        }
    }
}
