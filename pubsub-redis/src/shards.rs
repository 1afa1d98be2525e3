//! Cluster mode: the check that each shard's subscriber connection still holds this node's
//! subscriptions.
//!
//! The `redis` crate's cluster connection reconnects a shard's connection by itself after it
//! lost it (killed with `CLIENT KILL`, a network cut, the node restarted) without a failover,
//! and then sends that node one `SSUBSCRIBE` of all its channels; Redis refuses it
//! (`CROSSSLOT`) as soon as the channels lie in more than one slot (redis 1.8.1), so the new
//! connection holds no subscriptions and the shard's topics go silent. So once per
//! [`RedisConfig::ping_interval`](crate::RedisConfig::ping_interval), and at once when the
//! client reports a lost connection (a `Disconnection` push, which does not say which shard),
//! the link asks each primary for the `ssub` count of the connection the client holds to it
//! (`CLIENT INFO`) and compares it with the number of this node's subscribed topics whose slot
//! that primary owns (kept per slot as topics come and go, so no walk over the topics); a
//! primary whose connection holds fewer lost some: all its topics are subscribed again (the
//! count does not say which) and their subscribers get a gap notice (with history: a
//! recovery). That covers the connection reconnected without its subscriptions, and one that
//! lost a slot's channels only (the slot taken from the primary and given back). The count is
//! taken in the link task, which alone sends this node's `SSUBSCRIBE`s and `SUNSUBSCRIBE`s,
//! so none of them is under way then (except one that timed out and may still reach Redis).
//! One small command per primary per interval; no cost per message.
//!
//! `CLIENT INFO` is routed by one of the primary's slots, not to its address: a command sent
//! to the address of a node whose connection is being repaired fails with "connection not
//! found", on which the client replaces every shard's connection (and so loses every
//! subscription; seen in `tests/it/cluster/shard_lost.rs`). Routed by slot, it goes to a
//! replica or another node meanwhile, so it is sent in one pipeline after `CLUSTER MYID`, and
//! the answer is taken only when the node that gave it is the primary (its id in
//! `CLUSTER SLOTS`); others are looked at again next time. The id holds behind address
//! translation ([`RedisConfig::cluster_addresses`](crate::RedisConfig::cluster_addresses)),
//! where the address a connection reached is not the one the node announces.

use std::collections::HashMap;
use std::time::Duration;

use redis::Value;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, SingleNodeRoutingInfo, SlotAddr};
use tokio::task::JoinSet;

use crate::cluster::Topology;
use crate::conn::text;
use crate::error::bounded;

/// The number of sharded subscriptions the connection to each primary of `topology` holds, at
/// most `after` each. A primary whose own connection did not answer (it is being repaired, the
/// node is down), or whose id is not known, is left out: it is looked at again next time.
pub(crate) async fn held(
    conn: &ClusterConnection,
    topology: &Topology,
    after: Duration,
) -> HashMap<String, u64> {
    let mut asked = JoinSet::new();
    for (primary, slot) in topology.primaries() {
        let Some(id) = topology.id_of(primary) else {
            continue;
        };
        let (mut conn, primary, id) = (conn.clone(), primary.to_owned(), id.to_owned());
        asked.spawn(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("CLUSTER").arg("MYID").cmd("CLIENT").arg("INFO");
            let route = SingleNodeRoutingInfo::SpecificNode(Route::new(slot, SlotAddr::Master));
            let answers =
                bounded("client info", after, conn.route_pipeline(pipe, 0, 2, route)).await;
            let count = answers.ok().and_then(|answers| count_of(&answers, &id));
            (primary, count)
        });
    }
    let mut held = HashMap::new();
    while let Some(done) = asked.join_next().await {
        if let Ok((primary, Some(count))) = done {
            held.insert(primary, count);
        }
    }
    held
}

/// The primaries (of `held`, the counts [`held`] read) whose connection holds fewer sharded
/// subscriptions than `wanted` says this node has topics on them: each lost some (all, after
/// the client reconnected it, or those of a slot that left the shard and came back). Which
/// ones is not told, so all that primary's topics are subscribed again. A primary not asked,
/// or that did not answer, is left out; one holding more (a subscription of the client's own
/// not yet confirmed) is not short.
pub(crate) fn short<'a>(
    held: &'a HashMap<String, u64>,
    wanted: &HashMap<&str, u64>,
) -> Vec<&'a str> {
    let mut short: Vec<&str> = held
        .iter()
        .filter(|(primary, count)| **count < wanted.get(primary.as_str()).copied().unwrap_or(0))
        .map(|(primary, _)| primary.as_str())
        .collect();
    short.sort_unstable();
    short
}

/// The count in the answers to `CLUSTER MYID` and `CLIENT INFO`, if the node with `id` gave them.
fn count_of(answers: &[Value], id: &str) -> Option<u64> {
    match answers {
        [myid, info] if text(myid) == Some(id) => ssub(info),
        _ => None,
    }
}

/// The `ssub=<n>` field of a `CLIENT INFO` answer.
fn ssub(info: &Value) -> Option<u64> {
    text(info)?
        .split_ascii_whitespace()
        .find_map(|field| field.strip_prefix("ssub="))?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests;
