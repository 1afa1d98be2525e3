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
//! replica or another node meanwhile, so the answer is taken only when its `laddr` (the
//! address the connection reached) is the primary's own; others are looked at again next
//! time. Behind address translation (`laddr` differs from the announced address) the check
//! therefore never acts.

use std::collections::HashMap;
use std::time::Duration;

use redis::Value;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use tokio::task::JoinSet;

use crate::error::bounded;

/// The number of sharded subscriptions the connection to each of `primaries` (`"host:port"`,
/// with one of its slots) holds, at most `after` each. A primary whose own connection did not
/// answer (it is being repaired, the node is down) is left out: it is looked at again next
/// time.
pub(crate) async fn held(
    conn: &ClusterConnection,
    primaries: &[(&str, u16)],
    after: Duration,
) -> HashMap<String, u64> {
    let mut asked = JoinSet::new();
    for (primary, slot) in primaries {
        let (mut conn, primary, slot) = (conn.clone(), (*primary).to_owned(), *slot);
        asked.spawn(async move {
            let mut cmd = redis::cmd("CLIENT");
            cmd.arg("INFO");
            let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::new(
                slot,
                SlotAddr::Master,
            )));
            let info = bounded("client info", after, conn.route_command(cmd, route)).await;
            let count = info.ok().as_ref().and_then(|info| ssub(info, &primary));
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

/// The `ssub=<n>` field of a `CLIENT INFO` answer, if it came from `primary` (its `laddr`).
fn ssub(info: &Value, primary: &str) -> Option<u64> {
    let text = match info {
        Value::BulkString(b) => std::str::from_utf8(b).ok()?,
        Value::VerbatimString { text, .. } => text.as_str(),
        Value::SimpleString(s) => s.as_str(),
        _ => return None,
    };
    let field = |name: &str| {
        text.split_ascii_whitespace()
            .find_map(|field| field.strip_prefix(name))
    };
    if field("laddr=")? != primary {
        return None;
    }
    field("ssub=")?.parse().ok()
}

#[cfg(test)]
mod tests;
