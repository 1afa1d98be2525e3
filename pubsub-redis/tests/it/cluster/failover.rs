//! A primary killed during a steady stream: its replica takes over, delivery resumes on every
//! topic, and only the topics of that shard get a gap notice (those with history too).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use pubsub_core::testing::unique_topic;
use pubsub_core::{Broker, Delivery, Topic};

use super::stream::{Stream, seq_of};
use super::{cluster_pair_keeping, owner_of, slot_owners, topics_on_every_shard};
use crate::cluster_server::RedisCluster;

const TOPICS: usize = 12;

/// Every topic in order and without duplicates; the lost shard's topics with a notice; the
/// others without, and with every publish that succeeded up to their last delivery.
fn assert_outcome(
    topics: &[(Topic, u16)],
    victim: u16,
    received: &HashMap<usize, Vec<u64>>,
    gaps: &HashMap<usize, usize>,
    published: &[Vec<u64>],
) {
    for (i, (_, owner)) in topics.iter().enumerate() {
        let got = &received[&i];
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "topic {i} in order, once"
        );
        if *owner == victim {
            assert!(
                gaps.get(&i).copied().unwrap_or(0) >= 1,
                "topic {i} on the lost shard has a gap notice"
            );
        } else {
            assert_eq!(
                gaps.get(&i),
                None,
                "topic {i} on a healthy shard has no gap notice"
            );
            // Every publish that succeeded before the last one received arrived.
            let last = *got.last().expect("something");
            let want: Vec<u64> = published[i]
                .iter()
                .copied()
                .filter(|s| *s <= last)
                .collect();
            assert_eq!(
                got, &want,
                "topic {i}: every successful publish, once, in order"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_primary_gives_a_gap_notice_only_to_its_shards_topics() {
    // A cluster of its own and a steady stream: not beside the timing assertions of others.
    let _heavy = crate::heavy().await;
    let mut cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .expect("a cluster");
    let urls = cluster.urls();
    let (a, b) = cluster_pair_keeping(&urls, 4096, "conformance:failover-kept:").await;
    let ranges = slot_owners(&urls[0]).await;
    let mut topics: Vec<(Topic, u16)> = Vec::new();
    for _ in 0..TOPICS {
        let topic = unique_topic("failover");
        let owner = owner_of(&urls[0], &ranges, &a.config().cluster_channel(&topic)).await;
        topics.push((topic, owner));
    }
    let victim = topics[0].1;
    // A topic with history on each shard: the promoted replica's history may lack what the
    // old primary delivered last, so the lost shard's one gets a notice too, not a recovery.
    topics.extend(topics_on_every_shard(&urls[0], &a, &ranges, "failover-kept", 1).await);
    let shards: HashSet<u16> = topics.iter().map(|(_, owner)| *owner).collect();
    assert!(shards.len() >= 2, "topics on more than the victim's shard");

    let mut subs = Vec::new();
    for (topic, _) in &topics {
        subs.push(a.subscribe(topic).await.expect("subscribe"));
    }
    let stream = Stream::start(&b, topics.iter().map(|(topic, _)| topic));
    let survivor = urls
        .iter()
        .find(|url| !url.ends_with(&format!(":{victim}/")))
        .expect("another node")
        .clone();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::task::block_in_place(|| cluster.kill(victim));
    let killed = tokio::time::Instant::now();
    // The replica is promoted after the node timeout (1 s); then some more of the stream.
    let resumed_by = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut received: HashMap<usize, Vec<u64>> = HashMap::new();
    let mut gaps: HashMap<usize, usize> = HashMap::new();
    let mut after_failover: HashSet<usize> = HashSet::new();
    let mut failed_over = None;
    // When each topic that had a notice got its first message after it.
    let mut back: HashMap<usize, tokio::time::Instant> = HashMap::new();
    while after_failover.len() < topics.len() {
        assert!(
            tokio::time::Instant::now() < resumed_by,
            "delivery did not resume on every topic: {after_failover:?} of {}, gaps {gaps:?}",
            topics.len()
        );
        if failed_over.is_none() && slot_owners(&survivor).await.iter().all(|r| r.2 != victim) {
            failed_over = Some(tokio::time::Instant::now());
        }
        for (i, sub) in subs.iter_mut().enumerate() {
            while let Ok(delivery) = sub.try_recv() {
                match delivery {
                    Delivery::Message(message) => {
                        received.entry(i).or_default().push(seq_of(&message));
                        if gaps.contains_key(&i) {
                            back.entry(i).or_insert_with(tokio::time::Instant::now);
                        }
                        if failed_over.is_some_and(|at| at.elapsed() > Duration::from_millis(500)) {
                            after_failover.insert(i);
                        }
                    }
                    Delivery::Gap => *gaps.entry(i).or_default() += 1,
                    Delivery::Lagged(n) => panic!("topic {i} lagged by {n}"),
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "failover: slots moved {:?} after the kill, the lost shard's topics live again {:?} after it",
        failed_over.map(|at| at - killed),
        back.values().max().map(|at| *at - killed)
    );
    let published = stream.finish().await;
    assert_outcome(&topics, victim, &received, &gaps, &published);
    let stats = a.stats();
    let moved = topics.iter().filter(|(_, owner)| *owner == victim).count() as u64;
    assert_eq!(
        stats.moved_topics, moved,
        "the lost shard's topics, each once"
    );
    assert_eq!(
        stats.reconnects, 0,
        "the other shards' subscriptions were left alone"
    );
    assert_eq!(
        stats.recovered_topics, 0,
        "a promoted replica's history is not trusted"
    );
    assert_eq!(
        stats.lost_shard_topics, 0,
        "a failover is followed once, as a moved slot, not also as a lost connection"
    );
}
