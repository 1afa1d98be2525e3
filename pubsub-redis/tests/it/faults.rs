//! Faults against a server of the test's own: a killed subscriber connection, a server stopped
//! and restarted on the same port, a frozen (half-open) server. Timings are printed (run with
//! `--nocapture` to see them) and bounded by assertions.

use std::time::{Duration, Instant};

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, Delivery, Message, Subscription, Topic};
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};

use crate::next;
use crate::server::{RedisServer, config, raw, unique_namespace};

pub(crate) async fn assert_quiet(sub: &mut Subscription, quiet: Duration) {
    if let Ok(got) = tokio::time::timeout(quiet, sub.recv()).await {
        panic!("expected nothing, got {got:?}");
    }
}

fn numbered(seq: u64) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: "fault".to_owned(),
    })
}

async fn nodes(server: &RedisServer, mode: ChannelMode) -> (RedisBroker, RedisBroker) {
    let config = config(&server.url(), &unique_namespace(), mode);
    (
        RedisBroker::connect(config.clone()).await.expect("node a"),
        RedisBroker::connect(config).await.expect("node b"),
    )
}

/// Publishes from `from` until `sub` receives one of the messages: how long delivery took to
/// resume. Everything else `sub` sees first must be gap notices.
async fn delivery_resumes(from: &RedisBroker, topic: &Topic, sub: &mut Subscription) -> Duration {
    let start = Instant::now();
    let mut seq = 1000;
    loop {
        assert!(start.elapsed() < crate::WAIT, "delivery did not resume");
        seq += 1;
        let _ = from.publish(topic, numbered(seq)).await;
        match tokio::time::timeout(Duration::from_millis(50), sub.recv()).await {
            Ok(Some(Delivery::Message(_))) => return start.elapsed(),
            Ok(Some(Delivery::Gap)) | Err(_) => {}
            Ok(other) => panic!("unexpected {other:?}"),
        }
    }
}

async fn wait_for_gap(sub: &mut Subscription) {
    loop {
        match next(sub).await {
            Delivery::Gap => return,
            Delivery::Message(_) => {} // published before the fault
            other @ Delivery::Lagged(_) => panic!("unexpected {other:?}"),
        }
    }
}

/// The `CLIENT LIST` id of `node`'s subscriber connection.
pub(crate) async fn subscriber_client_id(
    conn: &mut redis::aio::MultiplexedConnection,
    node: &RedisBroker,
) -> String {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(conn)
        .await
        .expect("CLIENT LIST");
    let name = format!("name=pubsub-redis:sub:{}", node.node_id());
    list.lines()
        .find(|line| line.split(' ').any(|field| field == name))
        .and_then(|line| line.split(' ').find_map(|f| f.strip_prefix("id=")))
        .unwrap_or_else(|| panic!("no client {name} in\n{list}"))
        .to_owned()
}

pub(crate) async fn kill_subscriber_connection(server: &RedisServer, node: &RedisBroker) {
    let mut conn = raw(&server.url()).await;
    let id = subscriber_client_id(&mut conn, node).await;
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(&id)
        .query_async(&mut conn)
        .await
        .expect("CLIENT KILL");
    assert_eq!(killed, 1);
}

