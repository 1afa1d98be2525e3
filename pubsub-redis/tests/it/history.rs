//! History and recovery on a real redis-server: the core's history conformance cases across
//! two nodes in both channel modes, the main suite with history configured for other topics,
//! and positions shared across nodes.

use std::time::Duration;

use pubsub_core::history::{HistoryConfig, HistoryPolicy, Position, Recovery, Since};
use pubsub_core::testing::{BrokerFactory, HistoryFactory, TestEvent, suite_history, unique_topic};
use pubsub_core::{Broker, Delivery, Message, Subscription, Topic};
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};

use crate::server::{Target, config, raw, unique_namespace};

/// Two nodes on one server whose topics under the factory's configuration keep history.
#[derive(Debug)]
pub(crate) struct HistoryNodes {
    mode: ChannelMode,
    target: Target,
    /// History for other topics only (the main suite's topics keep none).
    unrelated: bool,
    /// The heavy tests' lock, held for the case once it makes nodes: these cases load both
    /// cores too, and must not run beside the timing assertions of the flood tests.
    heavy: tokio::sync::Mutex<Option<tokio::sync::MutexGuard<'static, ()>>>,
}

impl HistoryNodes {
    pub(crate) fn new(mode: ChannelMode) -> Self {
        HistoryNodes {
            mode,
            target: Target::new(),
            unrelated: false,
            heavy: tokio::sync::Mutex::new(None),
        }
    }

    pub(crate) fn unrelated(mode: ChannelMode) -> Self {
        HistoryNodes {
            unrelated: true,
            ..HistoryNodes::new(mode)
        }
    }

    fn config(&self, namespace: &str, capacity: usize, history: HistoryConfig) -> RedisConfig {
        let mut config = config(self.target.url(), namespace, self.mode);
        config.capacity = capacity;
        config.history = history;
        config
    }

    async fn nodes(&self, config: RedisConfig) -> (RedisBroker, RedisBroker) {
        {
            let mut heavy = self.heavy.lock().await;
            if heavy.is_none() {
                *heavy = Some(crate::heavy().await);
            }
        }
        let a = RedisBroker::connect(config.clone()).await.expect("node a");
        let b = RedisBroker::connect(config).await.expect("node b");
        (a, b)
    }
}

impl BrokerFactory for HistoryNodes {
    type Broker = RedisBroker;

    async fn pair(&self, capacity: usize) -> (RedisBroker, RedisBroker) {
        let history = if self.unrelated {
            HistoryConfig::new().prefix(
                "elsewhere:",
                HistoryPolicy::new(10, Duration::from_secs(60)),
            )
        } else {
            HistoryConfig::new()
        };
        let config = self.config(&unique_namespace(), capacity, history);
        self.nodes(config).await
    }

    fn quiet_period(&self) -> Duration {
        Duration::from_millis(150)
    }

    fn topic_count(&self, broker: &RedisBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}

impl HistoryFactory for HistoryNodes {
    async fn history_pair(
        &self,
        capacity: usize,
        config: HistoryConfig,
    ) -> (RedisBroker, RedisBroker) {
        let config = self.config(&unique_namespace(), capacity, config);
        self.nodes(config).await
    }

    /// As a restart without persistence does to one topic: its keys are gone.
    async fn lose_history(
        &self,
        pair: (RedisBroker, RedisBroker),
        topic: &Topic,
        _capacity: usize,
        _config: HistoryConfig,
    ) -> (RedisBroker, RedisBroker) {
        let (stream, meta) = pair.0.config().history_keys(topic);
        let mut conn = raw(self.target.url()).await;
        let deleted: u64 = redis::cmd("DEL")
            .arg(&stream)
            .arg(&meta)
            .query_async(&mut conn)
            .await
            .expect("DEL");
        assert_eq!(deleted, 2, "the topic had a stream and a meta hash");
        pair
    }
}

mod namespace {
    pubsub_core::history_suite!(super::HistoryNodes::new(
        pubsub_redis::ChannelMode::Namespace
    ));
}

mod per_topic {
    pubsub_core::history_suite!(super::HistoryNodes::new(
        pubsub_redis::ChannelMode::PerTopic
    ));
}

/// With history configured, topics without it keep every promise of the main suite.
mod unrelated_history {
    mod namespace {
        pubsub_core::conformance_suite!(super::super::HistoryNodes::unrelated(
            pubsub_redis::ChannelMode::Namespace
        ));
    }
    mod per_topic {
        pubsub_core::conformance_suite!(super::super::HistoryNodes::unrelated(
            pubsub_redis::ChannelMode::PerTopic
        ));
    }
}

pub(crate) fn numbered(seq: u64, label: &str) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: label.to_owned(),
    })
}

