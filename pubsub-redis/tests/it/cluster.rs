//! Cluster mode on a real six-node Redis Cluster (`server/cluster.rs`): the core's conformance
//! suite, and many topics over the three shards between two nodes. One cluster serves every
//! test here (each on its own namespace); the tests that kill nodes or connections, or move
//! slots, start their own.

mod conformance;
mod failover;
mod frozen;
mod half_open;
mod history;
mod reshard;
mod shard_lost;
mod spread;
mod stream;
mod translated;

use pubsub_redis::{RedisBroker, RedisConfig};

use crate::server::{config, unique_namespace};

/// A test configuration for the cluster behind `urls`, on `namespace`.
pub(crate) fn cluster_config(urls: &[String], namespace: &str) -> RedisConfig {
    let mut config = config(&urls[0], namespace, pubsub_redis::ChannelMode::Cluster);
    config.seeds = urls[1..].to_vec();
    config
}

/// The shared cluster's node URLs (started by the first test that asks, under the heavy tests'
/// lock: six servers starting and syncing load both cores).
pub(crate) async fn urls() -> Vec<String> {
    static URLS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if let Some(urls) = URLS.get() {
        return urls.clone();
    }
    let _heavy = crate::heavy().await;
    let urls = tokio::task::spawn_blocking(|| crate::cluster_server::shared().urls())
        .await
        .expect("the cluster");
    URLS.get_or_init(|| urls).clone()
}

/// Two nodes on the cluster behind `urls`, on a namespace of their own.
pub(crate) async fn cluster_pair(urls: &[String], capacity: usize) -> (RedisBroker, RedisBroker) {
    let mut config = cluster_config(urls, &unique_namespace());
    config.capacity = capacity;
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    (a, b)
}

/// Two nodes on the cluster behind `urls`, on a namespace of their own, keeping history for
/// topics starting with `kept` (for a minute, up to 1000 messages).
pub(crate) async fn cluster_pair_keeping(
    urls: &[String],
    capacity: usize,
    kept: &str,
) -> (RedisBroker, RedisBroker) {
    cluster_pair_through(urls, capacity, kept, &std::collections::HashMap::new()).await
}

/// [`cluster_pair_keeping`], reaching the nodes through `addresses`
/// (`RedisConfig::cluster_addresses`).
pub(crate) async fn cluster_pair_through(
    urls: &[String],
    capacity: usize,
    kept: &str,
    addresses: &std::collections::HashMap<String, String>,
) -> (RedisBroker, RedisBroker) {
    use pubsub_core::history::{HistoryConfig, HistoryPolicy};
    let mut config = cluster_config(urls, &unique_namespace());
    config.capacity = capacity;
    config.cluster_addresses.clone_from(addresses);
    config.history = HistoryConfig::new().prefix(
        kept,
        HistoryPolicy::new(1000, std::time::Duration::from_secs(60)),
    );
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    (a, b)
}

/// Which of the three primaries owns each slot range, from `CLUSTER SLOTS`.
pub(crate) async fn slot_owners(url: &str) -> Vec<(u16, u16, u16)> {
    let mut conn = crate::server::raw(url).await;
    let slots: Vec<redis::Value> = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async(&mut conn)
        .await
        .expect("cluster slots");
    slots
        .iter()
        .map(|range| {
            let redis::Value::Array(parts) = range else {
                panic!("a slot range: {range:?}")
            };
            let int = |v: &redis::Value| match v {
                redis::Value::Int(n) => u16::try_from(*n).expect("u16"),
                other => panic!("an integer: {other:?}"),
            };
            let redis::Value::Array(primary) = &parts[2] else {
                panic!("a node: {parts:?}")
            };
            (int(&parts[0]), int(&parts[1]), int(&primary[1]))
        })
        .collect()
}

/// `key`'s slot, as the node at `url` computes it (`CLUSTER KEYSLOT`).
pub(crate) async fn keyslot(url: &str, key: &str) -> u16 {
    let mut raw = crate::server::raw(url).await;
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(&mut raw)
        .await
        .expect("keyslot")
}

/// The port of the primary that owns `key`'s slot, by `ranges` (from [`slot_owners`]).
pub(crate) async fn owner_of(url: &str, ranges: &[(u16, u16, u16)], key: &str) -> u16 {
    let slot = keyslot(url, key).await;
    ranges
        .iter()
        .find(|(from, to, _)| (*from..=*to).contains(&slot))
        .map(|(_, _, port)| *port)
        .expect("an owner")
}

/// `per_shard` new topics labelled `label` on each of the three primaries (by `ranges`, from
/// [`slot_owners`]), each with the port of its primary.
pub(crate) async fn topics_on_every_shard(
    url: &str,
    broker: &RedisBroker,
    ranges: &[(u16, u16, u16)],
    label: &str,
    per_shard: usize,
) -> Vec<(pubsub_core::Topic, u16)> {
    let mut topics = Vec::new();
    let mut counts: std::collections::HashMap<u16, usize> =
        ranges.iter().map(|(_, _, port)| (*port, 0)).collect();
    for _ in 0..per_shard * 100 {
        if counts.values().all(|n| *n >= per_shard) {
            return topics;
        }
        let topic = pubsub_core::testing::unique_topic(label);
        let owner = owner_of(url, ranges, &broker.config().cluster_channel(&topic)).await;
        let count = counts.get_mut(&owner).expect("a primary");
        if *count < per_shard {
            *count += 1;
            topics.push((topic, owner));
        }
    }
    panic!("no {per_shard} topics on every shard: {counts:?}");
}