async fn client_kill(mode: ChannelMode) {
    let server = RedisServer::start();
    let (a, b) = nodes(&server, mode).await;
    let topic = unique_topic("kill");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    b.publish(&topic, numbered(1)).await.expect("publish");
    assert!(matches!(next(&mut sub).await, Delivery::Message(_)));

    let killed_at = Instant::now();
    kill_subscriber_connection(&server, &a).await;
    wait_for_gap(&mut sub).await;
    let gap_after = killed_at.elapsed();
    let resumed_after = delivery_resumes(&b, &topic, &mut sub).await + gap_after;
    println!(
        "CLIENT KILL ({mode:?}): gap notice after {gap_after:?}, delivery resumed after {resumed_after:?}"
    );
    assert!(
        resumed_after < Duration::from_secs(1),
        "resumed after {resumed_after:?}"
    );
    assert_eq!(a.stats().reconnects, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_subscriber_connection_gives_a_gap_notice_and_delivery_resumes_within_a_second_in_namespace_mode()
 {
    client_kill(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_subscriber_connection_gives_a_gap_notice_and_delivery_resumes_within_a_second_in_per_topic_mode()
 {
    client_kill(ChannelMode::PerTopic).await;
}

async fn restart(mode: ChannelMode) {
    let mut server = RedisServer::start();
    let (a, b) = nodes(&server, mode).await;
    let topic = unique_topic("restart");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");
    b.publish(&topic, numbered(1)).await.expect("publish");
    assert!(matches!(next(&mut sub).await, Delivery::Message(_)));

    server.stop();
    let bound = b.config().publish_timeout + Duration::from_millis(100);
    let mut slowest = Duration::ZERO;
    for seq in 0..20 {
        let start = Instant::now();
        let result = b.publish(&topic, numbered(seq)).await;
        let took = start.elapsed();
        assert!(
            result.is_err(),
            "publish {seq} succeeded with the server down"
        );
        assert!(took < bound, "publish {seq} took {took:?}");
        slowest = slowest.max(took);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(b.stats().send_failures >= 20);

    server.restart();
    let restarted = Instant::now();
    wait_for_gap(&mut sub).await;
    let gap_after = restarted.elapsed();
    let resumed_after = delivery_resumes(&b, &topic, &mut sub).await + gap_after;
    println!(
        "restart ({mode:?}): slowest failing publish {slowest:?}; gap notice {gap_after:?} and delivery {resumed_after:?} after the restart"
    );
    assert!(a.stats().reconnects >= 1);
    // A subscription made after the outage works too (per-topic mode: a new SUBSCRIBE).
    let fresh = unique_topic("after");
    let mut later = a.subscribe(&fresh).await.expect("subscribe after restart");
    b.publish(&fresh, numbered(2))
        .await
        .expect("publish after restart");
    assert!(matches!(next(&mut later).await, Delivery::Message(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_fails_publishes_fast_then_gives_a_gap_notice_and_delivery_resumes_in_namespace_mode()
 {
    restart(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_fails_publishes_fast_then_gives_a_gap_notice_and_delivery_resumes_in_per_topic_mode()
 {
    restart(ChannelMode::PerTopic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_is_detected_by_ping_and_publishes_time_out_within_the_bound() {
    let server = RedisServer::start();
    let (a, b) = nodes(&server, ChannelMode::Namespace).await;
    let topic = unique_topic("frozen");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");

    server.signal("-STOP");
    let start = Instant::now();
    let result = b.publish(&topic, numbered(1)).await;
    let took = start.elapsed();
    assert!(result.is_err(), "publish to a frozen server succeeded");
    assert!(
        took < b.config().publish_timeout + Duration::from_millis(100),
        "took {took:?}"
    );
    // The ping (every 200 ms, 300 ms timeout) notices.
    tokio::time::sleep(Duration::from_millis(800)).await;
    server.signal("-CONT");
    let thawed = Instant::now();
    wait_for_gap(&mut sub).await;
    let gap_after = thawed.elapsed();
    let resumed_after = delivery_resumes(&b, &topic, &mut sub).await + gap_after;
    println!(
        "frozen server: publish failed after {took:?}; gap {gap_after:?} and delivery {resumed_after:?} after the thaw"
    );
    assert!(a.stats().ping_failures >= 1, "{:?}", a.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_no_server_fails_within_the_connect_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let config = config(
        &format!("redis://127.0.0.1:{port}/"),
        "nobody",
        ChannelMode::Namespace,
    );
    let start = Instant::now();
    let result = RedisBroker::connect(config).await;
    assert!(result.is_err());
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_every_handle_ends_the_subscriptions_and_closes_the_connections() {
    let server = RedisServer::start();
    let (a, _b) = nodes(&server, ChannelMode::PerTopic).await;
    let mut sub = a.subscribe(&unique_topic("drop")).await.expect("subscribe");
    let name = format!("pubsub-redis:sub:{}", a.node_id());
    drop(a);
    assert!(matches!(
        tokio::time::timeout(crate::WAIT, sub.recv()).await,
        Ok(None)
    ));
    let mut conn = raw(&server.url()).await;
    let deadline = Instant::now() + crate::WAIT;
    loop {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut conn)
            .await
            .expect("CLIENT LIST");
        if !list.contains(&name) {
            break;
        }
        assert!(Instant::now() < deadline, "connection still open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_freeze_publishes_fail_at_once_after_the_first_timeout_and_resume_within_100_ms_of_the_thaw()
 {
    let server = RedisServer::start();
    let mut config = config(&server.url(), &unique_namespace(), ChannelMode::Namespace);
    // The default back-off, not the tests' shorter one.
    let defaults = RedisConfig::new(server.url());
    config.reconnect_min_delay = defaults.reconnect_min_delay;
    config.reconnect_max_delay = defaults.reconnect_max_delay;
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    let topics: Vec<Topic> = (0..4).map(|_| unique_topic("frozen")).collect();
    let mut sub = a.subscribe(&topics[0]).await.expect("subscribe");
    b.publish(&topics[0], numbered(1)).await.expect("publish");
    assert!(matches!(next(&mut sub).await, Delivery::Message(_)));

    server.signal("-STOP");
    // A broadcast to four topics: the first publish waits for its timeout, which opens the
    // circuit; the other three fail at once.
    let start = Instant::now();
    for topic in &topics {
        assert!(b.publish(topic, numbered(2)).await.is_err());
    }
    let broadcast = start.elapsed();
    // While the server stays frozen, every publish fails at once.
    let mut slowest = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(2) {
        let at = Instant::now();
        assert!(b.publish(&topics[1], numbered(3)).await.is_err());
        slowest = slowest.max(at.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.signal("-CONT");
    let thawed = Instant::now();
    let mut failed_after_thaw = 0;
    while b.publish(&topics[1], numbered(4)).await.is_err() {
        failed_after_thaw += 1;
        assert!(thawed.elapsed() < crate::WAIT, "publishes did not resume");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let publishing_after = thawed.elapsed();
    let delivering_after = delivery_resumes(&b, &topics[0], &mut sub).await + publishing_after;
    println!(
        "frozen server: 4-topic broadcast failed in {broadcast:?}, later publishes in at most \
         {slowest:?}; after the thaw publishes resumed in {publishing_after:?} \
         ({failed_after_thaw} more failed), delivery in {delivering_after:?}"
    );
    let timeout = b.config().publish_timeout;
    assert!(
        broadcast < timeout + Duration::from_millis(100),
        "{broadcast:?}"
    );
    assert!(slowest < Duration::from_millis(20), "{slowest:?}");
    assert!(
        publishing_after < Duration::from_millis(100),
        "{publishing_after:?}"
    );
    assert!(
        delivering_after < Duration::from_millis(200),
        "{delivering_after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_default_back_off_publishes_and_deliveries_resume_within_100_ms_of_a_restart() {
    let mut server = RedisServer::start();
    let mut config = config(&server.url(), &unique_namespace(), ChannelMode::Namespace);
    let defaults = RedisConfig::new(server.url());
    config.reconnect_min_delay = defaults.reconnect_min_delay;
    config.reconnect_max_delay = defaults.reconnect_max_delay;
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    let topic = unique_topic("restart");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");

    server.stop();
    let down = Instant::now();
    while down.elapsed() < Duration::from_millis(1_500) {
        assert!(b.publish(&topic, numbered(1)).await.is_err());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.restart(); // returns once the server answers
    let up = Instant::now();
    while b.publish(&topic, numbered(2)).await.is_err() {
        assert!(up.elapsed() < crate::WAIT, "publishes did not resume");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let publishing_after = up.elapsed();
    wait_for_gap(&mut sub).await;
    let delivering_after = delivery_resumes(&b, &topic, &mut sub).await + up.elapsed();
    println!(
        "restart after 1.5 s down, default back-off: publishes resumed {publishing_after:?} and \
         delivery {delivering_after:?} after the server was back"
    );
    assert!(
        publishing_after < Duration::from_millis(100),
        "{publishing_after:?}"
    );
    assert!(
        delivering_after < Duration::from_millis(150),
        "{delivering_after:?}"
    );
}
