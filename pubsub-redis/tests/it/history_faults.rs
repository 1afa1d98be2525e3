//! Faults on topics with history: a reconnect becomes a recovery (every message once, in
//! order, no notice), and a Redis restarted without persistence gives a gap notice and the new
//! epoch's messages, never a wrong recovery.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pubsub_core::history::{Position, Recovery, Since};
use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, Delivery, Subscription, Topic};
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::faults::kill_subscriber_connection;
use crate::history::{history_nodes, numbered};
use crate::server::RedisServer;

/// The last message a publisher sends to each topic.
const END: u64 = u64::MAX;

/// What a subscriber got, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Message(u64, Position),
    Gap,
    Lagged(u64),
}

async fn nodes(server: &RedisServer, mode: ChannelMode) -> (RedisBroker, RedisBroker) {
    history_nodes(&server.url(), mode, 5000, 8192).await
}

/// Reads `sub` (one topic) until the end marker, at most `within`.
fn collect(mut sub: Subscription, within: Duration) -> tokio::task::JoinHandle<Vec<Got>> {
    tokio::spawn(async move {
        let deadline = Instant::now() + within;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let delivery = match tokio::time::timeout(left, sub.recv()).await {
                Ok(Some(delivery)) => delivery,
                Ok(None) => panic!("subscription ended after {got:?}"),
                Err(elapsed) => panic!(
                    "no end marker within {within:?} ({elapsed}); got {} deliveries, last {:?}",
                    got.len(),
                    got.last()
                ),
            };
            match delivery {
                Delivery::Message(message) => {
                    let position = message.position().expect("a position");
                    let event = message.decode::<TestEvent>().expect("a test event");
                    let TestEvent::Numbered { seq, .. } = &*event;
                    got.push(Got::Message(*seq, position));
                    if *seq == END {
                        return got;
                    }
                }
                Delivery::Gap => got.push(Got::Gap),
                Delivery::Lagged(n) => got.push(Got::Lagged(n)),
            }
        }
    })
}

/// Publishes `0..`, one message per topic per round, from `from` until `stop` is set, then the
/// end marker; returns the number of rounds. With `retry`, a publish that fails is retried
/// with the same number (so the numbers are contiguous; right when no publish can have reached
/// Redis and failed anyway); without, the next attempt takes the next number (so no number is
/// published twice). `published` counts the rounds.
fn publish_steadily(
    from: RedisBroker,
    topics: Vec<Topic>,
    stop: Arc<AtomicBool>,
    published: Arc<AtomicU64>,
    retry: bool,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut seq = 0;
        while !stop.load(Ordering::Relaxed) {
            for topic in &topics {
                while from.publish(topic, numbered(seq, "steady")).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    if !retry {
                        seq += 1;
                    }
                }
            }
            published.fetch_add(1, Ordering::Relaxed);
            seq += 1;
            if seq % 8 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        for topic in &topics {
            while from.publish(topic, numbered(END, "end")).await.is_err() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        seq
    })
}

/// A steady stream under way: its subscribers' readers, and its publisher.
struct Steady {
    readers: Vec<tokio::task::JoinHandle<Vec<Got>>>,
    stop: Arc<AtomicBool>,
    published: Arc<AtomicU64>,
    sender: tokio::task::JoinHandle<u64>,
}

/// Subscribes on each of `subscribers` to every topic (one reader each, in that order per
/// topic), then publishes steadily from `from` (see [`publish_steadily`]).
async fn steady(
    subscribers: &[&RedisBroker],
    from: &RedisBroker,
    topics: &[Topic],
    retry: bool,
) -> Steady {
    let mut readers = Vec::new();
    for topic in topics {
        for node in subscribers {
            let sub = node.subscribe(topic).await.expect("subscribe");
            readers.push(collect(sub, Duration::from_secs(30)));
        }
    }
    let (stop, published) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let sender = publish_steadily(
        from.clone(),
        topics.to_vec(),
        Arc::clone(&stop),
        Arc::clone(&published),
        retry,
    );
    Steady {
        readers,
        stop,
        published,
        sender,
    }
}

