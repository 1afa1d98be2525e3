//! Presence costs against the targets of the presence issue: track+untrack per operation,
//! listing a topic of 10,000 presences, a join's latency to a follower on another node (in
//! memory, and across a real local Redis), and heap bytes per presence (counting allocator).
//!
//! `cargo bench -p pubsub-presence --bench presence` (`cargo xtask bench presence`). Needs
//! `redis-server` on PATH for the Redis figure.

use std::alloc::System;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pubsub_core::{MemoryBroker, Topic};
use pubsub_presence::{Presence, PresenceConfig, PresenceEvent, PresenceStream, RawMeta};
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[derive(serde::Serialize, serde::Deserialize)]
struct Viewer {
    name: String,
    tab: u32,
}

fn viewer(i: u32) -> Viewer {
    Viewer {
        name: format!("User {i}"),
        tab: i % 3,
    }
}

/// The `permille`-th of sorted samples (1000: the largest).
fn percentile(sorted: &[Duration], permille: usize) -> Duration {
    sorted[(sorted.len() - 1) * permille / 1000]
}

async fn track_untrack(presence: &Presence) -> f64 {
    let topic = Topic::new("bench:track").expect("topic");
    let _hold = presence
        .track(&topic, "holder", &viewer(0))
        .await
        .expect("track");
    let n = 100_000u32;
    let started = Instant::now();
    for i in 0..n {
        let guard = presence
            .track(&topic, "ada", &viewer(i))
            .await
            .expect("track");
        drop(guard);
    }
    started.elapsed().as_nanos() as f64 / f64::from(n)
}

/// 10,000 viewers on `topic`, tracked until the guards are dropped.
async fn track_10k(presence: &Presence, topic: &Topic) -> Vec<pubsub_presence::Tracked> {
    let mut guards = Vec::with_capacity(10_000);
    for i in 0..10_000u32 {
        guards.push(
            presence
                .track(topic, &format!("user-{i}"), &viewer(i))
                .await
                .expect("track"),
        );
    }
    guards
}

async fn list_10k(presence: &Presence) -> (Duration, Duration, usize, f64) {
    let topic = Topic::new("bench:list").expect("topic");
    // A follower that reads (one that does not holds up to its capacity of diffs).
    let mut follow = presence.follow::<Viewer>(&topic).await.expect("follow");
    let reader = tokio::spawn(async move { while follow.recv().await.is_some() {} });
    let region = Region::new(GLOBAL);
    let _guards = track_10k(presence, &topic).await;
    tokio::time::sleep(Duration::from_millis(100)).await; // flushed, and read
    let change = region.change();
    reader.abort();
    let bytes = (change.bytes_allocated as f64 - change.bytes_deallocated as f64) / 10_000.0;
    let mut times = Vec::new();
    let mut len = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let list = presence.list::<Viewer>(&topic).await.expect("list");
        times.push(started.elapsed());
        len = list.len();
    }
    times.sort();
    (
        percentile(&times, 500),
        percentile(&times, 1000),
        len,
        bytes,
    )
}

/// A follower's first state of a topic with 10,000 presences (what a page's socket gets when it
/// joins): its metadata decoded as `Box<RawValue>` (validated and copied per follower, what the
/// gateway took before) against [`RawMeta`] (shared); median and max of 20 follows each, the
/// two interleaved.
async fn first_state_10k(presence: &Presence) -> ((Duration, Duration), (Duration, Duration)) {
    let topic = Topic::new("bench:first-state").expect("topic");
    let _guards = track_10k(presence, &topic).await;
    tokio::time::sleep(Duration::from_millis(100)).await; // flushed
    let (mut parsed, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let mut follow = presence
            .follow::<Box<serde_json::value::RawValue>>(&topic)
            .await
            .expect("follow");
        let started = Instant::now();
        let first = follow.recv().await;
        parsed.push(started.elapsed());
        assert!(matches!(first, Some(PresenceEvent::State(s)) if s.len() == 10_000));
        let mut follow = presence.follow::<RawMeta>(&topic).await.expect("follow");
        let started = Instant::now();
        let first = follow.recv().await;
        raw.push(started.elapsed());
        assert!(matches!(first, Some(PresenceEvent::State(s)) if s.len() == 10_000));
    }
    parsed.sort();
    raw.sort();
    (
        (percentile(&parsed, 500), percentile(&parsed, 1000)),
        (percentile(&raw, 500), percentile(&raw, 1000)),
    )
}

async fn join_latency(a: &Presence, b: &Presence, rounds: usize) -> (Duration, Duration) {
    let topic = Topic::new("bench:latency").expect("topic");
    let mut follow: PresenceStream<Viewer> = b.follow(&topic).await.expect("follow");
    let _ = follow.recv().await;
    let mut times = Vec::new();
    for i in 0..rounds {
        tokio::time::sleep(Duration::from_millis(25)).await; // a quiet window: the first change goes at once
        let started = Instant::now();
        let guard = a
            .track(&topic, &format!("u{i}"), &viewer(0))
            .await
            .expect("track");
        loop {
            match follow.recv().await.expect("open") {
                PresenceEvent::Diff(diff) if diff.joins.contains(&format!("u{i}")) => break,
                _ => {}
            }
        }
        times.push(started.elapsed());
        drop(guard);
        let _ = follow.recv().await;
    }
    times.sort();
    (percentile(&times, 500), percentile(&times, 990))
}

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis_server() -> Option<Server> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Server(child, port);
    for _ in 0..500 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let broker = MemoryBroker::new();
        let a = Presence::start(broker.clone(), PresenceConfig::default()).await.expect("start");
        let b = Presence::start(broker, PresenceConfig::default()).await.expect("start");
        let per_op = track_untrack(&a).await;
        println!("track+untrack, one node:        {per_op:>8.0} ns per operation");
        let (median, max, len, bytes) = list_10k(&a).await;
        println!("list of {len} presences:      median {median:?}, max {max:?} (target < 10 ms)");
        println!("heap per presence (its guard, the replica, a reading follower): {bytes:.0} bytes");
        let ((parsed, parsed_max), (raw, raw_max)) = first_state_10k(&a).await;
        println!(
            "a follower's first state of 10,000 presences: RawValue (parsed) median {parsed:?} (max {parsed_max:?}), RawMeta (shared) median {raw:?} (max {raw_max:?}), {:.2}x",
            raw.as_secs_f64() / parsed.as_secs_f64()
        );
        let (p50, p99) = join_latency(&a, &b, 200).await;
        println!("join to a follower on another node, in memory: p50 {p50:?}, p99 {p99:?}");
        match redis_server() {
            Some(server) => {
                let url = format!("redis://127.0.0.1:{}/", server.1);
                for mode in [ChannelMode::Namespace, ChannelMode::PerTopic] {
                    let mut config = RedisConfig::new(&url);
                    config.mode = mode;
                    let ra = Presence::start(RedisBroker::connect(config.clone()).await.expect("redis"), PresenceConfig::default()).await.expect("start");
                    let rb = Presence::start(RedisBroker::connect(config).await.expect("redis"), PresenceConfig::default()).await.expect("start");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let (p50, p99) = join_latency(&ra, &rb, 200).await;
                    println!("join to a follower on another node, Redis {mode:?}: p50 {p50:?}, p99 {p99:?} (target p99 < 50 ms)");
                }
            }
            None => println!("redis-server not found: the Redis latency is not measured"),
        }
    });
}
