//! The history conformance cases: every backend with history runs them
//! ([`history_suite!`](crate::history_suite)) through a [`HistoryFactory`].
//!
//! Every topic is under the prefix `conformance:` (what [`unique_topic`] makes), and
//! [`HistoryFactory::history_pair`] is given the policy to apply to it.

use std::future::Future;
use std::time::Duration;

use super::{BrokerFactory, next, next_numbered, numbered, unique_topic};
use crate::history::{HistoryConfig, HistoryPolicy, Position, Recovery, Since, Unrecoverable};
use crate::{Broker, Delivery, Message, Subscription, Topic};

/// A [`BrokerFactory`] whose brokers keep history.
pub trait HistoryFactory: BrokerFactory {
    /// Two handles to one logical broker (for a network backend, two nodes on one server) whose
    /// subscriptions buffer `capacity` messages each and whose topics under `config` keep
    /// history.
    fn history_pair(
        &self,
        capacity: usize,
        config: HistoryConfig,
    ) -> impl Future<Output = (Self::Broker, Self::Broker)> + Send;

    /// Makes `topic` lose its history as a real deployment can (the in-memory broker: a new
    /// broker; Redis: its keys deleted, as by a restart without persistence) and returns the
    /// handles to go on with, made as by [`history_pair`](Self::history_pair).
    fn lose_history(
        &self,
        pair: (Self::Broker, Self::Broker),
        topic: &Topic,
        capacity: usize,
        config: HistoryConfig,
    ) -> impl Future<Output = (Self::Broker, Self::Broker)> + Send;
}

/// The configuration the cases use: every suite topic keeps `size` messages for a minute.
pub fn suite_history(size: usize) -> HistoryConfig {
    HistoryConfig::new().prefix(
        "conformance:",
        HistoryPolicy::new(size, Duration::from_secs(60)),
    )
}

/// Receives the next message, asserting it is a suite message at an offset; returns
/// `(seq, position)`.
pub async fn next_positioned(sub: &mut Subscription) -> (u64, Position) {
    match next(sub).await {
        Delivery::Message(message) => {
            let position = message.position().unwrap_or_else(|| {
                panic!("a message of a topic with history has no position: {message:?}")
            });
            (seq_of(&message), position)
        }
        other => panic!("expected a message with a position, got {other:?}"),
    }
}

fn seq_of(message: &Message) -> u64 {
    match message.decode::<super::TestEvent>() {
        Ok(event) => {
            let super::TestEvent::Numbered { seq, .. } = &*event;
            *seq
        }
        Err(error) => panic!("undecodable message {message:?}: {error}"),
    }
}

async fn publish_range(broker: &impl Broker, topic: &Topic, seqs: std::ops::Range<u64>) {
    for seq in seqs {
        broker
            .publish(topic, numbered(seq, "h"))
            .await
            .expect("publish");
    }
}

/// A live marker on `topic` must be the very next delivery, with the next offset: nothing was
/// replayed twice or left over.
async fn assert_next_is_live(publisher: &impl Broker, sub: &mut Subscription, topic: &Topic) {
    publisher
        .publish(topic, numbered(u64::MAX, "marker"))
        .await
        .expect("publish marker");
    let (seq, _) = next_positioned(sub).await;
    assert_eq!(seq, u64::MAX, "the live marker must come next");
}

/// Positions are offsets +1 per message, in one epoch, the same on every node.
pub async fn positions_count_up_by_one_per_message<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(64, suite_history(100)).await;
    let topic = unique_topic("positions");
    let mut on_a = a.subscribe(&topic).await.expect("subscribe a");
    let mut on_b = b.subscribe(&topic).await.expect("subscribe b");
    publish_range(&b, &topic, 0..5).await;
    let mut epoch = None;
    for expected in 1..=5 {
        let (seq_a, at_a) = next_positioned(&mut on_a).await;
        let (seq_b, at_b) = next_positioned(&mut on_b).await;
        assert_eq!((seq_a, seq_b), (expected - 1, expected - 1));
        assert_eq!(at_a, at_b, "both nodes see one position per message");
        assert_eq!(at_a.offset, expected);
        assert_eq!(*epoch.get_or_insert(at_a.epoch), at_a.epoch);
    }
    assert_eq!(on_a.position(&topic), on_b.position(&topic));
}

/// Subscribing after a position replays exactly what came after it, then goes on live, on the
/// other node too.
pub async fn subscribe_from_a_position_recovers_exactly<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(64, suite_history(100)).await;
    let topic = unique_topic("recover");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    publish_range(&b, &topic, 0..5).await;
    let mut seen = None;
    for _ in 0..5 {
        seen = Some(next_positioned(&mut sub).await.1);
    }
    let seen = seen.expect("five messages");
    drop(sub);
    publish_range(&b, &topic, 5..12).await;
    // Resumed on the other node: offsets are global.
    let (mut sub, recovery) = b
        .subscribe_from(&topic, Since::After(seen))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 7 });
    for seq in 5..12 {
        let (got, at) = next_positioned(&mut sub).await;
        assert_eq!(got, seq, "in order, once");
        assert_eq!(at, Position::new(seen.offset + 1 + (seq - 5), seen.epoch));
    }
    assert_next_is_live(&a, &mut sub, &topic).await;
}

