//! A primary that stops answering holds back only the publishes to its own slots: each primary
//! admits its own publishes in flight (`admission.rs`), so the publishes waiting on a frozen
//! shard do not take the slots of the others.

use std::time::{Duration, Instant};

use pubsub_core::testing::next_numbered;
use pubsub_core::{Broker, Subscription};
use tokio::task::JoinSet;

use super::stream::numbered;
use super::{cluster_config, slot_owners, topics_on_every_shard};
use crate::cluster_server::RedisCluster;
use crate::server::unique_namespace;

/// Publishes waiting on the frozen shard: twice as many as one primary admits at once.
const WAITING: u64 = 80;
/// How long the publishes to the other shards may take while it is frozen.
const BOUND: Duration = Duration::from_millis(250);
/// How long the shard stays frozen: well under the cluster's node timeout (1 s: no failover,
/// no `CLUSTERDOWN`) and the test's publish timeout (2 s: nothing fails).
const FROZEN: Duration = Duration::from_millis(700);

/// A three-primary cluster of its own (no replicas: nothing fails over while a primary is
/// frozen), node `a` subscribed to one topic on each primary, node `b` publishing, each topic
/// given message 1 (after which `b`'s publishing connections follow the slots).
struct Frozen {
    cluster: RedisCluster,
    a: pubsub_redis::RedisBroker,
    b: pubsub_redis::RedisBroker,
    topics: Vec<(pubsub_core::Topic, u16)>,
    subs: Vec<Subscription>,
}

impl Frozen {
    /// With `history`, every topic keeps history (its publishes run the history script).
    async fn start(label: &str, publish_timeout: Duration, history: bool) -> Self {
        let cluster = tokio::task::spawn_blocking(|| RedisCluster::start_with(3, 0))
            .await
            .expect("the cluster");
        let urls = cluster.urls();
        let mut config = cluster_config(&urls, &unique_namespace());
        config.capacity = 1024;
        config.publish_timeout = publish_timeout;
        if history {
            use pubsub_core::history::{HistoryConfig, HistoryPolicy};
            let policy = HistoryPolicy::new(1000, Duration::from_secs(60));
            config.history = HistoryConfig::new().prefix("conformance", policy);
        }
        let a = pubsub_redis::RedisBroker::connect(config.clone())
            .await
            .expect("node a");
        let b = pubsub_redis::RedisBroker::connect(config)
            .await
            .expect("node b");
        let ranges = slot_owners(&urls[0]).await;
        let topics = topics_on_every_shard(&urls[0], &b, &ranges, label, 1).await;
        let mut subs = Vec::new();
        for (topic, _) in &topics {
            subs.push(a.subscribe(topic).await.expect("subscribe on a"));
        }
        for (topic, _) in &topics {
            b.publish(topic, numbered(1)).await.expect("first publish");
        }
        Frozen {
            cluster,
            a,
            b,
            topics,
            subs,
        }
    }
}

