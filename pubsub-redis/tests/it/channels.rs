//! Per-topic mode: a node holds a topic's channel exactly while it has local subscribers to it,
//! as `PUBSUB CHANNELS` shows.

use std::time::{Duration, Instant};

use pubsub_core::Broker;
use pubsub_core::testing::unique_topic;
use pubsub_redis::ChannelMode;

use crate::server::{Target, pair, raw};

async fn channels(url: &str, pattern: &str) -> Vec<String> {
    let mut conn = raw(url).await;
    let mut list: Vec<String> = redis::cmd("PUBSUB")
        .arg("CHANNELS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .expect("PUBSUB CHANNELS");
    list.sort();
    list
}

/// Polls until `PUBSUB CHANNELS` equals `expected` (an unsubscribe is asynchronous).
async fn eventually(url: &str, pattern: &str, expected: &[String]) {
    let deadline = Instant::now() + crate::WAIT;
    loop {
        let now = channels(url, pattern).await;
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "channels {now:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_channel_exists_while_a_node_has_local_subscribers() {
    let target = Target::new();
    let (node_a, node_b) = pair(target.url(), ChannelMode::PerTopic, 16).await;
    let pattern = format!("{}:*", node_a.config().namespace);
    let (t1, t2) = (unique_topic("refcount"), unique_topic("refcount"));
    let (c1, c2) = (
        node_a.config().channel_for(&t1),
        node_a.config().channel_for(&t2),
    );
    assert_eq!(channels(target.url(), &pattern).await, Vec::<String>::new());

    // Confirmed before subscribe returns: no polling needed here.
    let first = node_a.subscribe(&t1).await.expect("subscribe");
    assert_eq!(
        channels(target.url(), &pattern).await,
        std::slice::from_ref(&c1)
    );
    let second = node_a.subscribe(&t1).await.expect("subscribe");
    let mut other_node = node_b.subscribe(&t1).await.expect("subscribe");
    node_b
        .add_topic(&mut other_node, &t2)
        .await
        .expect("add topic");
    let mut expected = vec![c1.clone(), c2.clone()];
    expected.sort();
    assert_eq!(channels(target.url(), &pattern).await, expected);

    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        channels(target.url(), &pattern).await,
        expected,
        "node A still has a subscriber"
    );
    drop(second);
    drop(other_node);
    eventually(target.url(), &pattern, &[]).await;
    assert_eq!((node_a.topic_count(), node_b.topic_count()), (0, 0));

    // And back again.
    let _again = node_a.subscribe(&t2).await.expect("subscribe");
    assert_eq!(channels(target.url(), &pattern).await, [c2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_churn_leaves_exactly_the_live_channels() {
    let target = Target::new();
    let (node, _) = pair(target.url(), ChannelMode::PerTopic, 16).await;
    let pattern = format!("{}:*", node.config().namespace);
    let topics: Vec<_> = (0..20).map(|_| unique_topic("churn")).collect();
    let mut keep = Vec::new();
    for round in 0..5 {
        let mut subs = Vec::new();
        for topic in &topics {
            subs.push(node.subscribe(topic).await.expect("subscribe"));
        }
        if round == 4 {
            keep = subs.split_off(15);
        }
    }
    let mut expected: Vec<String> = topics[15..]
        .iter()
        .map(|t| node.config().channel_for(t))
        .collect();
    expected.sort();
    eventually(target.url(), &pattern, &expected).await;
    drop(keep);
    eventually(target.url(), &pattern, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_mode_uses_one_channel_whatever_the_topics() {
    let target = Target::new();
    let (node, _) = pair(target.url(), ChannelMode::Namespace, 16).await;
    let _subs: Vec<_> = futures_subscribe(&node, 10).await;
    let namespace = node.config().namespace.clone();
    assert_eq!(
        channels(target.url(), &format!("{namespace}*")).await,
        [namespace]
    );
}

async fn futures_subscribe(
    node: &pubsub_redis::RedisBroker,
    n: usize,
) -> Vec<pubsub_core::Subscription> {
    let mut subs = Vec::new();
    for _ in 0..n {
        subs.push(
            node.subscribe(&unique_topic("ns"))
                .await
                .expect("subscribe"),
        );
    }
    subs
}