/// A subscription's position is what it has taken: during a replay it moves one message at a
/// time (a resume token made between two replayed messages must not skip the ones after it),
/// and a subscription to a topic nobody published on yet has one too (offset 0: resuming from
/// it, on any node, gives every message published since).
pub async fn position_follows_what_was_taken_even_during_a_replay<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(64, suite_history(100)).await;
    let topic = unique_topic("position");
    let fresh = a.subscribe(&topic).await.expect("subscribe");
    let start = fresh
        .position(&topic)
        .expect("a position before any message");
    assert_eq!(start.offset, 0, "{start:?}");
    drop(fresh);
    publish_range(&b, &topic, 0..4).await;
    let (mut sub, recovery) = b
        .subscribe_from(&topic, Since::After(start))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 4 });
    assert_eq!(sub.position(&topic), Some(start), "nothing taken yet");
    for offset in 1..=4 {
        let (_, at) = next_positioned(&mut sub).await;
        assert_eq!(at.offset, offset);
        assert_eq!(
            sub.position(&topic),
            Some(at),
            "after taking offset {offset}"
        );
    }
}

/// Adding a topic from a position to an existing subscription recovers as subscribing does.
pub async fn add_topic_from_a_position_recovers_exactly<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(64, suite_history(100)).await;
    let (first, second) = (unique_topic("add-first"), unique_topic("add-second"));
    let mut probe = a.subscribe(&second).await.expect("subscribe");
    publish_range(&b, &second, 0..3).await;
    let mut seen = None;
    for _ in 0..3 {
        seen = Some(next_positioned(&mut probe).await.1);
    }
    drop(probe);
    publish_range(&b, &second, 3..6).await;
    let mut sub = a.subscribe(&first).await.expect("subscribe");
    let since = Since::After(seen.expect("three"));
    let recovery = a
        .add_topic_from(&mut sub, &second, since)
        .await
        .expect("add topic from");
    assert_eq!(recovery, Recovery::Recovered { count: 3 });
    for seq in 3..6 {
        assert_eq!(next_positioned(&mut sub).await.0, seq);
    }
    assert_next_is_live(&b, &mut sub, &second).await;
}

/// A position from a lost history is refused, nothing is replayed, and the subscription is live.
pub async fn a_position_from_a_lost_history_is_unrecoverable<F: HistoryFactory>(f: &F) {
    let config = suite_history(100);
    let (a, b) = f.history_pair(64, config.clone()).await;
    let topic = unique_topic("lost");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    publish_range(&b, &topic, 0..3).await;
    let mut seen = None;
    for _ in 0..3 {
        seen = Some(next_positioned(&mut sub).await.1);
    }
    drop(sub);
    let (a, b) = f.lose_history((a, b), &topic, 64, config).await;
    publish_range(&b, &topic, 3..5).await;
    let (mut sub, recovery) = a
        .subscribe_from(&topic, Since::After(seen.expect("three")))
        .await
        .expect("subscribe from");
    assert_eq!(
        recovery,
        Recovery::Unrecoverable(Unrecoverable::EpochChanged)
    );
    assert_next_is_live(&b, &mut sub, &topic).await;
}

/// A gap larger than the history is refused whole: never a partial replay.
pub async fn a_gap_larger_than_the_history_is_unrecoverable<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(64, suite_history(5)).await;
    let topic = unique_topic("too-old");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    publish_range(&b, &topic, 0..1).await;
    let (_, seen) = next_positioned(&mut sub).await;
    drop(sub);
    publish_range(&b, &topic, 1..11).await;
    let (mut sub, recovery) = a
        .subscribe_from(&topic, Since::After(seen))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::TooOld));
    assert_next_is_live(&b, &mut sub, &topic).await;
    // Just inside the history (offsets 2..=11, then the marker at 12; 8..=12 are kept):
    // recovered.
    let inside = Position::new(seen.offset + 6, seen.epoch);
    let (mut sub, recovery) = a
        .subscribe_from(&topic, Since::After(inside))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 5 });
    for seq in 7..11 {
        assert_eq!(next_positioned(&mut sub).await.0, seq);
    }
    assert_eq!(next_positioned(&mut sub).await.0, u64::MAX, "the marker");
}

/// `Since::Latest` gives the topic's latest message first, then live ones.
pub async fn since_latest_gives_the_latest_message_first<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(64, suite_history(100)).await;
    let topic = unique_topic("latest");
    let (mut empty, recovery) = a
        .subscribe_from(&topic, Since::Latest)
        .await
        .expect("subscribe latest");
    assert_eq!(recovery, Recovery::Recovered { count: 0 });
    publish_range(&b, &topic, 0..3).await;
    for seq in 0..3 {
        assert_eq!(next_positioned(&mut empty).await.0, seq);
    }
    let (mut sub, recovery) = a
        .subscribe_from(&topic, Since::Latest)
        .await
        .expect("subscribe latest");
    assert_eq!(recovery, Recovery::Recovered { count: 1 });
    let (seq, at) = next_positioned(&mut sub).await;
    assert_eq!((seq, at.offset), (2, 3));
    assert_next_is_live(&b, &mut sub, &topic).await;
}

