//! Overload against a server of the test's own: a reader too slow for its stream (health
//! checks time out, the node reconnects while the old connection still has messages to hand
//! over), and publishes abandoned before they were sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, Delivery, Message, Subscription};
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{RedisServer, config, raw, unique_namespace};

/// A foreign publisher's envelope (no node id, no sequence number: only the connection's order
/// keeps these in order).
fn foreign(topic: &str, seq: u64) -> String {
    format!(
        r#"{{"v":1,"topic":"{topic}","domain":"conformance","event":"numbered","payload":{{"seq":{seq},"label":"foreign"}}}}"#
    )
}

/// Receives until `stop` and the stream dries up; returns (messages, out-of-order or repeated
/// ones, gap notices).
async fn check_order(mut sub: Subscription, stop: Arc<AtomicBool>) -> (u64, u64, u64) {
    let (mut got, mut wrong, mut gaps, mut last) = (0, 0, 0, None);
    loop {
        let wait = if stop.load(Ordering::Relaxed) {
            Duration::from_millis(500)
        } else {
            crate::WAIT
        };
        match tokio::time::timeout(wait, sub.recv()).await {
            Ok(Some(Delivery::Message(m))) => {
                let TestEvent::Numbered { seq, .. } = &*m.decode::<TestEvent>().expect("decodes");
                if last.is_some_and(|last| *seq <= last) {
                    wrong += 1;
                }
                last = Some(*seq);
                got += 1;
            }
            Ok(Some(Delivery::Gap)) => gaps += 1,
            Ok(Some(Delivery::Lagged(_))) => {}
            Ok(None) => panic!("subscription ended"),
            Err(elapsed) => {
                assert!(
                    stop.load(Ordering::Relaxed),
                    "the stream stopped arriving: {elapsed}"
                );
                return (got, wrong, gaps);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sustained_stream_across_reconnects_of_an_overloaded_reader_is_never_duplicated_or_reordered()
 {
    let _heavy = crate::heavy().await;
    let server = RedisServer::start();
    let mut config = config(&server.url(), &unique_namespace(), ChannelMode::Namespace);
    config.capacity = 256;
    // The crowd stays on the per-subscription path: a push per subscriber per message is what
    // makes the reader fall behind (on a shared ring the crowd costs one write per message).
    config.hot_threshold = usize::MAX;
    // Health checks that a backlogged reader fails: the node reconnects while the old
    // connection's reader still has messages to hand over.
    config.ping_interval = Duration::from_millis(20);
    config.ping_timeout = Duration::from_millis(10);
    let node = RedisBroker::connect(config).await.expect("node");
    let topic = unique_topic("stream");
    // 2,000 subscribers make every message slow to hand over.
    let mut crowd = Vec::new();
    for _ in 0..2_000 {
        crowd.push(node.subscribe(&topic).await.expect("subscribe"));
    }
    let checked = node.subscribe(&topic).await.expect("subscribe");
    let stop = Arc::new(AtomicBool::new(false));
    let order = tokio::spawn(check_order(checked, Arc::clone(&stop)));

    let channel = node.config().namespace_channel();
    let mut conn = raw(&server.url()).await;
    let start = Instant::now();
    let mut seq = 0;
    while start.elapsed() < Duration::from_secs(2) {
        let mut pipe = redis::pipe();
        for _ in 0..100 {
            pipe.cmd("PUBLISH")
                .arg(&channel)
                .arg(foreign(topic.as_str(), seq))
                .ignore();
            seq += 1;
        }
        pipe.query_async::<()>(&mut conn).await.expect("pipeline");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let (got, wrong, gaps) = order.await.expect("checker");
    let stats = node.stats();
    println!(
        "{seq} sent, {got} received, {wrong} repeated or out of order, {gaps} gap notices; \
         {} reconnects, {} pushes of replaced connections dropped",
        stats.reconnects, stats.replaced_connection
    );
    assert!(stats.reconnects >= 1, "no reconnect happened: {stats:?}");
    assert_eq!(wrong, 0, "{stats:?}");
    drop(crowd);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_publish_leaves_no_hole_so_no_screen_is_told_to_reload() {
    let server = RedisServer::start();
    let config = config(&server.url(), &unique_namespace(), ChannelMode::Namespace);
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    let (topic, other) = (unique_topic("abandoned"), unique_topic("bystander"));
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    let mut bystander = a.subscribe(&other).await.expect("subscribe");
    let numbered = |seq, label: &str| {
        Message::new(TestEvent::Numbered {
            seq,
            label: label.to_owned(),
        })
    };
    let mut given_up = 0;
    for seq in 0..200 {
        // Given up at once, as a caller whose own timeout fired or whose request was cancelled
        // (a publish abandoned at its timeout is the same: its reply is not awaited any more).
        let abandoned = b.publish(&topic, numbered(seq, "abandoned")).now_or_never();
        if abandoned.is_none() {
            given_up += 1;
        }
        b.publish(&topic, numbered(seq, "kept"))
            .await
            .expect("publish");
    }
    assert!(given_up > 100, "only {given_up} publishes were abandoned");
    let mut kept = 0;
    while kept < 200 {
        match crate::next(&mut sub).await {
            Delivery::Message(m) => {
                let TestEvent::Numbered { label, .. } = &*m.decode::<TestEvent>().expect("decodes");
                if label == "kept" {
                    kept += 1;
                }
            }
            other => panic!("after {kept} kept messages: {other:?} ({:?})", a.stats()),
        }
    }
    crate::faults::assert_quiet(&mut sub, Duration::from_millis(200)).await;
    crate::faults::assert_quiet(&mut bystander, Duration::from_millis(10)).await;
    let stats = a.stats();
    assert_eq!((stats.sequence_gaps, stats.local.gaps), (0, 0), "{stats:?}");
}
