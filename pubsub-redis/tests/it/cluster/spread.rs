//! Many topics spread over the three shards, between two nodes: every message once, in order
//! per topic, each on its topic's shard.

use std::collections::HashMap;

use pubsub_core::testing::{next_numbered, unique_topic};
use pubsub_core::{Broker, Topic};

use super::stream::numbered;
use super::{cluster_pair, slot_owners, urls};

const TOPICS: usize = 48;
const PER_TOPIC: u64 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_topics_over_three_shards_arrive_once_and_in_order_per_topic() {
    let urls = urls().await;
    let _heavy = crate::heavy().await; // 960 publishes at once
    let (a, b) = cluster_pair(&urls, 256).await;
    let topics: Vec<Topic> = (0..TOPICS).map(|_| unique_topic("spread")).collect();

    // The topics' channels lie on all three primaries.
    let ranges = slot_owners(&urls[0]).await;
    let mut per_shard: HashMap<u16, usize> = HashMap::new();
    for topic in &topics {
        let channel = a.config().cluster_channel(topic);
        let slot: u16 = super::keyslot(&urls[0], &channel).await;
        let history = a.config().history_keys(topic).0;
        let same: u16 = super::keyslot(&urls[0], &history).await;
        assert_eq!(slot, same, "{channel} and {history} share a slot");
        let (_, _, port) = ranges
            .iter()
            .find(|(from, to, _)| (*from..=*to).contains(&slot))
            .expect("an owner");
        *per_shard.entry(*port).or_default() += 1;
    }
    assert_eq!(per_shard.len(), 3, "topics on every shard: {per_shard:?}");

    let mut subs = Vec::new();
    for topic in &topics {
        subs.push(a.subscribe(topic).await.expect("subscribe on a"));
    }
    // Every topic published at once from node b, each in order.
    let mut publishers = tokio::task::JoinSet::new();
    for topic in topics.clone() {
        let b = b.clone();
        publishers.spawn(async move {
            for seq in 1..=PER_TOPIC {
                b.publish(&topic, numbered(seq))
                    .await
                    .expect("publish on b");
            }
        });
    }
    while let Some(done) = publishers.join_next().await {
        done.expect("a publisher");
    }
    for sub in &mut subs {
        for seq in 1..=PER_TOPIC {
            assert_eq!(next_numbered(sub).await, (seq, "stream".to_owned()));
        }
    }
    // Nothing more (no duplicate): a marker on each topic is the very next delivery.
    for (topic, sub) in topics.iter().zip(&mut subs) {
        b.publish(topic, numbered(PER_TOPIC + 1))
            .await
            .expect("marker");
        assert_eq!(
            next_numbered(sub).await,
            (PER_TOPIC + 1, "stream".to_owned())
        );
    }
    let stats = a.stats();
    assert_eq!(stats.received, TOPICS as u64 * (PER_TOPIC + 1));
    assert_eq!((stats.sequence_gaps, stats.duplicates), (0, 0));
    assert_eq!(stats.moved_topics, 0);
    assert_eq!(a.local().stats().gaps, 0);
}

