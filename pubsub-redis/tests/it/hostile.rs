//! Hostile input and overload on the Redis channel: anyone who can write to the Redis server
//! can publish there (the crate docs invite `redis-cli PUBLISH`). Floods of forged envelopes,
//! pipelined from a plain connection, must keep the node's memory bounded, must not delay,
//! lose or duplicate real deliveries, and must not turn into floods of gap notices.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, Delivery, Subscription, Topic};
use pubsub_redis::{ChannelMode, RedisBroker, RedisStats};
use redis::aio::MultiplexedConnection;

use crate::server::{RedisServer, config, raw, unique_namespace};

/// Forged messages per pipeline: the flood is never more than one pipeline ahead of what the
/// node has read, so a real message waits behind at most one pipeline's worth.
const CHUNK: usize = 200;

/// Writes `payloads` to `channel` as one pipeline.
async fn publish_all(conn: &mut MultiplexedConnection, channel: &str, payloads: &[String]) {
    let mut pipe = redis::pipe();
    for payload in payloads {
        pipe.cmd("PUBLISH").arg(channel).arg(payload).ignore();
    }
    pipe.query_async::<()>(conn).await.expect("pipeline");
}

/// Every message the node has read from Redis and dealt with, whatever it made of it.
fn processed(stats: &RedisStats) -> u64 {
    stats.received + stats.rejected() + stats.duplicates + stats.own_echoes
}

/// Waits until `node` has dealt with `count` messages.
async fn until_processed(node: &RedisBroker, count: u64) {
    let deadline = Instant::now() + crate::WAIT;
    while processed(&node.stats()) < count {
        assert!(
            Instant::now() < deadline,
            "the node read only {} of {count} messages: {:?}",
            processed(&node.stats()),
            node.stats()
        );
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

fn envelope(node: &str, seq: u64, topic: &str, label: &str) -> String {
    format!(
        r#"{{"v":1,"node":"{node}","seq":{seq},"topic":"{topic}","domain":"conformance","event":"numbered","payload":{{"seq":{seq},"label":"{label}"}}}}"#
    )
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_distinct_senders_keeps_the_tracked_sequence_state_within_its_bound() {
    let _heavy = crate::heavy().await;
    let server = RedisServer::start();
    let mut config = config(&server.url(), &unique_namespace(), ChannelMode::Namespace);
    config.sequence_memory = 2 << 20;
    let node = RedisBroker::connect(config).await.expect("node");
    let _sub = node
        .subscribe(&unique_topic("flood"))
        .await
        .expect("subscribe");
    let channel = node.config().namespace_channel();
    let mut conn = raw(&server.url()).await;
    let (rss_before, mut rss_half) = (resident_kib(), None);

    // 200,000 envelopes: half from distinct valid node ids, each on a distinct topic of 200
    // characters (every one a new stream to remember), half claiming 1,000-character node ids.
    let long_topic = "t".repeat(200);
    let long_node = "n".repeat(1_000);
    let mut sent = 0u64;
    let mut peak = (0, 0);
    for round in 0..1_000 {
        let payloads: Vec<String> = (0..CHUNK)
            .map(|i| {
                let n = round * CHUNK + i;
                if i % 2 == 0 {
                    let id = uuid::Uuid::from_u128(n as u128 + 1);
                    envelope(&id.to_string(), 7, &format!("flood:{n}:{long_topic}"), "f")
                } else {
                    envelope(&long_node, 7, &format!("flood:{n}"), "f")
                }
            })
            .collect();
        publish_all(&mut conn, &channel, &payloads).await;
        sent += CHUNK as u64;
        until_processed(&node, sent).await;
        if round == 500 {
            rss_half = resident_kib();
        }
        let stats = node.stats();
        peak = (
            peak.0.max(stats.sequence_streams),
            peak.1.max(stats.sequence_bytes),
        );
    }
    let stats = node.stats();
    println!(
        "{sent} forged envelopes from {} distinct senders: tracked at most {} streams in {} bytes \
         (limit {}), {} forgotten; resident memory {:?} KiB -> {:?} KiB half way -> {:?} KiB",
        sent / 2,
        peak.0,
        peak.1,
        node.config().sequence_memory,
        stats.sequence_evictions,
        rss_before,
        rss_half,
        resident_kib()
    );
    assert_eq!(stats.rejected_node, sent / 2, "{stats:?}");
    assert_eq!(stats.received, sent / 2, "{stats:?}");
    assert!(
        peak.1 <= node.config().sequence_memory as u64,
        "tracked {} bytes",
        peak.1
    );
    // Each stream costs at least its topic's 200 bytes: the count is bounded too.
    assert!(
        peak.0 <= node.config().sequence_memory as u64 / 200,
        "{peak:?}"
    );
    assert!(stats.sequence_evictions >= sent / 2 - peak.0, "{stats:?}");
}

/// The real stream: a message every 2 ms to `topic` until `stop`, then an `end`, written to
/// `channel` by a plain connection in the wire format, as a node of its own numbering its
/// envelopes from 1; returns when each was sent (by number, from 1) and the task, which gives
/// how many real ones it sent. Not a second `RedisBroker`: in namespace mode that node would
/// read and decode the whole flood too, on the same two cores as the node under test, and the
/// real messages would wait behind both nodes' reading.
fn real_stream(
    mut conn: MultiplexedConnection,
    channel: String,
    topic: Topic,
    stop: Arc<AtomicBool>,
) -> (Arc<Mutex<Vec<Instant>>>, tokio::task::JoinHandle<u64>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let times = Arc::clone(&sent);
    let node = uuid::Uuid::new_v4().to_string();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(2));
        let mut seq = 1;
        let mut publish = async |seq: u64, label: &str| {
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(envelope(&node, seq, topic.as_str(), label))
                .query_async::<()>(&mut conn)
                .await
                .expect("real publish");
        };
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            times.lock().unwrap().push(Instant::now());
            publish(seq, "real").await;
            seq += 1;
        }
        publish(seq, "end").await;
        seq - 1
    });
    (sent, task)
}

