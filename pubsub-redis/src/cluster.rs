//! Cluster mode's subscriber side: sharded subscriptions sent to the shard of each channel's
//! slot, and which `ssubscribe` confirmations are re-subscriptions.
//!
//! `SSUBSCRIBE` takes channels of one slot only, so a batch of channels is split by slot and
//! each part sent as one command, all parts at once; the `redis` crate's cluster connection
//! routes each to the shard that owns its slot, and tries to resubscribe by itself after it
//! lost a shard's connection (which succeeds only when that shard's channels lie in one slot;
//! `shards.rs` finds the other case). Such a re-subscription shows as a confirmation nobody asked for:
//! [`Confirmations`] counts the ones asked for, so the receiving side can tell the others apart
//! and keep the topic's sequence marks (a loss meanwhile then shows as a hole, a gap notice for
//! that topic only), where its own subscriptions start the marks afresh. A second count does
//! the same for `SUNSUBSCRIBE`: an `sunsubscribe` push nobody asked for is Redis dropping the
//! channel because its slot left the shard (a resharding), and makes the link look at the
//! slots at once instead of at its next look.
//!
//! The client does not notice by itself that a shard's primary was replaced while this node
//! only listens (it refreshes its slot map when a command is redirected, and a subscriber
//! connection sends none). So the link asks the cluster for its [`Topology`] once per
//! [`RedisConfig::ping_interval`](crate::RedisConfig::ping_interval); when the owner of a
//! subscribed topic's slot changed (a failover, a resharding), it subscribes that topic again
//! (the client sends it to the new owner) and gives its subscribers a gap notice once the new
//! owner confirmed (with history: a recovery, `recovery.rs`): only the moved topics, the
//! others are left alone.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pubsub_core::Topic;
use redis::Value;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use tokio::task::JoinSet;

use crate::conn::{Subscribe, text};
use crate::error::{Error, bounded};

mod slot;

pub(crate) use slot::{slot_of, slot_of_key};

/// Takes one of `topic`'s due confirmations, if it has any; whether it had.
fn take_one(due: &mut HashMap<Topic, u32>, topic: &str) -> bool {
    let Some(count) = due.get_mut(topic) else {
        return false;
    };
    *count -= 1;
    if *count == 0 {
        due.remove(topic);
    }
    true
}

/// The confirmations this node's own `SSUBSCRIBE`s (or, the other instance, `SUNSUBSCRIBE`s)
/// are still due, per topic.
#[derive(Debug, Default)]
pub(crate) struct Confirmations {
    due: Mutex<HashMap<Topic, u32>>,
}

impl Confirmations {
    fn lock(&self) -> MutexGuard<'_, HashMap<Topic, u32>> {
        self.due.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that a command for `topics` is about to be sent (each will be confirmed once).
    pub(crate) fn expect(&self, topics: &[Topic]) {
        let mut due = self.lock();
        for topic in topics {
            *due.entry(topic.clone()).or_default() += 1;
        }
    }

    /// Takes one confirmation of `topic`: `true` if it was due (an answer to our own
    /// command), `false` if the client re-subscribed the channel by itself (or Redis dropped
    /// it).
    pub(crate) fn take(&self, topic: &str) -> bool {
        take_one(&mut self.lock(), topic)
    }

    /// Takes back one due confirmation of each of `topics` (their command failed: what it
    /// did not confirm will not come). A topic confirmed already before the failure loses
    /// another of its due confirmations, if any: at worst a later re-subscription of the
    /// client's own is then taken for a loss (a notice), never the other way round.
    pub(crate) fn cancel(&self, topics: &[Topic]) {
        let mut due = self.lock();
        for topic in topics {
            take_one(&mut due, topic.as_str());
        }
    }

