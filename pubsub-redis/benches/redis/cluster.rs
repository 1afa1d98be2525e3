//! The cluster section (`-- cluster` runs only it; `--quick` makes it short): delivered
//! messages per second over [`TOPICS`] topics spread over the slots, from [`PUBLISHERS`]
//! concurrent publishers (each taking every 256th topic) on one `RedisBroker` node to a subscriber node holding
//! every topic, on Redis Clusters without replicas started by the test harness
//! (`cluster_server.rs`):
//!
//! - sharded pub/sub (`ChannelMode::Cluster`, `SPUBLISH`/`SSUBSCRIBE`) with 1, 2 and 3 primaries;
//! - plain `PUBLISH` (per-topic mode, both nodes connected to one cluster node, which copies each
//!   message to every other node of the cluster) on the 1-primary and the 3-primary cluster.
//!
//! The configurations run in interleaved rounds (each round in another order), and each run
//! also reads every cluster node's CPU time (`INFO cpu`, system + user) before and after, and
//! the bench process's own. On a 2-core machine the client side (both nodes, the publishers)
//! shares the cores with Redis and is the limit of the delivered rate; the Redis CPU per
//! delivered message, and how it is spread over the nodes, is the figure that grows in
//! production.

mod cpu;
mod report;

use std::time::Instant;

use pubsub_core::{Broker, Delivery, Subscription, Topic};
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};
use redis::aio::MultiplexedConnection;
use tokio::task::JoinSet;

use crate::cluster_server::RedisCluster;
use crate::{event, quick, server};

/// Topics per configuration, all held by the subscriber node. Enough that the hash slots
/// spread them evenly over three shards: the busiest shard bounds the 3-shard run, and 256
/// topics split 78/99/79 (the busiest with 39% of the messages: at best 2.59x one shard), 768
/// split 242/268/258 (35%: at best 2.87x).
const TOPICS: usize = 768;

/// Concurrent publishing tasks, each taking every [`PUBLISHERS`]th topic and publishing its
/// topics' messages in order. More than the node admits in flight to each shard (40 per
/// cluster connection, one connection per primary): every shard's pipeline is full, in every
/// configuration, so 3 shards and 1 shard compare at the same load per shard (weak scaling: a
/// cluster grown for more traffic carries the same load per shard). With fewer publishers than
/// that, the publishes in flight per shard shrink as shards are added, Redis reads and writes
/// smaller batches, and its CPU per message measures the system calls per batch more than the
/// work per message.
const PUBLISHERS: usize = 256;

/// Which channels a configuration publishes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channels {
    /// `ChannelMode::Cluster`: each topic's channel on its slot's shard.
    Sharded,
    /// `ChannelMode::PerTopic` on one node of the cluster: plain `PUBLISH`.
    Plain,
}

/// One configuration: which channels, on a cluster of how many primaries, from how many
/// concurrent publishers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    channels: Channels,
    primaries: usize,
    publishers: usize,
}

/// The configurations, in the order of the report.
const SHAPES: [Shape; 5] = [
    report::sharded(1),
    report::sharded(2),
    report::sharded(3),
    report::plain(1),
    report::plain(3),
];

impl Shape {
    fn name(self) -> String {
        let shards = match self.primaries {
            1 => "1 shard".to_owned(),
            n => format!("{n} shards"),
        };
        let load = if self.publishers == PUBLISHERS {
            String::new()
        } else {
            format!(", {} publishers", self.publishers)
        };
        match self.channels {
            Channels::Sharded => format!("sharded (SPUBLISH), {shards}{load}"),
            Channels::Plain => format!("plain PUBLISH (per-topic mode, one node), {shards}{load}"),
        }
    }

    fn index(self) -> usize {
        SHAPES
            .iter()
            .position(|s| *s == self)
            .expect("a listed shape")
    }
}

/// A configuration ready to run.
struct Setup {
    /// Holds every topic (through `subs`).
    _subscriber: RedisBroker,
    publisher: RedisBroker,
    topics: Vec<Topic>,
    subs: Vec<Subscription>,
    /// One connection to each node of the cluster, for its CPU time.
    nodes: Vec<MultiplexedConnection>,
    /// How many of the topics' channels each node holds.
    topics_per_node: Vec<usize>,
    /// Concurrent publishing tasks.
    publishers: usize,
}

/// The figures of one run.
#[derive(Debug, Clone)]
struct Run {
    per_second: f64,
    /// Redis CPU µs per delivered message, per cluster node.
    node_us: Vec<f64>,
    /// The bench process's CPU µs per delivered message.
    client_us: f64,
}

impl Run {
    /// Redis CPU µs per delivered message, all nodes together.
    fn redis_us(&self) -> f64 {
        self.node_us.iter().sum()
    }

    /// The busiest node's CPU µs per delivered message.
    fn busiest_us(&self) -> f64 {
        self.node_us.iter().copied().fold(0.0, f64::max)
    }

    /// The delivered rate at which the busiest node would use one whole core.
    fn ceiling(&self) -> f64 {
        1e6 / self.busiest_us()
    }
}

