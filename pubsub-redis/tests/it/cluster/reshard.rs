//! A slot that holds a subscribed topic (with history) moved from one primary to another during
//! a steady stream, as `redis-cli --cluster reshard` does it: delivery resumes on every topic,
//! the moved topic is recovered from its history (which moved with the slot) without a notice,
//! the other topics are left alone. And the move is followed at Redis's `sunsubscribe` push,
//! not at the next regular look at the slots: with a ping interval longer than the test, a
//! moved topic without history still resumes within a second, with a notice.

use std::collections::HashSet;
use std::time::Duration;

use pubsub_core::testing::unique_topic;
use pubsub_redis::RedisBroker;

use super::stream::Steady;
use super::{cluster_config, cluster_pair_keeping, owner_of, slot_owners, topics_on_every_shard};
use crate::cluster_server::RedisCluster;

fn url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}/")
}

async fn query<T: redis::FromRedisValue>(port: u16, cmd: &redis::Cmd) -> T {
    let mut raw = crate::server::raw(&url(port)).await;
    cmd.query_async(&mut raw)
        .await
        .unwrap_or_else(|e| panic!("{cmd:?} on {port}: {e}"))
}

/// Moves `slot` from the primary on `from` to the one on `to`, keys and all, and tells every
/// primary in `primaries`.
async fn move_slot(slot: u16, from: u16, to: u16, primaries: &HashSet<u16>) {
    let myid = redis::cmd("CLUSTER").arg("MYID").clone();
    let (from_id, to_id): (String, String) = (query(from, &myid).await, query(to, &myid).await);
    let setslot = |state: &str, id: &str| {
        redis::cmd("CLUSTER")
            .arg("SETSLOT")
            .arg(slot)
            .arg(state)
            .arg(id)
            .clone()
    };
    let () = query(to, &setslot("IMPORTING", &from_id)).await;
    let () = query(from, &setslot("MIGRATING", &to_id)).await;
    loop {
        let keys: Vec<String> = query(
            from,
            redis::cmd("CLUSTER")
                .arg("GETKEYSINSLOT")
                .arg(slot)
                .arg(100),
        )
        .await;
        if keys.is_empty() {
            break;
        }
        let () = query(
            from,
            redis::cmd("MIGRATE")
                .arg("127.0.0.1")
                .arg(to)
                .arg("")
                .arg(0)
                .arg(5000)
                .arg("KEYS")
                .arg(&keys),
        )
        .await;
    }
    // The new owner first, then the old one (whose subscribers of the slot's channels Redis
    // unsubscribes then), then the others.
    let () = query(to, &setslot("NODE", &to_id)).await;
    let () = query(from, &setslot("NODE", &to_id)).await;
    for port in primaries.iter().filter(|p| **p != from && **p != to) {
        let () = query(*port, &setslot("NODE", &to_id)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_slot_with_history_is_recovered_and_the_other_topics_left_alone() {
    let _heavy = crate::heavy().await;
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .expect("a cluster");
    let urls = cluster.urls();
    let (a, b) = cluster_pair_keeping(&urls, 4096, "conformance:reshard-kept:").await;
    let ranges = slot_owners(&urls[0]).await;
    let primaries: HashSet<u16> = ranges.iter().map(|(_, _, port)| *port).collect();
    let mut topics = topics_on_every_shard(&urls[0], &a, &ranges, "reshard", 2).await;
    // The moved topic keeps history: its stream and meta hash move with the slot.
    let kept = unique_topic("reshard-kept");
    let channel = a.config().cluster_channel(&kept);
    let from = owner_of(&urls[0], &ranges, &channel).await;
    let slot = super::keyslot(&url(from), &channel).await;
    let to = *primaries
        .iter()
        .find(|p| **p != from)
        .expect("another primary");
    topics.insert(0, (kept, from));
    assert!(
        topics[1..].iter().any(|(_, owner)| *owner == from),
        "another topic stays on the old owner"
    );

    let mut steady = Steady::start(&a, &b, &topics).await;
    move_slot(slot, from, to, &primaries).await;
    let moved = tokio::time::Instant::now();
    assert_eq!(
        owner_of(&urls[0], &slot_owners(&url(to)).await, &channel).await,
        to
    );
    steady
        .until_all_after(moved + Duration::from_millis(500), Duration::from_secs(10))
        .await;
    let (received, published) = steady.finish().await;

    // The moved topic is recovered from its history on the new owner: every message, no notice.
    let got = &received.messages[&0];
    eprintln!(
        "reshard: the moved topic got {:?} notices, {} of {} successful publishes",
        received.gaps.get(&0),
        got.len(),
        published[0].len()
    );
    for (i, published) in published.iter().enumerate() {
        received.assert_in_order(i);
        received.assert_complete(i, published);
    }
    let stats = a.stats();
    assert_eq!(stats.moved_topics, 1, "the moved topic, once");
    assert_eq!(
        stats.recovered_topics, 1,
        "the moved topic, from its history"
    );
    assert_eq!(stats.unrecovered_topics, 0);
    assert_eq!(stats.lost_shard_topics, 0, "no connection lost");
    assert_eq!(stats.reconnects, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_slot_is_followed_at_its_sunsubscribe_push_not_at_the_next_look() {
    let _heavy = crate::heavy().await;
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .expect("a cluster");
    let urls = cluster.urls();
    let mut config = cluster_config(&urls, &crate::server::unique_namespace());
    config.capacity = 4096;
    // No regular look at the slots (nor shard check) during the test: only the push can
    // tell the subscriber side that the slot moved.
    config.ping_interval = Duration::from_secs(60);
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    let ranges = slot_owners(&urls[0]).await;
    let primaries: HashSet<u16> = ranges.iter().map(|(_, _, port)| *port).collect();
    let mut topics = topics_on_every_shard(&urls[0], &a, &ranges, "left", 1).await;
    let moved = unique_topic("left-moved");
    let channel = a.config().cluster_channel(&moved);
    let from = owner_of(&urls[0], &ranges, &channel).await;
    let slot = super::keyslot(&url(from), &channel).await;
    let to = *primaries
        .iter()
        .find(|p| **p != from)
        .expect("another primary");
    topics.insert(0, (moved, from));

    let mut steady = Steady::start(&a, &b, &topics).await;
    // Moved while the subscriptions are drained every 5 ms, and for half a second after.
    let moving = tokio::spawn(async move { move_slot(slot, from, to, &primaries).await });
    steady.received.watch(&mut steady.subs, moving).await;
    let moved_at = tokio::time::Instant::now();
    let watching = tokio::spawn(tokio::time::sleep(Duration::from_millis(500)));
    steady.received.watch(&mut steady.subs, watching).await;
    steady
        .until_all_after(moved_at, Duration::from_secs(5))
        .await;
    let silence = steady
        .received
        .longest_silence
        .get(&0)
        .copied()
        .unwrap_or_default();
    eprintln!("sunsubscribe push: the moved topic was silent for {silence:?} at most");
    let (received, published) = steady.finish().await;

    assert!(
        silence < Duration::from_secs(1),
        "the moved topic was silent for {silence:?} (ping interval 60 s)"
    );
    // The moved topic (no history) has a notice; the others are complete.
    for (i, published) in published.iter().enumerate() {
        received.assert_after_fault(i, i == 0, published);
    }
    let stats = a.stats();
    assert_eq!(stats.moved_topics, 1, "the moved topic, once");
    assert_eq!(stats.lost_shard_topics, 0, "no connection lost");
    assert_eq!(stats.reconnects, 0);
}
