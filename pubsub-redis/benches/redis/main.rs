//! Cross-node benchmark: two `RedisBroker` nodes on one local redis-server, against a raw loop
//! of the same Redis client (publish on one connection, receive on another), with the same
//! number of concurrent publishers (the same batching).
//!
//! Reports deliveries per second and publish-to-receive latency p50/p99 for both channel modes,
//! the ratios to the raw client, and writes `target/bench/redis.md` and `redis.json`.
//! `REDIS_URL` points it at an existing server; otherwise it starts `redis-server` itself.
//!
//! Then history (`history.rs`: `-- history` runs only it) and sharded pub/sub on Redis
//! Clusters against plain `PUBLISH` (`cluster.rs`: `-- cluster` runs only it, into
//! `redis-cluster.md`/`.json`); `--quick` makes either short. The cluster section always starts
//! clusters of its own (`redis-server` and `redis-cli` on PATH), `REDIS_URL` or not.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pubsub_core::{Broker, Delivery, Event, Message, Topic};
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

mod cluster;
mod history;

// Reason: the bench uses the test harness's server only; its other helpers are for the tests.
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/it/server.rs"]
mod server;

// Reason: the bench starts clusters of its own shapes; the tests' other helpers stay unused.
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/it/cluster_server.rs"]
mod cluster_server;

/// Messages per throughput run.
const MESSAGES: usize = 100_000;
/// Concurrent publishing tasks (raw and broker alike).
const PUBLISHERS: usize = 16;
/// Sequential round trips per latency run.
const ROUND_TRIPS: usize = 2_000;
/// Runs per figure (the median is reported).
const RUNS: usize = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
enum BenchEvent {
    Changed { id: u64, kind: String },
}

impl Event for BenchEvent {
    const DOMAIN: &'static str = "bench";
    fn name(&self) -> &'static str {
        "changed"
    }
}

