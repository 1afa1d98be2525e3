//! A cluster whose nodes announce addresses this node cannot reach, as behind NAT or in
//! containers: `cluster-announce-hostname` with `cluster-preferred-endpoint-type hostname`
//! make each node announce `node-<port>.invalid` in `CLUSTER SLOTS`, a name no resolver knows.
//! With `RedisConfig::cluster_addresses` mapping each to its loopback address, nodes connect
//! and deliver on every shard, and a lost shard connection is found (by its primary's node id,
//! not by the address the connection reached) and subscribed again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pubsub_core::Broker;
use pubsub_redis::RedisBroker;

use super::cluster_config;
use super::shard_lost::{HurtShard, kill_sharded_subscribers};
use super::stream::{Steady, numbered};
use crate::cluster_server::RedisCluster;
use crate::server::unique_namespace;

/// The port of a node URL (`redis://127.0.0.1:<port>/`).
fn port_of(url: &str) -> u16 {
    url.trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port")
}

/// Makes every node of `urls` announce `node-<port>.invalid`, waits until `CLUSTER SLOTS`
/// tells only those names, and returns the map from each to its loopback address.
async fn announce_unreachable_names(urls: &[String]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for url in urls {
        let port = port_of(url);
        let mut raw = crate::server::raw(url).await;
        let name = format!("node-{port}.invalid");
        for (key, value) in [
            ("cluster-announce-hostname", name.as_str()),
            ("cluster-preferred-endpoint-type", "hostname"),
        ] {
            let () = redis::cmd("CONFIG")
                .arg("SET")
                .arg(key)
                .arg(value)
                .query_async(&mut raw)
                .await
                .expect("config set");
        }
        map.insert(format!("{name}:{port}"), format!("127.0.0.1:{port}"));
    }
    // Hostnames travel with the cluster bus's pings: every node tells them within a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    for url in urls {
        let mut raw = crate::server::raw(url).await;
        loop {
            let slots: redis::Value = redis::cmd("CLUSTER")
                .arg("SLOTS")
                .query_async(&mut raw)
                .await
                .expect("cluster slots");
            let text = format!("{slots:?}");
            // Each node's entry names it first; its metadata still tells its IP.
            if text.matches(".invalid").count() == urls.len() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the names did not spread: {text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_announcing_unreachable_names_is_reached_through_the_address_map() {
    let _heavy = crate::heavy().await;
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .expect("a cluster");
    let urls = cluster.urls();
    let map = announce_unreachable_names(&urls).await;
    let namespace = unique_namespace();

    // The premise: without the map, the shards the names stand for cannot be reached.
    let mut plain = cluster_config(&urls, &namespace);
    plain.capacity = 4096;
    if let Ok(plain) = RedisBroker::connect(plain).await {
        let topic = pubsub_core::testing::unique_topic("unmapped");
        assert!(
            plain.publish(&topic, numbered(1)).await.is_err(),
            "a publish reached a shard by a name nobody resolves"
        );
    }

    let hurt = HurtShard::on(cluster, "translated", &map).await;
    let mut steady = Steady::start(&hurt.a, &hurt.b, &hurt.topics).await;
    // A shard's subscriber connection lost: the count check finds it by the primary's id.
    let killed = kill_sharded_subscribers(&hurt.victim_url()).await;
    assert_eq!(killed, 1, "node a's one connection to the victim primary");
    steady
        .until_all_after(
            tokio::time::Instant::now() + Duration::from_millis(500),
            Duration::from_secs(10),
        )
        .await;
    let (received, published) = steady.finish().await;
    // Every shard delivered through the map; the lost shard's plain topics got a notice, its
    // topic with history was recovered, the others are complete.
    for (i, published) in published.iter().enumerate() {
        assert!(!published.is_empty(), "topic {i} published nothing");
    }
    hurt.assert_only_its_topics_lost(&received, &published);
}