/// A subscription that falls behind on a topic with history recovers from it: every message,
/// in order, and no lag notice.
pub async fn a_lag_on_a_topic_with_history_recovers_without_a_notice<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(4, suite_history(200)).await;
    let topic = unique_topic("lag");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    publish_range(&b, &topic, 0..1).await;
    assert_eq!(next_positioned(&mut sub).await.0, 0);
    publish_range(&b, &topic, 1..60).await;
    // Wait for the last one to reach the node before reading anything.
    let mut probe = a.subscribe(&topic).await.expect("probe");
    assert_next_is_live(&b, &mut probe, &topic).await;
    for seq in 1..60 {
        assert_eq!(
            next_positioned(&mut sub).await.0,
            seq,
            "recovered, in order"
        );
    }
    assert_eq!(
        next_positioned(&mut sub).await.0,
        u64::MAX,
        "then the marker"
    );
}

/// Without history, asking for a position answers `NoHistory`, and the subscription is live.
pub async fn a_topic_without_history_answers_no_history<F: HistoryFactory>(f: &F) {
    let (a, b) = f.history_pair(64, suite_history(100)).await;
    let topic =
        Topic::new(format!("nohistory:{}", unique_topic("x").as_str())).expect("valid topic");
    let (mut sub, recovery) = a
        .subscribe_from(&topic, Since::Latest)
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::NoHistory));
    b.publish(&topic, numbered(1, "n")).await.expect("publish");
    match next(&mut sub).await {
        Delivery::Message(message) => assert_eq!(message.position(), None),
        other => panic!("expected a message, got {other:?}"),
    }
    let (mut sub, recovery) = a.subscribe_from(&topic, Since::Now).await.expect("now");
    assert_eq!(recovery, Recovery::Live);
    b.publish(&topic, numbered(2, "n")).await.expect("publish");
    assert_eq!(next_numbered(&mut sub).await.0, 2);
}

/// Interleavings of publishes with a subscribe-from (a seeded sweep): the offsets received are
/// exactly `(since, latest]`, in order, once, however the publishes fall around the subscribe.
pub async fn subscribe_from_during_publishes_has_no_hole_and_no_duplicate<F: HistoryFactory>(
    f: &F,
) {
    let (a, b) = f.history_pair(1024, suite_history(1000)).await;
    let b = std::sync::Arc::new(b);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..12 {
        let topic = unique_topic("interleave");
        let before = 1 + rand(40);
        let during = rand(60);
        let mut first = a.subscribe(&topic).await.expect("subscribe");
        publish_range(&b, &topic, 0..before).await;
        let mut positions = Vec::new();
        for _ in 0..before {
            positions.push(next_positioned(&mut first).await.1);
        }
        drop(first);
        #[allow(clippy::cast_possible_truncation)]
        let since = positions[rand(before) as usize];
        let publisher = std::sync::Arc::clone(&b);
        let task_topic = topic.clone();
        let task = tokio::spawn(async move {
            publish_range(&publisher, &task_topic, before..before + during).await;
        });
        if round % 2 == 0 {
            tokio::task::yield_now().await;
        }
        let (mut sub, recovery) = a
            .subscribe_from(&topic, Since::After(since))
            .await
            .expect("subscribe from");
        assert!(
            matches!(recovery, Recovery::Recovered { .. }),
            "round {round}: {recovery:?}"
        );
        task.await.expect("publisher");
        let latest = before + during;
        for offset in since.offset + 1..=latest {
            let (seq, at) = next_positioned(&mut sub).await;
            assert_eq!(
                (at.offset, seq),
                (offset, offset - 1),
                "round {round}: since {since:?}, {before} before, {during} during"
            );
        }
        assert_next_is_live(&b, &mut sub, &topic).await;
    }
}

/// Writes one `#[tokio::test]` per history case for a
/// [`testing::HistoryFactory`](crate::testing::HistoryFactory).
///
/// ```ignore
/// pubsub_core::history_suite!(MyFactory);
/// ```
#[macro_export]
macro_rules! history_suite {
    ($factory:expr) => {
        $crate::conformance_suite!(@cases $factory;
            positions_count_up_by_one_per_message,
            subscribe_from_a_position_recovers_exactly,
            add_topic_from_a_position_recovers_exactly,
            position_follows_what_was_taken_even_during_a_replay,
            a_position_from_a_lost_history_is_unrecoverable,
            a_gap_larger_than_the_history_is_unrecoverable,
            since_latest_gives_the_latest_message_first,
            a_lag_on_a_topic_with_history_recovers_without_a_notice,
            a_topic_without_history_answers_no_history,
            subscribe_from_during_publishes_has_no_hole_and_no_duplicate
        );
    };
}