fn event(id: u64) -> Message {
    Message::new(BenchEvent::Changed {
        id,
        kind: "project".to_owned(),
    })
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Figures {
    per_second: f64,
    p50_us: f64,
    p99_us: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    // Reason: an index into a short vector.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

/// An envelope like the broker's, for the raw loop to carry the same bytes.
fn sample_envelope() -> String {
    format!(
        r#"{{"v":1,"node":"{}","seq":1,"topic":"bench:project:1","domain":"bench","event":"changed","payload":{{"id":1,"kind":"project"}}}}"#,
        uuid::Uuid::new_v4()
    )
}

async fn raw_receiver(
    url: &str,
    channel: &str,
) -> (
    redis::aio::MultiplexedConnection,
    tokio::sync::mpsc::UnboundedReceiver<redis::PushInfo>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let client = redis::Client::open(format!("{url}?protocol=resp3")).expect("url");
    let config = redis::AsyncConnectionConfig::new().set_push_sender(tx);
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .expect("receiver");
    conn.subscribe(channel).await.expect("subscribe");
    (conn, rx)
}

/// The raw loop. With `echo`, a second connection also subscribes the channel, as a
/// namespace-mode publishing node's own subscriber connection does: Redis writes each message
/// twice.
async fn raw_run(url: &str, echo: bool) -> Figures {
    let channel = format!("raw-{}", uuid::Uuid::new_v4().simple());
    let (_keep, mut rx) = raw_receiver(url, &channel).await;
    let _echo = if echo {
        let (conn, mut echo_rx) = raw_receiver(url, &channel).await;
        let drain = tokio::spawn(async move { while echo_rx.recv().await.is_some() {} });
        Some((conn, AbortOnDrop(drain)))
    } else {
        None
    };
    let publisher = server::raw(url).await;
    let payload = Arc::new(sample_envelope());

    // Throughput.
    let start = Instant::now();
    let tasks: Vec<_> = (0..PUBLISHERS)
        .map(|_| {
            let (mut conn, channel, payload) =
                (publisher.clone(), channel.clone(), Arc::clone(&payload));
            tokio::spawn(async move {
                for _ in 0..MESSAGES / PUBLISHERS {
                    let _: i64 = conn
                        .publish(&channel, payload.as_str())
                        .await
                        .expect("publish");
                }
            })
        })
        .collect();
    let mut got = 0;
    while got < MESSAGES / PUBLISHERS * PUBLISHERS {
        let push = rx.recv().await.expect("push");
        if push.kind == redis::PushKind::Message {
            got += 1;
        }
    }
    let per_second = got as f64 / start.elapsed().as_secs_f64();
    for t in tasks {
        t.await.expect("publisher");
    }

    // Latency.
    let mut conn = publisher.clone();
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let sent = Instant::now();
        let _: i64 = conn
            .publish(&channel, payload.as_str())
            .await
            .expect("publish");
        loop {
            let push = rx.recv().await.expect("push");
            if push.kind == redis::PushKind::Message {
                break;
            }
        }
        samples.push(sent.elapsed());
    }
    samples.sort();
    Figures {
        per_second,
        p50_us: percentile(&samples, 0.5),
        p99_us: percentile(&samples, 0.99),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// [`PUBLISHERS`] tasks publishing `messages` in all (rounded down to a multiple) to `topic`.
fn spawn_publishers(
    b: &RedisBroker,
    topic: &Topic,
    messages: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..PUBLISHERS)
        .map(|p| {
            let (b, topic) = (b.clone(), topic.clone());
            tokio::spawn(async move {
                for i in 0..messages / PUBLISHERS {
                    b.publish(&topic, event((p * messages + i) as u64))
                        .await
                        .expect("publish");
                }
            })
        })
        .collect()
}

async fn broker_run(url: &str, mode: ChannelMode) -> Figures {
    let mut config = RedisConfig::new(url);
    config.namespace = server::unique_namespace();
    config.mode = mode;
    config.capacity = MESSAGES * 2;
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    let topic = Topic::new(format!("bench:project:{}", uuid::Uuid::new_v4())).expect("topic");
    let mut sub = a.subscribe(&topic).await.expect("subscribe");

    // Throughput.
    let start = Instant::now();
    let tasks = spawn_publishers(&b, &topic, MESSAGES);
    let (mut got, mut missed) = (0u64, 0u64);
    while got + missed < (MESSAGES / PUBLISHERS * PUBLISHERS) as u64 {
        match sub.recv().await.expect("open") {
            Delivery::Message(_) => got += 1,
            Delivery::Lagged(n) => missed += n,
            Delivery::Gap => panic!("gap during the benchmark"),
        }
    }
    let per_second = got as f64 / start.elapsed().as_secs_f64();
    assert_eq!(missed, 0, "the subscriber lagged");
    for t in tasks {
        t.await.expect("publisher");
    }

    // Latency.
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..ROUND_TRIPS {
        let sent = Instant::now();
        b.publish(&topic, event(i as u64)).await.expect("publish");
        let _ = sub.recv().await.expect("open");
        samples.push(sent.elapsed());
    }
    samples.sort();
    Figures {
        per_second,
        p50_us: percentile(&samples, 0.5),
        p99_us: percentile(&samples, 0.99),
    }
}

async fn measure<F, Fut>(mut run: F) -> Figures
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Figures>,
{
    let _warm_up = run().await;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(run().await);
    }
    Figures {
        per_second: median(runs.iter().map(|f| f.per_second).collect()),
        p50_us: median(runs.iter().map(|f| f.p50_us).collect()),
        p99_us: median(runs.iter().map(|f| f.p99_us).collect()),
    }
}

/// Fresh topics subscribed and dropped per figure of the per-topic interest run.
const CHURN: usize = 200;

/// Per-topic mode: the cost of one `subscribe` (returns after Redis confirmed) and of dropping
/// it (the unsubscribe under the registry's lock; Redis's UNSUBSCRIBE follows in the
/// background), while the node holds `held` other topics. Returns (subscribe µs mean, p99,
/// drop µs mean).
async fn interest_run(url: &str, held: usize) -> (f64, f64, f64) {
    let mut config = RedisConfig::new(url);
    config.namespace = server::unique_namespace();
    config.mode = ChannelMode::PerTopic;
    let node = RedisBroker::connect(config).await.expect("node");
    // Held through the local registry directly (no wait per topic); the node subscribes them
    // in the background, and we wait until Redis has them all.
    let holder = {
        let first = Topic::new("bench:held:0").expect("topic");
        let mut holder = node.local().subscribe_now(&first);
        for i in 1..held {
            let topic = Topic::new(format!("bench:held:{i}")).expect("topic");
            node.local()
                .add_topic_now(&mut holder, &topic)
                .expect("same broker");
        }
        holder
    };
    let mut conn = server::raw(url).await;
    let fill = Instant::now();
    loop {
        let info: String = redis::cmd("INFO")
            .arg("stats")
            .query_async(&mut conn)
            .await
            .expect("INFO");
        let channels: usize = info
            .lines()
            .find_map(|l| l.strip_prefix("pubsub_channels:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        if channels >= held {
            break;
        }
        assert!(
            fill.elapsed() < Duration::from_secs(120),
            "only {channels} of {held} subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (mut subscribes, mut drops) = (Vec::with_capacity(CHURN), Duration::ZERO);
    for i in 0..CHURN {
        let topic = Topic::new(format!("bench:churn:{i}")).expect("topic");
        let start = Instant::now();
        let sub = node.subscribe(&topic).await.expect("subscribe");
        subscribes.push(start.elapsed());
        let start = Instant::now();
        drop(sub);
        drops += start.elapsed();
    }
    drop(holder);
    let mean = subscribes.iter().sum::<Duration>().as_secs_f64() * 1e6 / CHURN as f64;
    subscribes.sort();
    (
        mean,
        percentile(&subscribes, 0.99),
        drops.as_secs_f64() * 1e6 / CHURN as f64,
    )
}

async fn interest_section(url: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## Per-topic mode: subscribe and unsubscribe while holding many topics\n\n\
         {CHURN} fresh topics subscribed (confirmed by Redis) and dropped, one at a time.\n\n\
         | topics held | subscribe mean µs | subscribe p99 µs | drop (unsubscribe) mean µs |\n\
         |---:|---:|---:|---:|"
    );
    for held in [1_000, 1_000_000] {
        let (mean, p99, drop) = interest_run(url, held).await;
        let _ = writeln!(md, "| {held} | {mean:.0} | {p99:.0} | {drop:.1} |");
    }
    md
}

/// `--quick`: the history and cluster sections run short.
fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

fn out_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
            PathBuf::from,
        )
        .join("bench")
}

/// Writes `target/bench/<stem>.md` and `<stem>.json`.
fn write_results(stem: &str, md: &str, json: &serde_json::Value) {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).expect("target/bench");
    std::fs::write(dir.join(format!("{stem}.md")), md).expect("write the Markdown");
    std::fs::write(
        dir.join(format!("{stem}.json")),
        serde_json::to_string_pretty(json).expect("json"),
    )
    .expect("write the JSON");
    println!(
        "written to {}",
        dir.join(format!("{stem}.{{md,json}}")).display()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // `cargo bench -p pubsub-redis -- cluster [--quick]` runs only the cluster figures (on
        // clusters of its own, `REDIS_URL` or not), into `target/bench/redis-cluster.{md,json}`.
        if std::env::args().any(|a| a == "cluster") {
            let (md, json) = cluster::section().await;
            print!("{md}");
            write_results("redis-cluster", &md, &json);
            return;
        }
        let target = server::Target::new();
        let url = target.url().to_owned();
        // `cargo bench -p pubsub-redis -- interest` runs only the per-topic interest figures.
        if std::env::args().any(|a| a == "interest") {
            print!("{}", interest_section(&url).await);
            return;
        }
        // `cargo bench -p pubsub-redis -- history [--quick]` runs only the history figures.
        if std::env::args().any(|a| a == "history") {
            let (md, _) = history::section(&url).await;
            print!("{md}");
            return;
        }
        println!(
            "pubsub-redis bench: {MESSAGES} messages from {PUBLISHERS} concurrent publishers, \
             {ROUND_TRIPS} sequential round trips; median of {RUNS} runs"
        );
        let raw = measure(|| raw_run(&url, false)).await;
        let raw_echo = measure(|| raw_run(&url, true)).await;
        let namespace = measure(|| broker_run(&url, ChannelMode::Namespace)).await;
        let per_topic = measure(|| broker_run(&url, ChannelMode::PerTopic)).await;

        let mut md = String::new();
        let _ = writeln!(md, "# pubsub-redis: two nodes on one local Redis\n");
        let _ = writeln!(
            md,
            "{MESSAGES} messages from {PUBLISHERS} concurrent publishers (throughput), \
             {ROUND_TRIPS} sequential publish-to-receive round trips (latency); median of {RUNS} runs.\n"
        );
        let _ = writeln!(
            md,
            "| run | deliveries/s | p50 µs | p99 µs | throughput vs raw | p99 vs raw |\n|---|---:|---:|---:|---:|---:|"
        );
        // Namespace mode is compared with the raw loop that has the same Redis traffic (the
        // publishing node also subscribed); per-topic mode with the plain one.
        let mut json = serde_json::Map::new();
        for (name, f, base) in [
            ("raw redis client", raw, raw),
            ("raw redis client, publisher also subscribed", raw_echo, raw_echo),
            ("RedisBroker, namespace mode (vs raw with echo)", namespace, raw_echo),
            ("RedisBroker, namespace mode (vs plain raw)", namespace, raw),
            ("RedisBroker, per-topic mode", per_topic, raw),
        ] {
            let (tput, p99) = (f.per_second / base.per_second, f.p99_us / base.p99_us);
            let _ = writeln!(
                md,
                "| {name} | {:.0} | {:.0} | {:.0} | {tput:.2}x | {p99:.2}x |",
                f.per_second, f.p50_us, f.p99_us
            );
            json.insert(
                name.to_owned(),
                serde_json::json!({
                    "deliveries_per_second": f.per_second,
                    "p50_us": f.p50_us,
                    "p99_us": f.p99_us,
                    "throughput_ratio": tput,
                    "p99_ratio": p99,
                }),
            );
        }
        let _ = writeln!(
            md,
            "\nTargets: throughput at least 0.80x the raw client's, p99 within 1.50x."
        );
        md.push_str(&interest_section(&url).await);
        let (history_md, history_json) = history::section(&url).await;
        md.push_str(&history_md);
        json.insert("history".to_owned(), history_json);
        let (cluster_md, cluster_json) = cluster::section().await;
        md.push_str(&cluster_md);
        json.insert("cluster".to_owned(), cluster_json);
        print!("{md}");
        write_results("redis", &md, &serde_json::Value::Object(json));
    });
}