async fn until_published(published: &AtomicU64, at_least: u64) {
    let deadline = Instant::now() + crate::WAIT;
    while published.load(Ordering::Relaxed) < at_least {
        assert!(Instant::now() < deadline, "the publisher is stuck");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn killed_connections_during_a_steady_stream(mode: ChannelMode) {
    let _heavy = crate::heavy().await;
    let server = RedisServer::start();
    let (a, b) = nodes(&server, mode).await;
    let topics: Vec<Topic> = (0..3)
        .map(|i| unique_topic(&format!("steady{i}")))
        .collect();
    // Subscribers on the publishing node (its own echoes) and on the other one.
    let Steady {
        readers,
        stop,
        published,
        sender,
    } = steady(&[&a, &a, &b], &b, &topics, true).await;
    for round in 1..=3 {
        until_published(&published, round * 150).await;
        kill_subscriber_connection(&server, &a).await;
        until_published(&published, round * 150 + 50).await;
        kill_subscriber_connection(&server, &b).await;
    }
    until_published(&published, 600).await;
    stop.store(true, Ordering::Relaxed);
    let last = sender.await.expect("publisher");
    for (i, reader) in readers.into_iter().enumerate() {
        let got = reader.await.expect("reader");
        let mut expected_offset = None;
        let mut seqs = Vec::new();
        for item in &got {
            match item {
                Got::Message(seq, position) => {
                    if let Some(offset) = expected_offset {
                        assert_eq!(
                            position.offset, offset,
                            "subscriber {i}: contiguous offsets"
                        );
                    }
                    expected_offset = Some(position.offset + 1);
                    seqs.push(*seq);
                }
                other => panic!("subscriber {i} got a notice: {other:?}"),
            }
        }
        let mut expected: Vec<u64> = (0..last).collect();
        expected.push(END);
        assert_eq!(
            seqs, expected,
            "subscriber {i}: every message once, in order"
        );
    }
    for node in [&a, &b] {
        let stats = node.stats();
        assert!(stats.reconnects >= 3, "{stats:?}");
        assert!(stats.recovered_topics >= 9, "{stats:?}");
        assert_eq!(stats.unrecovered_topics, 0, "{stats:?}");
        assert_eq!(stats.local.gaps, 0, "{stats:?}");
    }
    println!(
        "{mode:?}: {last} messages per topic, node a {:?}",
        a.stats()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_subscriber_connections_during_a_steady_stream_lose_nothing_and_give_no_notice_in_namespace_mode()
 {
    killed_connections_during_a_steady_stream(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_subscriber_connections_during_a_steady_stream_lose_nothing_and_give_no_notice_in_per_topic_mode()
 {
    killed_connections_during_a_steady_stream(ChannelMode::PerTopic).await;
}

async fn a_restart_without_persistence(mode: ChannelMode) {
    let _heavy = crate::heavy().await;
    let mut server = RedisServer::start();
    let (a, b) = nodes(&server, mode).await;
    let topics: Vec<Topic> = (0..2)
        .map(|i| unique_topic(&format!("restart{i}")))
        .collect();
    let Steady {
        readers,
        stop,
        published,
        sender,
    } = steady(&[&a, &b], &b, &topics, false).await;
    until_published(&published, 200).await;
    server.restart();
    let after_restart = published.load(Ordering::Relaxed);
    until_published(&published, after_restart + 200).await;
    stop.store(true, Ordering::Relaxed);
    sender.await.expect("publisher");
    for (i, reader) in readers.into_iter().enumerate() {
        let got = reader.await.expect("reader");
        let (mut gaps, mut last_seq, mut last_position): (usize, Option<u64>, Option<Position>) =
            (0, None, None);
        let mut after_gap = false;
        for item in &got {
            match item {
                Got::Gap => {
                    gaps += 1;
                    after_gap = true;
                }
                Got::Lagged(n) => panic!("subscriber {i} lagged by {n}"),
                Got::Message(seq, position) => {
                    if *seq != END
                        && let Some(last) = last_seq
                    {
                        assert!(
                            *seq > last,
                            "subscriber {i}: {seq} after {last}: twice or out of order"
                        );
                    }
                    if let Some(last) = last_position {
                        if position.epoch == last.epoch {
                            if after_gap {
                                assert!(
                                    position.offset > last.offset,
                                    "subscriber {i}: {position} after {last}"
                                );
                            } else {
                                assert_eq!(
                                    position.offset,
                                    last.offset + 1,
                                    "subscriber {i}: {position} after {last} with no notice"
                                );
                            }
                        } else {
                            assert!(
                                after_gap,
                                "subscriber {i}: a new epoch {position} after {last} with no gap notice"
                            );
                        }
                    }
                    after_gap = false;
                    last_seq = Some(*seq);
                    last_position = Some(*position);
                }
            }
        }
        assert!(
            gaps >= 1,
            "subscriber {i}: the lost history is reported: {got:?}"
        );
        let first = got.iter().find_map(|g| match g {
            Got::Message(_, p) => Some(p.epoch),
            _ => None,
        });
        assert_ne!(
            first,
            last_position.map(|p| p.epoch),
            "subscriber {i}: the new epoch's messages arrived"
        );
        println!(
            "subscriber {i}: {} deliveries, {gaps} gap notice(s)",
            got.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_without_persistence_gives_a_gap_and_the_new_epoch_never_a_wrong_recovery_in_namespace_mode()
 {
    a_restart_without_persistence(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_without_persistence_gives_a_gap_and_the_new_epoch_never_a_wrong_recovery_in_per_topic_mode()
 {
    a_restart_without_persistence(ChannelMode::PerTopic).await;
}

/// A reconnect whose missed messages are no longer in the stream (trimmed, expired) gives one
/// gap notice: never a silent partial recovery. The connection is killed in the same
/// transaction that removes the messages the node missed, so the node cannot have read them.
async fn an_unrecoverable_reconnect(mode: ChannelMode) {
    let server = RedisServer::start();
    let (a, b) = nodes(&server, mode).await;
    let topic = unique_topic("trimmed");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    for seq in 0..3 {
        b.publish(&topic, numbered(seq, "before"))
            .await
            .expect("publish");
    }
    let mut last = None;
    for _ in 0..3 {
        last = Some(crate::history::next_positioned(&mut sub).await.2);
    }
    let last = last.expect("three");
    let (stream, meta) = a.config().history_keys(&topic);
    let mut conn = crate::server::raw(&server.url()).await;
    let id = crate::faults::subscriber_client_id(&mut conn, &a).await;
    // Five messages published and trimmed away while the node was disconnected.
    let _: () = redis::pipe()
        .atomic()
        .cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(&id)
        .ignore()
        .cmd("DEL")
        .arg(&stream)
        .ignore()
        .cmd("HINCRBY")
        .arg(&meta)
        .arg("offset")
        .arg(5)
        .ignore()
        .query_async(&mut conn)
        .await
        .expect("MULTI");
    match crate::next(&mut sub).await {
        Delivery::Gap => {}
        other => panic!("expected a gap notice, got {other:?}"),
    }
    b.publish(&topic, numbered(3, "after"))
        .await
        .expect("publish");
    let (seq, _, position) = crate::history::next_positioned(&mut sub).await;
    assert_eq!(seq, 3);
    assert_eq!(position, Position::new(last.offset + 6, last.epoch));
    assert!(sub.is_empty(), "one notice");
    let stats = a.stats();
    // One unrecoverable reconnect (a busy test machine may add a health-check reconnect,
    // which recovers).
    assert_eq!(stats.unrecovered_topics, 1, "{stats:?}");
    assert_eq!(stats.recovered_topics, stats.reconnects - 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_whose_missed_messages_were_trimmed_gives_one_gap_notice_in_namespace_mode() {
    an_unrecoverable_reconnect(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_whose_missed_messages_were_trimmed_gives_one_gap_notice_in_per_topic_mode() {
    an_unrecoverable_reconnect(ChannelMode::PerTopic).await;
}

/// After a reconnect the node cannot vouch for what it kept of a topic nobody here subscribed
/// to then (it missed its messages meanwhile), so a later subscriber to it gets its messages
/// with no false gap notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_nobody_here_followed_during_a_reconnect_gives_its_later_subscribers_no_notice() {
    let server = RedisServer::start();
    let (a, b) = nodes(&server, ChannelMode::Namespace).await;
    let (watched, unwatched) = (unique_topic("watched"), unique_topic("unwatched"));
    let mut sub = a.subscribe(&watched).await.expect("subscribe");
    // Followed for a while, then left: node A keeps what it got.
    let mut earlier = a.subscribe(&unwatched).await.expect("subscribe");
    for seq in 0..3 {
        b.publish(&unwatched, numbered(seq, "unwatched"))
            .await
            .expect("publish");
    }
    for _ in 0..3 {
        let _ = crate::history::next_positioned(&mut earlier).await;
    }
    drop(earlier);
    b.publish(&watched, numbered(0, "watched"))
        .await
        .expect("publish");
    let _ = crate::history::next_positioned(&mut sub).await;
    let (_, meta) = a.config().history_keys(&unwatched);
    let mut conn = crate::server::raw(&server.url()).await;
    let id = crate::faults::subscriber_client_id(&mut conn, &a).await;
    // Three messages of the unwatched topic missed while disconnected.
    let _: () = redis::pipe()
        .atomic()
        .cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(&id)
        .ignore()
        .cmd("HINCRBY")
        .arg(&meta)
        .arg("offset")
        .arg(3)
        .ignore()
        .query_async(&mut conn)
        .await
        .expect("MULTI");
    // Back (the watched topic recovered, with nothing to recover).
    let deadline = Instant::now() + crate::WAIT;
    while a.stats().recovered_topics < 1 {
        assert!(Instant::now() < deadline, "no recovery: {:?}", a.stats());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut later = a.subscribe(&unwatched).await.expect("subscribe");
    b.publish(&unwatched, numbered(3, "unwatched"))
        .await
        .expect("publish");
    match crate::next(&mut later).await {
        Delivery::Message(message) => {
            assert_eq!(message.position().map(|p| p.offset), Some(7));
        }
        other => panic!("expected the message, got {other:?}"),
    }
    assert!(sub.is_empty(), "nothing for the watched topic either");
}

/// A quiet topic (history in Redis, but no message since the subscription started) is
/// recovered after a reconnect from where its subscription started: no notice, and what was
/// published while disconnected arrives.
async fn a_quiet_topic_recovers(mode: ChannelMode) {
    let server = RedisServer::start();
    let (a, b) = nodes(&server, mode).await;
    let topic = unique_topic("quiet");
    for seq in 0..3 {
        b.publish(&topic, numbered(seq, "old"))
            .await
            .expect("publish");
    }
    if mode == ChannelMode::Namespace {
        // Node A reads them too (nobody there listens yet): wait until it has.
        let deadline = Instant::now() + crate::WAIT;
        while a.stats().received < 3 {
            assert!(Instant::now() < deadline, "not read: {:?}", a.stats());
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    let start = sub.position(&topic).expect("a start");
    kill_subscriber_connection(&server, &a).await;
    b.publish(&topic, numbered(3, "new"))
        .await
        .expect("publish");
    let (seq, _, position) = crate::history::next_positioned(&mut sub).await;
    assert_eq!(
        (seq, position),
        (3, Position::new(start.offset + 1, start.epoch))
    );
    let deadline = Instant::now() + crate::WAIT;
    while a.stats().reconnects < 1 {
        assert!(Instant::now() < deadline, "no reconnect: {:?}", a.stats());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    b.publish(&topic, numbered(4, "new"))
        .await
        .expect("publish");
    assert_eq!(crate::history::next_positioned(&mut sub).await.0, 4);
    assert!(sub.is_empty(), "no notice");
    let stats = a.stats();
    assert_eq!(stats.unrecovered_topics, 0, "{stats:?}");
    assert_eq!(stats.recovered_topics, stats.reconnects, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_topic_is_recovered_from_where_its_subscription_started_in_namespace_mode() {
    a_quiet_topic_recovers(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_topic_is_recovered_from_where_its_subscription_started_in_per_topic_mode() {
    a_quiet_topic_recovers(ChannelMode::PerTopic).await;
}

/// While Redis is down every subscriber's history read fails: one WARN line a second, not one
/// per subscriber (the stats keep the count).
#[tokio::test]
async fn history_reads_failing_while_redis_is_down_log_one_line_a_second() {
    let mut server = RedisServer::start();
    let (a, _b) = nodes(&server, ChannelMode::Namespace).await;
    server.stop();
    let logs = pubsub_core::testing::LogCapture::new();
    let _guard = logs.install();
    for i in 0..50 {
        let topic = unique_topic(&format!("down-{i}"));
        let subscribed = a.subscribe_from(&topic, Since::Now).await;
        // Live (or refused) without its history: never a wait for it.
        if let Ok((_, recovery)) = subscribed {
            assert!(matches!(
                recovery,
                Recovery::Live | Recovery::Unrecoverable(_)
            ));
        }
    }
    let lines = logs
        .contents()
        .matches("reading a topic's history from redis failed")
        .count();
    assert!(
        (1..=2).contains(&lines),
        "{lines} lines for 50 failed history reads"
    );
}