/// `(seq, label, position)` of the next delivery, which must be a positioned message.
pub(crate) async fn next_positioned(sub: &mut Subscription) -> (u64, String, Position) {
    match crate::next(sub).await {
        Delivery::Message(message) => {
            let position = message.position().expect("a position");
            let event = message.decode::<TestEvent>().expect("a test event");
            let TestEvent::Numbered { seq, label } = &*event;
            (*seq, label.clone(), position)
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Two nodes on one server whose suite topics keep `size` messages of history.
pub(crate) async fn history_nodes(
    url: &str,
    mode: ChannelMode,
    size: usize,
    capacity: usize,
) -> (RedisBroker, RedisBroker) {
    let mut config = config(url, &unique_namespace(), mode);
    config.history = suite_history(size);
    config.capacity = capacity;
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    (a, b)
}

/// Subscribes to `topic` on `node`, publishes `0..count` there and reads them back: the
/// subscription and the messages' positions.
pub(crate) async fn subscribed_with(
    node: &RedisBroker,
    topic: &Topic,
    count: u64,
) -> (Subscription, Vec<Position>) {
    let mut sub = node.subscribe(topic).await.expect("subscribe");
    for seq in 0..count {
        node.publish(topic, numbered(seq, "real"))
            .await
            .expect("publish");
    }
    let mut positions = Vec::new();
    for _ in 0..count {
        positions.push(next_positioned(&mut sub).await.2);
    }
    (sub, positions)
}

/// Two nodes publishing interleaved to one topic share one offset sequence: both see the same
/// positions in the same order, and a position read on node A resumes on node B exactly.
async fn interleaved_publishers_share_offsets(mode: ChannelMode) {
    let _heavy = crate::heavy().await;
    let target = Target::new();
    let (a, b) = history_nodes(target.url(), mode, 1000, pubsub_core::DEFAULT_CAPACITY).await;
    let topic = unique_topic("interleaved");
    let mut on_a = a.subscribe(&topic).await.expect("subscribe a");
    let mut on_b = b.subscribe(&topic).await.expect("subscribe b");
    let (pa, pb) = (a.clone(), b.clone());
    let (ta, tb) = (topic.clone(), topic.clone());
    let from_a = tokio::spawn(async move {
        for seq in 0..100 {
            pa.publish(&ta, numbered(seq, "a"))
                .await
                .expect("publish a");
        }
    });
    let from_b = tokio::spawn(async move {
        for seq in 0..100 {
            pb.publish(&tb, numbered(seq, "b"))
                .await
                .expect("publish b");
        }
    });
    from_a.await.expect("publisher a");
    from_b.await.expect("publisher b");
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    for _ in 0..200 {
        seen_a.push(next_positioned(&mut on_a).await);
        seen_b.push(next_positioned(&mut on_b).await);
    }
    assert_eq!(
        seen_a, seen_b,
        "one order, one position per message, on both nodes"
    );
    let epoch = seen_a[0].2.epoch;
    for (i, (_, _, position)) in seen_a.iter().enumerate() {
        assert_eq!(*position, Position::new(i as u64 + 1, epoch));
    }
    for label in ["a", "b"] {
        let seqs: Vec<u64> = seen_a
            .iter()
            .filter(|(_, l, _)| l == label)
            .map(|(seq, _, _)| *seq)
            .collect();
        assert_eq!(
            seqs,
            (0..100).collect::<Vec<_>>(),
            "each publisher's order kept"
        );
    }
    // A position received on A (the 120th message) resumes on B with the 80 after it.
    let resume = seen_a[119].2;
    let (mut resumed, recovery) = b
        .subscribe_from(&topic, Since::After(resume))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 80 });
    for expected in &seen_a[120..] {
        assert_eq!(&next_positioned(&mut resumed).await, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_publishers_on_two_nodes_share_offsets_and_a_position_resumes_across_nodes_in_namespace_mode()
 {
    interleaved_publishers_share_offsets(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_publishers_on_two_nodes_share_offsets_and_a_position_resumes_across_nodes_in_per_topic_mode()
 {
    interleaved_publishers_share_offsets(ChannelMode::PerTopic).await;
}

/// `publish_from` skips the publishing subscription on the echo path too, and in a replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_from_skips_its_subscription_on_a_topic_with_history() {
    use pubsub_core::BrokerExt;
    let target = Target::new();
    let (a, _b) = history_nodes(
        target.url(),
        ChannelMode::Namespace,
        1000,
        pubsub_core::DEFAULT_CAPACITY,
    )
    .await;
    let topic = unique_topic("from");
    let mut me = a.subscribe(&topic).await.expect("subscribe");
    let mut other = a.subscribe(&topic).await.expect("subscribe");
    a.publish_from(me.id(), &topic, numbered(1, "mine"))
        .await
        .expect("publish from");
    a.publish(&topic, numbered(2, "theirs"))
        .await
        .expect("publish");
    let (seq, _, first) = next_positioned(&mut me).await;
    assert_eq!(seq, 2, "its own message skipped");
    assert_eq!(next_positioned(&mut other).await.0, 1);
    assert_eq!(next_positioned(&mut other).await.0, 2);
    // Replayed from Redis, its own message is skipped too.
    let before = Position::new(first.offset - 2, first.epoch);
    let recovery = a
        .add_topic_from(&mut me, &unique_topic("other"), Since::Now)
        .await
        .expect("add");
    assert_eq!(recovery, Recovery::Live);
    let (mut again, recovery) = a
        .subscribe_from(&topic, Since::After(before))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 2 });
    assert_eq!(next_positioned(&mut again).await.0, 1);
    assert_eq!(next_positioned(&mut again).await.0, 2);
}

/// The part of `key` Redis Cluster hashes: the text between the first `{` and the first `}`
/// after it, when not empty; else the whole key.
fn hash_tag(key: &str) -> &str {
    if let Some(open) = key.find('{')
        && let Some(len) = key[open + 1..].find('}')
        && len > 0
    {
        return &key[open + 1..open + 1 + len];
    }
    key
}

/// The stream and meta keys of a topic share one hash tag, even when the topic (or the
/// namespace) holds braces.
#[test]
fn a_topics_keys_share_one_hash_slot_whatever_braces_it_holds() {
    let mut config = RedisConfig::new("redis://127.0.0.1/");
    for namespace in ["pubsub", "x", "my-app:v2"] {
        namespace.clone_into(&mut config.namespace);
        for topic in [
            "docs:doc:1",
            "a{b",
            "a}b",
            "{x}",
            "}{",
            "{}",
            "a{b}c{d}",
            "{{}}",
        ] {
            let (stream, meta) = config.history_keys(&Topic::new(topic).expect("topic"));
            assert_eq!(hash_tag(&stream), hash_tag(&meta), "{stream} and {meta}");
            assert_ne!(hash_tag(&stream), stream, "{stream} has a tag");
        }
    }
    let (stream, _) =
        RedisConfig::new("redis://127.0.0.1/").history_keys(&Topic::new("docs:1").expect("topic"));
    assert_eq!(
        hash_tag(&stream),
        ":docs:1",
        "the topic (after a colon) is the tag"
    );
}

/// A namespace with braces would break the hash tags: refused when history is configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_with_braces_is_refused_with_history() {
    let mut config = RedisConfig::new("redis://127.0.0.1:1/");
    config.namespace = "app{1}".to_owned();
    config.history = suite_history(10);
    match RedisBroker::connect(config).await {
        Err(pubsub_redis::Error::Config(reason)) => {
            assert!(reason.contains("namespace"), "{reason}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// A fresh subscription to a topic with history starts at the topic's latest position in
/// Redis (whatever this node saw of it), so it can resume from there without having received
/// anything, and a message published before it was made is not delivered to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_subscription_starts_at_the_topics_latest_position() {
    let target = Target::new();
    let (a, b) = history_nodes(
        target.url(),
        ChannelMode::PerTopic,
        1000,
        pubsub_core::DEFAULT_CAPACITY,
    )
    .await;
    let topic = unique_topic("fresh");
    let mut on_b = b.subscribe(&topic).await.expect("subscribe b");
    for seq in 0..3 {
        b.publish(&topic, numbered(seq, "before"))
            .await
            .expect("publish");
    }
    let mut latest = None;
    for _ in 0..3 {
        latest = Some(next_positioned(&mut on_b).await.2);
    }
    // Node A never followed the topic: its start comes from Redis.
    let sub = a.subscribe(&topic).await.expect("subscribe a");
    assert_eq!(sub.position(&topic), latest);
    let start = sub.position(&topic).expect("a start");
    drop(sub);
    for seq in 3..5 {
        b.publish(&topic, numbered(seq, "missed"))
            .await
            .expect("publish");
    }
    let (mut resumed, recovery) = a
        .subscribe_from(&topic, Since::After(start))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 2 });
    assert_eq!(next_positioned(&mut resumed).await.0, 3);
    assert_eq!(next_positioned(&mut resumed).await.0, 4);
}