/// Freezes the primary of `frozen` (a topic and its primary's port) and starts [`WAITING`]
/// publishes to it on `b`, each on a task of its own; returns when it froze and the publishes.
fn freeze(
    cluster: &RedisCluster,
    b: &pubsub_redis::RedisBroker,
    frozen: &(pubsub_core::Topic, u16),
) -> (Instant, JoinSet<Result<(), pubsub_core::Error>>) {
    cluster.signal(frozen.1, "-STOP");
    let frozen_at = Instant::now();
    let mut waiting = JoinSet::new();
    for seq in 2..2 + WAITING {
        let (b, topic) = (b.clone(), frozen.0.clone());
        waiting.spawn(async move { b.publish(&topic, numbered(seq)).await });
    }
    (frozen_at, waiting)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_shard_does_not_hold_back_the_publishes_to_the_others() {
    let _heavy = crate::heavy().await;
    let Frozen {
        cluster,
        a,
        b,
        topics,
        mut subs,
    } = Frozen::start("frozen", Duration::from_secs(2), false).await;
    let frozen_port = topics[0].1;
    let (frozen_at, mut waiting) = freeze(&cluster, &b, &topics[0]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The other shards answer at once, however many publishes wait on the frozen one.
    let started = Instant::now();
    let elsewhere = async {
        for (topic, _) in &topics[1..] {
            b.publish(topic, numbered(2))
                .await
                .expect("publish elsewhere");
        }
    };
    let answered = tokio::time::timeout(BOUND, elsewhere).await;
    let took = started.elapsed();
    tokio::time::sleep(FROZEN.saturating_sub(frozen_at.elapsed())).await;
    cluster.signal(frozen_port, "-CONT");
    assert!(
        answered.is_ok(),
        "the other shards' publishes were held back by the frozen one (gave up after {took:?})"
    );
    while let Some(done) = waiting.join_next().await {
        done.expect("a publisher")
            .expect("published once the shard thawed");
    }

    // Everything arrived once, without a gap: the frozen shard's in its numbers' order.
    for sub in &mut subs[1..] {
        assert_eq!(next_numbered(sub).await.0, 1);
        assert_eq!(next_numbered(sub).await.0, 2);
    }
    let frozen = &mut subs[0];
    assert_eq!(next_numbered(frozen).await.0, 1);
    let mut got: Vec<u64> = Vec::new();
    for _ in 0..WAITING {
        got.push(next_numbered(frozen).await.0);
    }
    got.sort_unstable();
    assert_eq!(got, (2..2 + WAITING).collect::<Vec<_>>());
    let stats = a.stats();
    assert_eq!((stats.sequence_gaps, stats.duplicates), (0, 0));
    assert_eq!(a.local().stats().gaps, 0);
}

/// Longer than the publish timeout (300 ms): the frozen shard's publishes fail, the others' do
/// not. Shorter than the cluster's node timeout (1 s): past it, a cluster without replicas
/// marks the shard failed and its other primaries refuse keyed commands (`CLUSTERDOWN`, which
/// the client retries: the history script timed out on healthy shards at 2.5 s).
const FROZEN_LONG: Duration = Duration::from_millis(800);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_frozen_past_the_publish_timeout_fails_only_its_own_publishes() {
    frozen_past_the_publish_timeout("frozen-long", false).await;
}

/// The same with history: each publish runs the history script on its topic's shard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_frozen_past_the_publish_timeout_fails_only_its_own_history_publishes() {
    frozen_past_the_publish_timeout("frozen-kept", true).await;
}

async fn frozen_past_the_publish_timeout(label: &str, history: bool) {
    let _heavy = crate::heavy().await;
    let Frozen {
        cluster,
        a: _kept_alive,
        b,
        topics,
        mut subs,
    } = Frozen::start(label, Duration::from_millis(300), history).await;
    let (frozen_topic, frozen_port) = topics[0].clone();
    let (frozen_at, mut waiting) = freeze(&cluster, &b, &topics[0]);
    // The other shards' topics keep being published, each in order, while it stays frozen.
    let mut next = 2;
    let mut failed = Vec::new();
    while frozen_at.elapsed() < FROZEN_LONG {
        for (topic, _) in &topics[1..] {
            if let Err(error) = b.publish(topic, numbered(next)).await {
                failed.push((next, error.to_string()));
            }
        }
        next += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.signal(frozen_port, "-CONT");
    let mut frozen_failed = 0;
    while let Some(done) = waiting.join_next().await {
        frozen_failed += usize::from(done.expect("a publisher").is_err());
    }
    assert!(
        failed.is_empty(),
        "publishes to the shards that answer failed: {failed:?}"
    );
    assert!(frozen_failed > 0, "the frozen shard's publishes timed out");

    // Every publish to the other shards arrived once, in order, with no notice.
    for sub in &mut subs[1..] {
        for seq in 1..next {
            assert_eq!(next_numbered(sub).await.0, seq);
        }
    }
    // Once it answers again, the thawed shard takes publishes again.
    let thawed = Instant::now();
    loop {
        match b.publish(&frozen_topic, numbered(1_000)).await {
            Ok(()) => break,
            Err(_) if thawed.elapsed() < Duration::from_secs(5) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the thawed shard still refuses publishes: {error}"),
        }
    }
    // Nothing more on the others (no duplicate, no late notice): a marker is next.
    for ((topic, _), sub) in topics[1..].iter().zip(&mut subs[1..]) {
        b.publish(topic, numbered(next)).await.expect("marker");
        assert_eq!(next_numbered(sub).await.0, next);
    }
}