/// What the real subscriber saw.
#[derive(Debug, Default)]
struct Seen {
    latencies: Vec<Duration>,
    gaps: u64,
}

/// Receives the real stream (and whatever forged messages share its topic) up to its `end`:
/// every real message exactly once, in order.
async fn receive_real(
    node: RedisBroker,
    mut sub: Subscription,
    sent: Arc<Mutex<Vec<Instant>>>,
) -> Seen {
    let mut seen = Seen::default();
    let mut next = 1;
    loop {
        match crate::next(&mut sub).await {
            Delivery::Message(m) => {
                let event = m.decode::<TestEvent>().expect("decodes");
                let TestEvent::Numbered { seq, label } = &*event;
                match label.as_str() {
                    "real" => {}
                    "end" => {
                        assert_eq!(*seq, next, "real messages lost");
                        return seen;
                    }
                    _ => continue, // a forged envelope on this topic
                }
                assert_eq!(
                    *seq,
                    next,
                    "real message lost, duplicated or out of order: {:?}",
                    node.stats()
                );
                let at = sent.lock().unwrap()[usize::try_from(*seq - 1).unwrap()];
                seen.latencies.push(at.elapsed());
                next += 1;
            }
            Delivery::Gap => seen.gaps += 1,
            Delivery::Lagged(n) => panic!("the real subscriber lagged by {n}"),
        }
    }
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() - 1) * percent / 100]
}

/// The forged messages of one pipeline: `CHUNK / 8` of each of eight kinds.
#[derive(Debug)]
struct Forger {
    /// Topics with local subscribers, the holes' targets.
    topics: Vec<String>,
    /// The made-up node sending the holes, and its last number per topic.
    node: String,
    last: Vec<u64>,
    round: usize,
}

