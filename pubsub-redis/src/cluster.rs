//! Cluster mode's subscriber side: sharded subscriptions sent to the shard of each channel's
//! slot, and which `ssubscribe` confirmations are re-subscriptions.
//!
//! `SSUBSCRIBE` takes channels of one slot only, so a batch of channels is split by slot and
//! each part sent as one command, all parts at once; the `redis` crate's cluster connection
//! routes each to the shard that owns its slot, and resubscribes by itself after it lost a
//! shard's connection or the slots moved (a failover, a resharding). Such a re-subscription
//! shows as a confirmation nobody asked for: [`Confirmations`] counts the ones asked for, so
//! the receiving side can tell the others apart and give only that topic's subscribers a gap
//! notice (what was published while the shard was away is lost), after the channel is back.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pubsub_core::Topic;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::Slot;
use tokio::task::JoinSet;

use crate::error::{Error, bounded};

/// The confirmations this node's own `SSUBSCRIBE`s are still due, per topic.
#[derive(Debug, Default)]
pub(crate) struct Confirmations {
    due: Mutex<HashMap<Topic, u32>>,
}

impl Confirmations {
    fn lock(&self) -> MutexGuard<'_, HashMap<Topic, u32>> {
        self.due.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that an `SSUBSCRIBE` of `topics` is about to be sent (each will be confirmed once).
    pub(crate) fn expect(&self, topics: &[Topic]) {
        let mut due = self.lock();
        for topic in topics {
            *due.entry(topic.clone()).or_default() += 1;
        }
    }

    /// Takes one confirmation of `topic`: `true` if it was due (an answer to our own
    /// `SSUBSCRIBE`), `false` if the client re-subscribed the channel by itself.
    pub(crate) fn take(&self, topic: &str) -> bool {
        let mut due = self.lock();
        let Some(count) = due.get_mut(topic) else {
            return false;
        };
        *count -= 1;
        if *count == 0 {
            due.remove(topic);
        }
        true
    }

    /// Forgets every due confirmation (the connection is replaced: none will come).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// Whether to subscribe or unsubscribe.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sharded {
    Subscribe,
    Unsubscribe,
}

impl Sharded {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Sharded::Subscribe => "ssubscribe",
            Sharded::Unsubscribe => "sunsubscribe",
        }
    }
}

/// Sends `what` for `channels`, one command per slot, all at once, and waits for every shard's
/// confirmation, at most `after` in all.
pub(crate) async fn command(
    conn: &ClusterConnection,
    what: Sharded,
    channels: Vec<String>,
    after: Duration,
) -> Result<(), Error> {
    let mut by_slot: HashMap<Slot, Vec<String>> = HashMap::new();
    for channel in channels {
        by_slot
            .entry(Slot::for_key(channel.as_bytes()))
            .or_default()
            .push(channel);
    }
    let mut sent = JoinSet::new();
    for (_, channels) in by_slot {
        let mut conn = conn.clone();
        sent.spawn(async move {
            match what {
                Sharded::Subscribe => conn.ssubscribe(channels).await,
                Sharded::Unsubscribe => conn.sunsubscribe(channels).await,
            }
        });
    }
    let all = async {
        while let Some(done) = sent.join_next().await {
            match done {
                Ok(result) => result?,
                Err(_) => {
                    return Err(redis::RedisError::from((
                        redis::ErrorKind::Io,
                        "a sharded subscription task stopped",
                    )));
                }
            }
        }
        Ok(())
    };
    bounded(what.as_str(), after, all).await
}

#[cfg(test)]
mod tests;
