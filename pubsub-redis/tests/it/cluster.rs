//! Cluster mode on a real six-node Redis Cluster (`server/cluster.rs`).

use std::time::Instant;

use crate::server::RedisCluster;

#[test]
fn a_test_cluster_comes_up_with_three_primaries() {
    let started = Instant::now();
    let cluster = RedisCluster::start();
    let took = started.elapsed();
    eprintln!("cluster up in {took:?}");
    assert_eq!(cluster.urls().len(), 6);
}