impl Forger {
    fn chunk(&mut self) -> Vec<String> {
        let mut out = Vec::with_capacity(CHUNK);
        let (huge_node, huge_topic) = ("x".repeat(1_000), "y".repeat(600));
        for i in 0..CHUNK / 8 {
            let t = (self.round * CHUNK / 8 + i) % self.topics.len();
            let topic = &self.topics[t];
            out.push(format!(r#"{{"v":1,"topic":"{topic}","#)); // bad JSON
            out.push(format!(
                r#"{{"v":2,"topic":"{topic}","domain":"conformance","event":"numbered"}}"#
            ));
            out.push(envelope(&huge_node, 2, topic, "forged"));
            out.push(envelope(
                &self.node,
                2,
                &format!("forged:{huge_topic}"),
                "forged",
            ));
            out.push(envelope(&self.node, 2, "forged: not a topic", "forged"));
            // A hole: every number skips one (the first one seen per topic sets the baseline).
            self.last[t] += 2;
            let hole = envelope(&self.node, self.last[t], topic, "forged");
            out.push(hole.clone());
            out.push(hole); // a duplicate
            out.push(envelope(&self.node, self.last[t] - 1, topic, "forged")); // stale
        }
        self.round += 1;
        out
    }

    /// Sends `total` forged messages to `channel` in paced chunks, each read by `node` before
    /// the next; returns how long it took and the median time `node` took to read a chunk.
    async fn flood(
        &mut self,
        node: &RedisBroker,
        conn: &mut MultiplexedConnection,
        channel: &str,
        total: u64,
    ) -> (Duration, Duration) {
        let start = Instant::now();
        // 20,000 forged messages a second at most (an unoptimised build reads 14,000-40,000 a
        // second, by the machine): the node must read them at the cost of their decoding,
        // without gap storms.
        let mut pace = tokio::time::interval(Duration::from_millis(10));
        let (mut forged, mut rounds) = (0, Vec::new());
        while forged < total {
            pace.tick().await;
            let chunk = self.chunk();
            let round = Instant::now();
            publish_all(conn, channel, &chunk).await;
            forged += chunk.len() as u64;
            until_processed(node, forged).await;
            rounds.push(round.elapsed());
        }
        rounds.sort();
        (start.elapsed(), percentile(&rounds, 50))
    }
}

// Its latency bounds hold optimised and with the machine to itself: `cargo xtask test-all`
// runs it alone after the suite, with `--release` (beside the suite on a fresh CI machine,
// unoptimised, p99 reached 303 ms).
#[ignore = "timed: run alone and optimised by `cargo xtask test-all` (step timed-alone)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_forged_messages_of_eight_kinds_neither_delays_loses_nor_duplicates_real_ones() {
    const SUBSCRIPTIONS: usize = 10_000;
    const TOPICS: usize = 100;
    let _heavy = crate::heavy().await;
    let server = RedisServer::start();
    let mut config = config(&server.url(), &unique_namespace(), ChannelMode::Namespace);
    config.capacity = 1024;
    let a = RedisBroker::connect(config).await.expect("node a");

    // 10,000 subscriptions on node a, each on a topic of its own; the forger sends holes to
    // 100 of them (a hole used to tell all 10,000 to reload).
    let topics: Vec<Topic> = (0..SUBSCRIPTIONS).map(|_| unique_topic("busy")).collect();
    let mut subs = Vec::with_capacity(SUBSCRIPTIONS);
    for topic in &topics {
        subs.push(a.subscribe(topic).await.expect("subscribe"));
    }
    // The real subscriber, on a topic the forger also sends holes to.
    let real_topic = unique_topic("real");
    let real_sub = Broker::subscribe(&a, &real_topic).await.expect("subscribe");
    let mut forgery = Forger {
        topics: topics[..TOPICS]
            .iter()
            .chain([&real_topic])
            .map(|t| t.as_str().to_owned())
            .collect(),
        node: uuid::Uuid::new_v4().to_string(),
        last: vec![1; TOPICS + 1],
        round: 0,
    };

    let channel = a.config().namespace_channel();
    let mut conn = raw(&server.url()).await;
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = raw(&server.url()).await;
    let (sent_at, publisher) = real_stream(
        writer,
        channel.clone(),
        real_topic.clone(),
        Arc::clone(&stop),
    );
    let receiver = tokio::spawn(receive_real(a.clone(), real_sub, sent_at));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let forged = 100_000;
    let (flood_took, chunk_read) = forgery.flood(&a, &mut conn, &channel, forged).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    stop.store(true, Ordering::Relaxed);
    let real = publisher.await.expect("publisher");
    let seen = receiver.await.expect("receiver");
    let elapsed = start.elapsed();

    let mut latencies = seen.latencies.clone();
    latencies.sort();
    let (p50, p99, max) = (
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        percentile(&latencies, 100),
    );
    let stats = a.stats();
    println!(
        "{forged} forged messages in {flood_took:?} with {} subscriptions, {real} real ones: \
         real latency p50 {p50:?} p99 {p99:?} max {max:?}; a chunk of {CHUNK} read in \
         {chunk_read:?} (median); {} gap notices to the real subscriber in {elapsed:?} \
         ({} rounds); {stats:?}",
        subs.len() + 1,
        seen.gaps,
        stats.gap_rounds,
    );
    assert_eq!((stats.reconnects, stats.ping_failures), (0, 0), "{stats:?}");
    let kind = forged / 8;
    assert_eq!(stats.rejected_not_json, kind, "{stats:?}");
    assert_eq!(stats.rejected_version, kind, "{stats:?}");
    assert_eq!(stats.rejected_node, kind, "{stats:?}");
    assert_eq!(stats.rejected_topic, 2 * kind, "{stats:?}");
    assert_eq!(stats.duplicates, 2 * kind, "{stats:?}");
    assert_eq!(stats.received, kind + real + 1, "{stats:?}");
    // The first forged number per topic sets the baseline; every later one skips one.
    assert_eq!(
        stats.sequence_gaps,
        kind - TOPICS as u64 - 1,
        "every forged hole was seen"
    );
    // Merged: at most one notice per interval, not one per hole.
    let intervals = elapsed.as_millis() / a.config().gap_interval.as_millis() + 2;
    assert!(
        u128::from(seen.gaps) <= intervals,
        "{} gap notices in {elapsed:?}",
        seen.gaps
    );
    assert!(u128::from(stats.gap_rounds) <= intervals, "{stats:?}");
    // Optimised (as `cargo xtask test-all` runs it, alone), real messages arrive as fast as a
    // plain listener on the same Redis reads them: alone on a 2-core AMD EPYC, p50 0.16 ms, p99
    // 1.7 ms, max 2.2 ms, against the listener's p50 0.14 ms and p99 1.1-1.4 ms, the node never
    // more than one forged pipeline behind the socket. Unoptimised, the test process's own
    // decoding sets the figures (p50 2-110 ms, p99 up to 406 ms, by the run): there only stalls
    // of the kind a gap storm made, seconds long, are caught.
    let (p50_bound, p99_bound, max_bound) = if cfg!(debug_assertions) {
        (
            Duration::from_secs(1),
            Duration::from_secs(1),
            Duration::from_secs(2),
        )
    } else {
        (
            Duration::from_millis(10),
            Duration::from_millis(50),
            Duration::from_millis(100),
        )
    };
    assert!(p50 < p50_bound, "real deliveries delayed: p50 {p50:?}");
    assert!(p99 < p99_bound, "real deliveries delayed: p99 {p99:?}");
    assert!(max < max_bound, "a real delivery stalled for {max:?}");
    drop(subs);
}
