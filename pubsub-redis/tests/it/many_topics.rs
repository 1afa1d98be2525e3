//! Per-topic mode with many topics held: subscribing and unsubscribing one more topic costs
//! the same whatever the number of topics the node already holds.

use std::time::{Duration, Instant};

use pubsub_core::Topic;
use pubsub_core::testing::unique_topic;
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{RedisServer, config, raw, unique_namespace};

/// Channels the server holds subscriptions for.
async fn server_channels(conn: &mut redis::aio::MultiplexedConnection) -> usize {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(conn)
        .await
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("pubsub_channels:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pubsub_channels in INFO")
}

/// Mean time of one subscribe (confirmed by Redis) plus one unsubscribe, on a node that holds
/// `held` other topics.
async fn churn_with(held: usize) -> Duration {
    const CHURN: u32 = 50;
    let server = RedisServer::start();
    let node = RedisBroker::connect(config(
        &server.url(),
        &unique_namespace(),
        ChannelMode::PerTopic,
    ))
    .await
    .expect("node");
    // Held through the local registry (no wait per topic); the node subscribes them in the
    // background.
    let mut holder = node.local().subscribe_now(&unique_topic("held"));
    for i in 1..held {
        let topic = Topic::new(format!("held:{i}")).expect("topic");
        node.local()
            .add_topic_now(&mut holder, &topic)
            .expect("same broker");
    }
    let mut conn = raw(&server.url()).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while server_channels(&mut conn).await < held {
        assert!(
            Instant::now() < deadline,
            "the held topics were not subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = Instant::now();
    for _ in 0..CHURN {
        let sub = pubsub_core::Broker::subscribe(&node, &unique_topic("churn"))
            .await
            .expect("subscribe");
        drop(sub);
    }
    let mean = start.elapsed() / CHURN;
    drop(holder);
    mean
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_in_per_topic_mode_costs_the_same_with_100_000_topics_held_as_with_1_000() {
    let _heavy = crate::heavy().await;
    let few = churn_with(1_000).await;
    let many = churn_with(100_000).await;
    println!("subscribe + unsubscribe: {few:?} with 1,000 topics held, {many:?} with 100,000");
    assert!(
        many < few * 3 + Duration::from_millis(1),
        "{many:?} with 100,000 topics held against {few:?} with 1,000"
    );
}