/// The namespace's channels each primary holds: sharded (`PUBSUB SHARDCHANNELS`) and plain
/// (`PUBSUB CHANNELS`).
async fn channels_on(port: u16, namespace: &str) -> (Vec<String>, Vec<String>) {
    let mut conn = crate::server::raw(&format!("redis://127.0.0.1:{port}/")).await;
    let pattern = format!("{namespace}:*");
    let sharded: Vec<String> = redis::cmd("PUBSUB")
        .arg("SHARDCHANNELS")
        .arg(&pattern)
        .query_async(&mut conn)
        .await
        .expect("pubsub shardchannels");
    let plain: Vec<String> = redis::cmd("PUBSUB")
        .arg("CHANNELS")
        .arg(&pattern)
        .query_async(&mut conn)
        .await
        .expect("pubsub channels");
    (sharded, plain)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_is_subscribed_on_its_own_shard_only_while_it_has_subscribers() {
    let urls = urls().await;
    let _heavy = crate::heavy().await;
    let (a, b) = cluster_pair(&urls, 8).await;
    let namespace = a.config().namespace.clone();
    let ranges = slot_owners(&urls[0]).await;
    let mut primaries: Vec<u16> = ranges.iter().map(|(_, _, port)| *port).collect();
    primaries.sort_unstable();
    primaries.dedup();
    assert_eq!(primaries.len(), 3);

    let topics: Vec<Topic> = (0..12).map(|_| unique_topic("placed")).collect();
    let mut subs = Vec::new();
    for topic in &topics {
        // Two subscribers on node a, one channel subscription.
        subs.push(a.subscribe(topic).await.expect("subscribe"));
        subs.push(a.subscribe(topic).await.expect("subscribe"));
    }
    let mut expected: HashMap<u16, Vec<String>> = HashMap::new();
    for topic in &topics {
        let channel = a.config().cluster_channel(topic);
        let slot: u16 = super::keyslot(&urls[0], &channel).await;
        let (_, _, port) = ranges
            .iter()
            .find(|(from, to, _)| (*from..=*to).contains(&slot))
            .expect("an owner");
        expected.entry(*port).or_default().push(channel);
    }
    for port in &primaries {
        let (mut sharded, plain) = channels_on(*port, &namespace).await;
        sharded.sort();
        let mut want = expected.remove(port).unwrap_or_default();
        want.sort();
        assert_eq!(sharded, want, "the sharded channels on :{port}");
        assert!(plain.is_empty(), "no plain channel on :{port}: {plain:?}");
    }
    drop(b);

    // The last subscriber of each topic leaves: its channel goes (the link does it in the
    // background, so wait for it).
    drop(subs);
    let deadline = tokio::time::Instant::now() + crate::WAIT;
    for port in &primaries {
        loop {
            let (sharded, _) = channels_on(*port, &namespace).await;
            if sharded.is_empty() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "channels left on :{port}: {sharded:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    assert_eq!(a.topic_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_subscribed_again_later_starts_afresh_without_a_false_notice() {
    let urls = urls().await;
    let _heavy = crate::heavy().await;
    let (a, b) = cluster_pair(&urls, 64).await;
    let namespace = a.config().namespace.clone();
    let mut primaries: Vec<u16> = slot_owners(&urls[0]).await.iter().map(|r| r.2).collect();
    primaries.dedup();
    let topic = unique_topic("again");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    for seq in 1..=3 {
        b.publish(&topic, numbered(seq)).await.expect("publish");
        assert_eq!(next_numbered(&mut sub).await, (seq, "stream".to_owned()));
    }
    drop(sub);
    // Gone from its shard, so node a misses what follows.
    let deadline = tokio::time::Instant::now() + crate::WAIT;
    for port in &primaries {
        while !channels_on(*port, &namespace).await.0.is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the channel stayed");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    for seq in 4..=6 {
        b.publish(&topic, numbered(seq)).await.expect("publish");
    }
    // Subscribed again: the stream starts afresh at what comes next, not a hole after 3.
    let mut sub = a.subscribe(&topic).await.expect("subscribe again");
    for seq in 7..=8 {
        b.publish(&topic, numbered(seq)).await.expect("publish");
        assert_eq!(next_numbered(&mut sub).await, (seq, "stream".to_owned()));
    }
    let stats = a.stats();
    assert_eq!(
        stats.sequence_gaps, 0,
        "no hole seen across the re-subscription"
    );
    assert_eq!(stats.local.gaps, 0, "no notice");
}

/// How many `MOVED` redirects the primaries on `ports` answered so far (`INFO errorstats`).
async fn redirects(ports: &[u16]) -> u64 {
    let mut total = 0;
    for port in ports {
        let mut raw = crate::server::raw(&format!("redis://127.0.0.1:{port}/")).await;
        let info: String = redis::cmd("INFO")
            .arg("errorstats")
            .query_async(&mut raw)
            .await
            .expect("info errorstats");
        total += info
            .lines()
            .find_map(|line| line.strip_prefix("errorstat_MOVED:count="))
            .map_or(0, |n| n.trim().parse::<u64>().expect("a count"));
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_publish_goes_straight_to_its_topics_shard() {
    let urls = urls().await;
    let _heavy = crate::heavy().await;
    let (a, b) = cluster_pair(&urls, 256).await;
    let mut ports: Vec<u16> = slot_owners(&urls[0])
        .await
        .iter()
        .map(|(_, _, port)| *port)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let topics: Vec<Topic> = (0..TOPICS).map(|_| unique_topic("straight")).collect();
    let mut subs = Vec::new();
    for topic in &topics {
        subs.push(a.subscribe(topic).await.expect("subscribe"));
    }
    let before = redirects(&ports).await;
    for seq in 1..=5 {
        for topic in &topics {
            b.publish(topic, numbered(seq)).await.expect("publish");
        }
    }
    for sub in &mut subs {
        for seq in 1..=5 {
            assert_eq!(next_numbered(sub).await.0, seq);
        }
    }
    assert_eq!(
        redirects(&ports).await - before,
        0,
        "no SPUBLISH was sent to a node that does not own its channel's slot"
    );
}
