//! Memory per subscription at many topics, measured with a counting global allocator: ours, the
//! naive broker, and a `tokio::sync::broadcast` channel per topic (capacity 64).
//!
//! `cargo xtask bench` (or `cargo bench -p pubsub-core --bench memory [-- --quick]`).

mod common;

use std::alloc::System;
use std::collections::HashMap;
use std::sync::Arc;

use common::{NaiveBroker, Report, Tick, quick};
use std::time::Duration;

use pubsub_core::history::{HistoryConfig, HistoryPolicy};
use pubsub_core::{MemoryBroker, Message, Topic};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokio::sync::broadcast;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Net bytes allocated while `f` runs and its result is alive, per item. A reallocation's growth
/// is already in `bytes_allocated` (and a shrink in `bytes_deallocated`); `bytes_reallocated`
/// repeats it, so it is not added again.
fn bytes_per<T>(items: usize, f: impl FnOnce() -> T) -> (f64, T) {
    let region = Region::new(GLOBAL);
    let kept = f();
    let change = region.change();
    let net = change.bytes_allocated as f64 - change.bytes_deallocated as f64;
    (net / items as f64, kept)
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("bench:topic:{i:07}")).collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = if quick() { 100_000 } else { 1_000_000 };
    let mut report = Report::new("pubsub-core: memory per subscription");
    println!("# {}\n", report.title);
    let names = names(n);

    // Topic names are made before measuring for every design, so each figure is what the design
    // adds on top of the application's own strings (ours shares the name in one Arc<str>).
    let topics: Vec<Topic> = names.iter().map(|s| Topic::new(s).unwrap()).collect();
    let broker = MemoryBroker::new();
    let (ours, subs) = bytes_per(n, || {
        topics
            .iter()
            .map(|t| broker.subscribe_now(t))
            .collect::<Vec<_>>()
    });
    assert_eq!(broker.topic_count(), n);
    drop(subs);
    assert_eq!(broker.topic_count(), 0);

    let naive = NaiveBroker::default();
    let (naive_bytes, receivers) = bytes_per(n, || {
        names.iter().map(|t| naive.subscribe(t)).collect::<Vec<_>>()
    });
    drop(receivers);

    let (per_topic_broadcast, channels) = bytes_per(n, || {
        let mut map: HashMap<String, broadcast::Sender<Arc<Tick>>> = HashMap::new();
        let mut receivers = Vec::with_capacity(n);
        for name in &names {
            let (tx, rx) = broadcast::channel(64);
            map.insert(name.clone(), tx);
            receivers.push(rx);
        }
        (map, receivers)
    });
    drop(channels);

    report.row(
        format!("bytes per subscription, {n} topics x 1 subscriber"),
        "bytes",
        vec![
            ("ours", ours),
            ("naive", naive_bytes),
            ("broadcast per topic (cap 64)", per_topic_broadcast),
        ],
        format!(
            "ours/naive {:.2}, ours/broadcast-per-topic {:.2}",
            ours / naive_bytes,
            ours / per_topic_broadcast
        ),
    );
    report.check(
        format!("at most 256 bytes per subscription at {n} topics (got {ours:.0})"),
        ours <= 256.0,
    );
    let entry = history_entry_bytes();
    report.row(
        "bytes per history entry beyond the message itself (10,000 kept on 1 topic)",
        "bytes",
        vec![("ours", entry)],
        "the message's position and the log's slot",
    );
    report.check(
        format!("at most 128 bytes per history entry beyond the message (got {entry:.0})"),
        entry <= 128.0,
    );
    report.save("memory");
}

/// What a topic's history adds per kept message: the messages are made before measuring (the
/// application's own allocation), then published into a history that keeps all of them.
fn history_entry_bytes() -> f64 {
    let kept = 10_000;
    let config =
        HistoryConfig::new().prefix("bench:", HistoryPolicy::new(kept, Duration::from_secs(600)));
    let broker = MemoryBroker::builder().history(config).build();
    let topic = Topic::new("bench:history").unwrap();
    // The log exists (made by a first publish) before measuring.
    broker.publish_now(&topic, &Message::new(Tick::Tick { id: 0 }));
    let messages: Vec<Message> = (0..kept as u64)
        .map(|id| Message::new(Tick::Tick { id }))
        .collect();
    let (bytes, ()) = bytes_per(kept, || {
        for message in &messages {
            broker.publish_now(&topic, message);
        }
    });
    drop(messages);
    drop(broker);
    bytes
}