/// The channels of `namespace` each node holds: sharded or plain, as `channels` subscribes.
async fn channels_per_node(
    nodes: &mut [MultiplexedConnection],
    channels: Channels,
    namespace: &str,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(nodes.len());
    for conn in nodes {
        let list: Vec<String> = redis::cmd("PUBSUB")
            .arg(match channels {
                Channels::Sharded => "SHARDCHANNELS",
                Channels::Plain => "CHANNELS",
            })
            .arg(format!("{namespace}:*"))
            .query_async(conn)
            .await
            .expect("PUBSUB channels");
        out.push(list.len());
    }
    out
}

/// Two nodes on `cluster` as `shape` says, the subscriber holding every topic (each
/// subscription confirmed by Redis).
async fn setup(shape: Shape, cluster: &RedisCluster, capacity: usize) -> Setup {
    let urls = cluster.urls();
    let mut config = match shape.channels {
        Channels::Sharded => RedisConfig::cluster(urls.clone()),
        Channels::Plain => {
            let mut config = RedisConfig::new(&urls[0]);
            config.mode = ChannelMode::PerTopic;
            config
        }
    };
    config.namespace = server::unique_namespace();
    config.capacity = capacity;
    let subscriber = RedisBroker::connect(config.clone())
        .await
        .expect("subscriber node");
    let publisher = RedisBroker::connect(config.clone())
        .await
        .expect("publisher node");
    let topics: Vec<Topic> = (0..TOPICS)
        .map(|i| Topic::new(format!("bench:cluster:{i}")).expect("topic"))
        .collect();
    let mut subs = Vec::with_capacity(TOPICS);
    for topic in &topics {
        subs.push(subscriber.subscribe(topic).await.expect("subscribe"));
    }
    let mut nodes = Vec::with_capacity(urls.len());
    for url in &urls {
        nodes.push(server::raw(url).await);
    }
    let topics_per_node = channels_per_node(&mut nodes, shape.channels, &config.namespace).await;
    assert_eq!(
        topics_per_node.iter().sum::<usize>(),
        TOPICS,
        "{}: every topic subscribed once",
        shape.name()
    );
    Setup {
        _subscriber: subscriber,
        publisher,
        topics,
        subs,
        nodes,
        topics_per_node,
        publishers: shape.publishers,
    }
}

/// Publishes `messages` (rounded down to a multiple of [`TOPICS`]), the same number to every
/// topic, and waits until the subscriber node delivered each one.
async fn run(setup: &mut Setup, messages: usize) -> Run {
    let per_topic = messages / TOPICS;
    let total = per_topic * TOPICS;
    let redis_before = cpu::redis_seconds_all(&mut setup.nodes).await;
    let client_before = cpu::process_seconds();
    let start = Instant::now();
    let mut receivers = JoinSet::new();
    for mut sub in setup.subs.drain(..) {
        receivers.spawn(async move {
            for _ in 0..per_topic {
                match sub.recv().await.expect("open") {
                    Delivery::Message(_) => {}
                    other => panic!("{other:?} during the cluster bench"),
                }
            }
            sub
        });
    }
    let mut publishers = JoinSet::new();
    let count = setup.publishers;
    for first in 0..count {
        // Publisher `first` takes topics first, first + count, ...: each topic's messages in
        // order, from one publisher.
        let node = setup.publisher.clone();
        let topics: Vec<Topic> = setup
            .topics
            .iter()
            .skip(first)
            .step_by(count)
            .cloned()
            .collect();
        publishers.spawn(async move {
            for i in 0..per_topic {
                for topic in &topics {
                    node.publish(topic, event(i as u64)).await.expect("publish");
                }
            }
        });
    }
    while let Some(done) = publishers.join_next().await {
        done.expect("a publisher");
    }
    while let Some(sub) = receivers.join_next().await {
        setup.subs.push(sub.expect("a receiver"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let client = cpu::process_seconds() - client_before;
    let redis_after = cpu::redis_seconds_all(&mut setup.nodes).await;
    let per_message = |seconds: f64| seconds * 1e6 / total as f64;
    Run {
        per_second: total as f64 / elapsed,
        node_us: redis_after
            .iter()
            .zip(&redis_before)
            .map(|(after, before)| per_message(after - before))
            .collect(),
        client_us: per_message(client),
    }
}

/// The section's Markdown and JSON.
pub(crate) async fn section() -> (String, serde_json::Value) {
    let (rounds, messages) = if quick() {
        (3, TOPICS * 14)
    } else {
        (7, TOPICS * 134)
    };
    let started = Instant::now();
    let clusters = tokio::task::spawn_blocking(|| {
        (1..=3)
            .map(|primaries| RedisCluster::start_with(primaries, 0))
            .collect::<Vec<_>>()
    })
    .await
    .expect("the clusters");
    let mut setups = Vec::with_capacity(SHAPES.len());
    for shape in SHAPES {
        setups.push(setup(shape, &clusters[shape.primaries - 1], messages).await);
    }
    for setup in &mut setups {
        let _warm_up = run(setup, messages / 4).await;
    }
    let mut runs: Vec<Vec<Run>> = vec![Vec::with_capacity(rounds); SHAPES.len()];
    for round in 0..rounds {
        for k in 0..SHAPES.len() {
            let i = (round + k) % SHAPES.len();
            runs[i].push(run(&mut setups[i], messages).await);
        }
    }
    let report = report::report(&setups, &runs, rounds, messages);
    drop(setups);
    drop(clusters);
    println!(
        "cluster section: {:.0} s (clusters started, {} runs)",
        started.elapsed().as_secs_f64(),
        SHAPES.len() * (rounds + 1)
    );
    report
}