    /// Forgets every due confirmation (the connection is replaced: none will come).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// Sends `what` for `channels`, one command per slot, all at once, and waits for every shard's
/// confirmation, at most `after` in all.
pub(crate) async fn command(
    conn: &ClusterConnection,
    what: Subscribe,
    channels: Vec<String>,
    after: Duration,
) -> Result<(), Error> {
    let mut by_slot: HashMap<u16, Vec<String>> = HashMap::new();
    for channel in channels {
        by_slot.entry(slot_of(&channel)).or_default().push(channel);
    }
    let mut sent = JoinSet::new();
    for (_, channels) in by_slot {
        let mut conn = conn.clone();
        sent.spawn(async move {
            match what {
                Subscribe::Subscribe => conn.ssubscribe(channels).await,
                Subscribe::Unsubscribe => conn.sunsubscribe(channels).await,
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
    bounded(what.sharded(), after, all).await
}

/// Hash slots in a Redis Cluster.
pub(crate) const SLOTS: u16 = 16384;

/// Which primary owns each slot, as one node of the cluster said (`CLUSTER SLOTS`), and its
/// replicas. Two topologies are equal when the same primaries own the same slots.
#[derive(Debug, Clone)]
pub(crate) struct Topology {
    /// `(first slot, last slot, primary's "host:port")`, sorted.
    ranges: Vec<(u16, u16, String)>,
    /// Each primary's replicas (`"host:port"`).
    replicas: HashMap<String, Vec<String>>,
    /// Each primary's node id.
    ids: HashMap<String, String>,
}

impl PartialEq for Topology {
    fn eq(&self, other: &Self) -> bool {
        self.ranges == other.ranges
    }
}

impl Eq for Topology {}

impl Topology {
    /// Asks one node of the cluster (any that is connected), at most `after`.
    pub(crate) async fn read(conn: &ClusterConnection, after: Duration) -> Result<Self, Error> {
        let mut conn = conn.clone();
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("SLOTS");
        let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
        let value = bounded(
            "read the cluster's slots",
            after,
            conn.route_command(cmd, route),
        )
        .await?;
        Ok(Topology::parse(&value))
    }

    /// `CLUSTER SLOTS`' answer: `[[first, last, [host, port, id..], replicas..], ..]`; what
    /// does not fit is left out.
    pub(crate) fn parse(value: &Value) -> Self {
        let int = |v: &Value| match v {
            Value::Int(n) => u16::try_from(*n).ok(),
            _ => None,
        };
        let address = |node: &Value| match node {
            Value::Array(node) => match (node.first().and_then(text), node.get(1).and_then(int)) {
                (Some(host), Some(port)) => Some(format!("{host}:{port}")),
                _ => None,
            },
            _ => None,
        };
        let id = |node: &Value| match node {
            Value::Array(node) => node.get(2).and_then(text).map(str::to_owned),
            _ => None,
        };
        let mut ranges = Vec::new();
        let mut replicas: HashMap<String, Vec<String>> = HashMap::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        if let Value::Array(items) = value {
            for item in items {
                let Value::Array(parts) = item else { continue };
                let (Some(first), Some(last), Some(primary)) = (
                    parts.first().and_then(int),
                    parts.get(1).and_then(int),
                    parts.get(2).and_then(address),
                ) else {
                    continue;
                };
                if let Some(id) = parts.get(2).and_then(id) {
                    ids.insert(primary.clone(), id);
                }
                let known = replicas.entry(primary.clone()).or_default();
                known.extend(parts.iter().skip(3).filter_map(address));
                known.sort_unstable();
                known.dedup();
                ranges.push((first, last, primary));
            }
        }
        ranges.sort_unstable();
        Topology {
            ranges,
            replicas,
            ids,
        }
    }

    /// The primary that owns `slot`, if any does.
    fn owner(&self, slot: u16) -> Option<&str> {
        self.ranges
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&slot))
            .map(|(_, _, owner)| owner.as_str())
    }

    /// The slot ranges and their primaries' `"host:port"`, in the order of the slots.
    pub(crate) fn ranges(&self) -> impl Iterator<Item = (u16, u16, &str)> {
        self.ranges
            .iter()
            .map(|(first, last, primary)| (*first, *last, primary.as_str()))
    }

    /// The primaries that own slots, each once, with one of its slots.
    pub(crate) fn primaries(&self) -> Vec<(&str, u16)> {
        let mut primaries: Vec<(&str, u16)> = self
            .ranges
            .iter()
            .map(|(first, _, primary)| (primary.as_str(), *first))
            .collect();
        primaries.sort_unstable();
        primaries.dedup_by_key(|(primary, _)| *primary);
        primaries
    }

    /// The node id of `primary` (`"host:port"`), if `CLUSTER SLOTS` gave it.
    pub(crate) fn id_of(&self, primary: &str) -> Option<&str> {
        self.ids.get(primary).map(String::as_str)
    }

    /// How many topics each primary owns, from how many lie in each slot (`per_slot`); a
    /// slot no primary owns is left out.
    pub(crate) fn per_primary(&self, per_slot: &HashMap<u16, u64>) -> HashMap<&str, u64> {
        let mut per_primary: HashMap<&str, u64> = HashMap::new();
        for (slot, count) in per_slot {
            if let Some(owner) = self.owner(*slot) {
                *per_primary.entry(owner).or_default() += count;
            }
        }
        per_primary
    }

    /// The primary that owns `channel`'s slot, if any does.
    pub(crate) fn owner_of(&self, channel: &str) -> Option<&str> {
        self.owner(slot_of(channel))
    }

    /// Whether `channel`'s slot has another owner in `now` than in `self`.
    pub(crate) fn moved(&self, now: &Topology, channel: &str) -> bool {
        let slot = slot_of(channel);
        self.owner(slot) != now.owner(slot)
    }

    /// Whether `channel`'s slot is owned in `now` by what was a replica of its owner in
    /// `self` (a failover). Its history there may lack what the old primary delivered last
    /// (replication is asynchronous) while new messages take their offsets, so it cannot be
    /// trusted to continue what this node delivered; a slot migrated to another primary
    /// (`MIGRATE` moves the keys whole) can.
    pub(crate) fn promoted(&self, now: &Topology, channel: &str) -> bool {
        let slot = slot_of(channel);
        match (self.owner(slot), now.owner(slot)) {
            (Some(old), Some(new)) => self
                .replicas
                .get(old)
                .is_some_and(|replicas| replicas.iter().any(|r| r == new)),
            _ => false,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
