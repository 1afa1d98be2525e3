//! History and recovery on `MemoryBroker`: publish throughput to a topic with history against
//! the same topic without (and on a broker that keeps history for other topics only), and the
//! latency of recovering 300 missed messages through `subscribe_from`, p50/p99.
//!
//! `cargo xtask bench` (or `cargo bench -p pubsub-core --bench history [-- --quick]`).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Report, Spread, Tick, median, quick, ratios};
use pubsub_core::history::{HistoryConfig, HistoryPolicy, Position, Recovery, Since};
use pubsub_core::{Delivery, MemoryBroker, Message, Topic, TryRecvError};

const MISSED: usize = 300;

fn history(prefix: &str) -> HistoryConfig {
    HistoryConfig::new().prefix(prefix, HistoryPolicy::new(1_000, Duration::from_secs(300)))
}

/// Publishes per second to one topic with one subscriber, which drains every 256 publishes.
fn publish_rate(broker: &MemoryBroker, publishes: u64) -> f64 {
    let topic = Topic::new("bench:doc:1").unwrap();
    let mut sub = broker.subscribe_now(&topic);
    let started = Instant::now();
    for id in 0..publishes {
        broker.publish_now(&topic, &Message::new(Tick::Tick { id }));
        if id % 256 == 255 {
            while let Ok(delivery) = sub.try_recv() {
                black_box(delivery);
            }
        }
    }
    publishes as f64 / started.elapsed().as_secs_f64()
}

/// Nanoseconds to subscribe from a position 300 messages back and receive the 300 messages, per
/// repetition.
fn recovery_ns(repetitions: usize) -> Vec<f64> {
    let broker = MemoryBroker::builder().history(history("bench:")).build();
    let topic = Topic::new("bench:feed").unwrap();
    let mut samples = Vec::with_capacity(repetitions);
    let mut seen = broker.subscribe_now(&topic);
    for id in 0..repetitions as u64 * 2 {
        let since: Position = seen.position(&topic).unwrap();
        drop(seen);
        for i in 0..MISSED as u64 {
            broker.publish_now(&topic, &Message::new(Tick::Tick { id: id * 1_000 + i }));
        }
        let started = Instant::now();
        let (mut sub, recovery) = broker.subscribe_from_now(&topic, Since::After(since));
        let mut got = 0;
        loop {
            match sub.try_recv() {
                Ok(Delivery::Message(message)) => {
                    black_box(message);
                    got += 1;
                }
                Ok(other) => panic!("unexpected {other:?}"),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        let elapsed = started.elapsed().as_nanos() as f64;
        assert_eq!(recovery, Recovery::Recovered { count: MISSED });
        assert_eq!(got, MISSED);
        // The first half warms up.
        if id >= repetitions as u64 {
            samples.push(elapsed);
        }
        seen = sub;
    }
    samples
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut report = Report::new("pubsub-core: history and recovery");
    println!("# {}\n", report.title);
    let publishes = if quick() { 200_000 } else { 2_000_000 };
    let rounds = if quick() { 3 } else { 5 };
    let (mut on, mut off, mut elsewhere) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let with = MemoryBroker::builder().history(history("bench:")).build();
        on.push(publish_rate(&with, publishes));
        off.push(publish_rate(&MemoryBroker::new(), publishes));
        let other = MemoryBroker::builder().history(history("other:")).build();
        elsewhere.push(publish_rate(&other, publishes));
    }
    let on_off = Spread::of(&ratios(&on, &off));
    let elsewhere_off = Spread::of(&ratios(&elsewhere, &off));
    let (a, b, c) = (median(&mut on), median(&mut off), median(&mut elsewhere));
    report.row(
        "publish to 1 topic with 1 subscriber",
        "publishes/s",
        vec![
            ("history on", a),
            ("history off", b),
            ("history for other topics", c),
        ],
        format!("on/off {on_off}, other-topics/off {elsewhere_off} (median [min-max] of {rounds} rounds)"),
    );

    let repetitions = if quick() { 100 } else { 200 };
    let mut samples = recovery_ns(repetitions);
    let (p50, p99, max) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
        percentile(&mut samples, 1.0),
    );
    report.row(
        format!("recover {MISSED} missed messages (subscribe_from + receive all)"),
        "µs",
        vec![("p50", p50 / 1e3), ("p99", p99 / 1e3), ("max", max / 1e3)],
        format!("{repetitions} repetitions"),
    );
    println!();
    report.check(
        format!(
            "recovery of {MISSED} under 2 ms p99 (got {:.0} µs)",
            p99 / 1e3
        ),
        p99 < 2e6,
    );
    report.check(
        format!(
            "a broker keeping history for other topics publishes within 10% of one without \
             (median {:.2}, worst round {:.2})",
            elsewhere_off.median, elsewhere_off.min
        ),
        elsewhere_off.median >= 0.9,
    );
    report.save("history");
}
