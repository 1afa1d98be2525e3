//! Cluster mode on a real six-node Redis Cluster (`server/cluster.rs`): the core's conformance
//! suite, and many topics over the three shards between two nodes. One cluster serves every
//! test here (each on its own namespace); the failover test starts its own.

mod conformance;
mod history;
mod spread;

use std::time::Instant;

use pubsub_redis::{RedisBroker, RedisConfig};

use crate::cluster_server::RedisCluster;
use crate::server::{config, unique_namespace};

/// A test configuration for the cluster behind `urls`, on `namespace`.
pub(crate) fn cluster_config(urls: &[String], namespace: &str) -> RedisConfig {
    let mut config = config(&urls[0], namespace, pubsub_redis::ChannelMode::Cluster);
    config.seeds = urls[1..].to_vec();
    config
}

/// The shared cluster's node URLs (started by the first test that asks).
pub(crate) async fn urls() -> Vec<String> {
    tokio::task::spawn_blocking(|| crate::cluster_server::shared().urls())
        .await
        .expect("the cluster")
}

/// Two nodes on the cluster behind `urls`, on a namespace of their own.
pub(crate) async fn cluster_pair(urls: &[String], capacity: usize) -> (RedisBroker, RedisBroker) {
    let mut config = cluster_config(urls, &unique_namespace());
    config.capacity = capacity;
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    (a, b)
}

#[test]
fn a_test_cluster_comes_up_with_three_primaries() {
    let started = Instant::now();
    let cluster = RedisCluster::start();
    let took = started.elapsed();
    eprintln!("cluster up in {took:?}");
    assert_eq!(cluster.urls().len(), 6);
}
