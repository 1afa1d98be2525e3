//! The hole collector: holes found in remote nodes' sequence numbers become gap notices, sent
//! by a task of its own rather than by the connection's reader.
//!
//! The reader only records the hole's topic in a set (one short lock) and wakes the task. The
//! task sends the notices for everything recorded (each topic's subscribers once, however many
//! holes it had), then sleeps for the gap interval before it looks again: the first notice
//! goes out at once, later ones at most once per interval. So a flood of forged holes costs the
//! reader a set insert each, and each subscription at most one notice per topic and interval
//! (consecutive notices in a subscription's queue merge into one).

use std::collections::HashSet;
use std::mem;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pubsub_core::Topic;
use tokio::sync::Notify;

use crate::log_limit::LogLimit;
use crate::shared::Shared;
use crate::stats::Counters;

/// Topics recorded per interval, at most; past that, every subscriber is told instead (one
/// notice each), so the set's memory stays bounded.
const MAX_TOPICS: usize = 65_536;

/// Holes waiting for their notices.
#[derive(Debug)]
pub(crate) struct Gaps {
    pending: Mutex<Pending>,
    wake: Notify,
    log: LogLimit,
}

#[derive(Debug, Default)]
struct Pending {
    topics: HashSet<Topic>,
    /// Too many topics: tell everyone.
    all: bool,
    holes: u64,
}

impl Gaps {
    pub(crate) fn new() -> Self {
        Gaps {
            pending: Mutex::new(Pending::default()),
            wake: Notify::new(),
            log: LogLimit::new(Duration::from_secs(10)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a hole in a stream of `topic` (which has local subscribers).
    pub(crate) fn record(&self, topic: &Topic) {
        {
            let mut pending = self.lock();
            pending.holes += 1;
            if !pending.all && !pending.topics.contains(topic) {
                if pending.topics.len() >= MAX_TOPICS {
                    pending.all = true;
                    pending.topics = HashSet::new();
                } else {
                    pending.topics.insert(topic.clone());
                }
            }
        }
        self.wake.notify_one();
    }
}

/// Sends the recorded holes' gap notices until the broker is dropped (which aborts this task).
pub(crate) async fn run(shared: Arc<Shared>) {
    let interval = shared.config.gap_interval;
    loop {
        shared.gaps.wake.notified().await;
        let pending = mem::take(&mut *shared.gaps.lock());
        if pending.holes == 0 {
            continue;
        }
        let told = if pending.all {
            shared.notify_gap_all()
        } else {
            pending.topics.iter().map(|t| shared.notify_gap(t)).sum()
        };
        Counters::add(&shared.counters.gap_rounds, 1);
        if let Some(held_back) = shared.gaps.log.allow() {
            tracing::warn!(
                holes = pending.holes,
                topics = pending.topics.len(),
                every_topic = pending.all,
                told,
                similar_lines_held_back = held_back,
                "holes in remote nodes' sequence numbers (messages lost, or forged); gap notices sent"
            );
        }
        tokio::time::sleep(interval).await;
    }
}
