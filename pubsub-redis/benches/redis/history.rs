//! The history section (`-- history` runs only it; `--quick` makes it short): publish
//! throughput to a topic with history (the append + publish script) against plain publishes to
//! the same topic family, in interleaved rounds, with the per-round ratio (median, min-max);
//! and the time `subscribe_from` takes to recover 300 missed messages (until the last one is
//! received), p50/p99.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use pubsub_core::history::{HistoryConfig, HistoryPolicy, Recovery, Since};
use pubsub_core::{Broker, Delivery, Topic};
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};

use crate::{PUBLISHERS, event, median, percentile, quick, server, spawn_publishers};

/// History and plain publishes: `(history, plain)` publishes per second, one round each.
async fn history_publish_round(a: &RedisBroker, b: &RedisBroker, messages: usize) -> (f64, f64) {
    let mut out = [0.0; 2];
    for (i, family) in ["bench:h:", "bench:p:"].into_iter().enumerate() {
        let topic = Topic::new(format!("{family}{}", uuid::Uuid::new_v4())).expect("topic");
        let mut sub = a.subscribe(&topic).await.expect("subscribe");
        let start = Instant::now();
        let tasks = spawn_publishers(b, &topic, messages);
        for t in tasks {
            t.await.expect("publisher");
        }
        out[i] = (messages / PUBLISHERS * PUBLISHERS) as f64 / start.elapsed().as_secs_f64();
        // Every message arrives (and nothing is left over for the next round).
        let mut got = 0;
        while got < messages / PUBLISHERS * PUBLISHERS {
            match sub.recv().await.expect("open") {
                Delivery::Message(_) => got += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    (out[0], out[1])
}

/// Recovering 300 missed messages with `subscribe_from`: µs until the last one is received.
async fn recovery_samples(a: &RedisBroker, b: &RedisBroker, repetitions: usize) -> Vec<Duration> {
    const MISSED: usize = 300;
    let topic = Topic::new(format!("bench:h:{}", uuid::Uuid::new_v4())).expect("topic");
    let mut first = a.subscribe(&topic).await.expect("subscribe");
    b.publish(&topic, event(0)).await.expect("publish");
    let seen = match first.recv().await.expect("open") {
        Delivery::Message(m) => m.position().expect("a position"),
        other => panic!("unexpected {other:?}"),
    };
    drop(first);
    for i in 0..MISSED {
        b.publish(&topic, event(i as u64)).await.expect("publish");
    }
    let mut samples = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        let start = Instant::now();
        let (mut sub, recovery) = a
            .subscribe_from(&topic, Since::After(seen))
            .await
            .expect("subscribe from");
        assert_eq!(recovery, Recovery::Recovered { count: MISSED });
        for _ in 0..MISSED {
            match sub.recv().await.expect("open") {
                Delivery::Message(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        samples.push(start.elapsed());
    }
    samples.sort();
    samples
}

/// The section's Markdown and JSON, on the server at `url`.
pub(crate) async fn section(url: &str) -> (String, serde_json::Value) {
    let (rounds, messages, repetitions) = if quick() {
        (3, 4_000, 50)
    } else {
        (7, 20_000, 200)
    };
    let mut md = String::new();
    let mut json = serde_json::Map::new();
    let _ = writeln!(
        md,
        "\n## History: append + publish script, and recovery\n\n\
         Publish throughput, {messages} messages from {PUBLISHERS} concurrent publishers per run, \
         {rounds} interleaved rounds (history topic, then a plain topic of the same family). \
         Recovery: `subscribe_from` after 300 missed messages until the last is received, \
         {repetitions} repetitions.\n\n\
         | mode | history publishes/s | plain publishes/s | ratio median | ratio min-max | recovery p50 µs | recovery p99 µs |\n\
         |---|---:|---:|---:|---:|---:|---:|"
    );
    for mode in [ChannelMode::Namespace, ChannelMode::PerTopic] {
        let mut config = RedisConfig::new(url);
        config.namespace = server::unique_namespace();
        config.mode = mode;
        config.capacity = messages * 2;
        config.history = HistoryConfig::new().prefix(
            "bench:h:",
            HistoryPolicy::new(1_000, Duration::from_secs(300)),
        );
        let a = RedisBroker::connect(config.clone()).await.expect("node a");
        let b = RedisBroker::connect(config).await.expect("node b");
        let _warm_up = history_publish_round(&a, &b, messages / 4).await;
        let (mut history, mut plain) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (h, p) = history_publish_round(&a, &b, messages).await;
            history.push(h);
            plain.push(p);
        }
        let mut ratios: Vec<f64> = history.iter().zip(&plain).map(|(h, p)| h / p).collect();
        ratios.sort_by(f64::total_cmp);
        let samples = recovery_samples(&a, &b, repetitions).await;
        let (p50, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
        let row = format!(
            "| {mode:?} | {:.0} | {:.0} | {:.2}x | {:.2}-{:.2}x | {p50:.0} | {p99:.0} |",
            median(history.clone()),
            median(plain.clone()),
            median(ratios.clone()),
            ratios[0],
            ratios[ratios.len() - 1],
        );
        let _ = writeln!(md, "{row}");
        json.insert(
            format!("history {mode:?}"),
            serde_json::json!({
                "history_publishes_per_second": median(history),
                "plain_publishes_per_second": median(plain),
                "ratio_median": median(ratios.clone()),
                "ratio_min": ratios[0],
                "ratio_max": ratios[ratios.len() - 1],
                "recovery_300_p50_us": p50,
                "recovery_300_p99_us": p99,
            }),
        );
    }
    let _ = writeln!(
        md,
        "\nTargets: history publish throughput at least 0.5x plain; recovery p99 under 10 ms."
    );
    (md, serde_json::Value::Object(json))
}
