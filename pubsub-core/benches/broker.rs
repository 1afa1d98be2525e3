//! Throughput benchmarks of `MemoryBroker`, side by side with `tokio::sync::broadcast` (the raw
//! primitive) and a naive `RwLock<HashMap<String, Vec<mpsc::UnboundedSender>>>` broker, in one run.
//!
//! `cargo xtask bench` (or `cargo bench -p pubsub-core --bench broker [-- --quick]`).

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use common::{NaiveBroker, Report, Rng, Spread, Tick, median, quick, ratios, selected};
use pubsub_core::{Broker, BrokerExt, Delivery, MemoryBroker, Message, Topic, TypedTopic};
use tokio::runtime::Runtime;
use tokio::sync::broadcast;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Messages per round for `n` subscribers: about two million deliveries, at least 200 messages.
fn messages_for(n: usize) -> usize {
    let total = if quick() { 200_000 } else { 2_000_000 };
    (total / n).max(200)
}

/// Deliveries per second to `n` subscribers of one topic: ours.
fn fanout_ours(rt: &Runtime, n: usize) -> f64 {
    let m = messages_for(n);
    rt.block_on(async {
        // Capacity m: nothing lags, so every design does the same work.
        let broker = MemoryBroker::with_capacity(m);
        let topic: TypedTopic<Tick> = TypedTopic::new(Topic::new("bench:fanout").unwrap());
        let mut readers = Vec::with_capacity(n);
        for _ in 0..n {
            let mut sub = broker.subscribe_events(&topic).await.unwrap();
            readers.push(tokio::spawn(async move {
                let mut got = 0;
                while got < m {
                    match sub.recv().await {
                        Some(Delivery::Message(_)) => got += 1,
                        other => panic!("unexpected {other:?}"),
                    }
                }
            }));
        }
        let started = Instant::now();
        let publisher = {
            let broker = broker.clone();
            let topic = topic.clone();
            tokio::spawn(async move {
                for id in 0..m as u64 {
                    broker
                        .publish_event(&topic, Tick::Tick { id })
                        .await
                        .unwrap();
                }
            })
        };
        publisher.await.unwrap();
        for reader in readers {
            reader.await.unwrap();
        }
        (n * m) as f64 / started.elapsed().as_secs_f64()
    })
}

/// The same with one `tokio::sync::broadcast` channel.
fn fanout_broadcast(rt: &Runtime, n: usize) -> f64 {
    let m = messages_for(n);
    rt.block_on(async {
        let (tx, _) = broadcast::channel::<Arc<Tick>>(m);
        let mut readers = Vec::with_capacity(n);
        for _ in 0..n {
            let mut rx = tx.subscribe();
            readers.push(tokio::spawn(async move {
                let mut got = 0;
                while got < m {
                    rx.recv().await.unwrap();
                    got += 1;
                }
            }));
        }
        let started = Instant::now();
        let publisher = tokio::spawn(async move {
            for id in 0..m as u64 {
                let _ = tx.send(Arc::new(Tick::Tick { id }));
            }
        });
        publisher.await.unwrap();
        for reader in readers {
            reader.await.unwrap();
        }
        (n * m) as f64 / started.elapsed().as_secs_f64()
    })
}

/// The same with the naive broker.
fn fanout_naive(rt: &Runtime, n: usize) -> f64 {
    let m = messages_for(n);
    rt.block_on(async {
        let broker = NaiveBroker::default();
        let mut readers = Vec::with_capacity(n);
        for _ in 0..n {
            let mut rx = broker.subscribe("bench:fanout");
            readers.push(tokio::spawn(async move {
                let mut got = 0;
                while got < m {
                    rx.recv().await.unwrap();
                    got += 1;
                }
            }));
        }
        let started = Instant::now();
        let publisher = tokio::spawn(async move {
            for id in 0..m as u64 {
                broker.publish("bench:fanout", &Arc::new(Tick::Tick { id }));
            }
        });
        publisher.await.unwrap();
        for reader in readers {
            reader.await.unwrap();
        }
        (n * m) as f64 / started.elapsed().as_secs_f64()
    })
}

/// Random publishes per second over `topics` topics with one subscriber each (capacity 64, so
/// buffers stay small): ours, through the concrete `MemoryBroker` or through `&dyn Broker`.
fn random_publish_ours(rt: &Runtime, topics: usize, publishes: usize, dynamic: bool) -> f64 {
    rt.block_on(async {
        let broker = MemoryBroker::with_capacity(64);
        let names: Vec<Topic> = (0..topics)
            .map(|i| Topic::new(format!("bench:topic:{i}")).unwrap())
            .collect();
        let subs: Vec<_> = names.iter().map(|t| broker.subscribe_now(t)).collect();
        let mut rng = Rng::new(7);
        let picks: Vec<usize> = (0..publishes).map(|_| rng.below(topics)).collect();
        let as_dyn: &dyn Broker = &broker;
        let started = Instant::now();
        if dynamic {
            for &i in &picks {
                as_dyn
                    .publish(&names[i], Message::new(Tick::Tick { id: i as u64 }))
                    .await
                    .unwrap();
            }
        } else {
            for &i in &picks {
                broker
                    .publish(&names[i], Message::new(Tick::Tick { id: i as u64 }))
                    .await
                    .unwrap();
            }
        }
        let rate = publishes as f64 / started.elapsed().as_secs_f64();
        drop(subs);
        rate
    })
}

/// The same with the naive broker.
fn random_publish_naive(rt: &Runtime, topics: usize, publishes: usize) -> f64 {
    rt.block_on(async {
        let broker = NaiveBroker::default();
        let names: Vec<String> = (0..topics).map(|i| format!("bench:topic:{i}")).collect();
        let subs: Vec<_> = names.iter().map(|t| broker.subscribe(t)).collect();
        let mut rng = Rng::new(7);
        let picks: Vec<usize> = (0..publishes).map(|_| rng.below(topics)).collect();
        let started = Instant::now();
        for &i in &picks {
            broker.publish(&names[i], &Arc::new(Tick::Tick { id: i as u64 }));
        }
        let rate = publishes as f64 / started.elapsed().as_secs_f64();
        drop(subs);
        rate
    })
}

/// Nanoseconds per call of `f`, over `iters` calls.
fn per_op(iters: u64, mut f: impl FnMut(u64)) -> f64 {
    let started = Instant::now();
    for i in 0..iters {
        f(i);
    }
    started.elapsed().as_nanos() as f64 / iters as f64
}

fn rounds<T>(count: usize, mut f: impl FnMut() -> T) -> Vec<T> {
    (0..count).map(|_| f()).collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = runtime();
    let mut report =
        Report::new("pubsub-core: MemoryBroker against tokio::sync::broadcast and a naive broker");
    println!("# {}\n", report.title);
    let fanout = fanout_section(&rt, &mut report);
    let random = selected("random").then(|| random_section(&rt, &mut report));
    let empty = selected("empty").then(|| empty_section(&rt, &mut report));
    if selected("churn") {
        churn_section(&mut report);
    }
    let unsubscribe = selected("unsubscribe").then(|| unsubscribe_section(&mut report));

    println!();
    for (n, vs_broadcast, vs_naive) in &fanout {
        let (want_broadcast, want_naive) = if *n == 1 {
            (0.9, None)
        } else {
            (0.8, Some(2.0))
        };
        report.check(
            format!(
                "fan-out at N = {n} at least {want_broadcast}x tokio::sync::broadcast \
                 (median of rounds {:.2}, worst round {:.2})",
                vs_broadcast.median, vs_broadcast.min
            ),
            vs_broadcast.median >= want_broadcast,
        );
        if let Some(want) = want_naive {
            report.check(
                format!(
                    "fan-out at N = {n} at least {want}x the naive broker \
                     (median of rounds {:.2}, worst round {:.2})",
                    vs_naive.median, vs_naive.min
                ),
                vs_naive.median >= want,
            );
        }
    }
    if let Some((topics, ratio)) = random {
        report.check(
            format!(
                "random publishes at {topics} topics at least the naive broker's (got {ratio:.2})"
            ),
            ratio >= 1.0,
        );
    }
    if let Some((wide_n, ratio)) = unsubscribe {
        report.check(
            format!("unsubscribe cost flat: {wide_n} topics within 1.5x of 1,000 topics (got {ratio:.2})"),
            ratio <= 1.5,
        );
    }
    if let Some((now, via_trait)) = empty {
        report.check(
            format!(
                "publish with no subscribers within 2x of a HashMap lookup \
                 (publish_now {now:.2}, dyn Broker {via_trait:.2})"
            ),
            now <= 2.0,
        );
    }
    report.save("broker");
}

fn rounds_n() -> usize {
    if quick() { 3 } else { 5 }
}

/// Fan-out to N subscribers of one topic; returns, per N, the spreads of the per-round ratios
/// ours/broadcast and ours/naive.
fn fanout_section(rt: &Runtime, report: &mut Report) -> Vec<(usize, Spread, Spread)> {
    let mut spreads = Vec::new();
    for n in [1, 100, 1_000, 10_000] {
        if !selected(&format!("fanout{n}")) {
            continue;
        }
        let (mut ours, mut raw, mut naive) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds_n() {
            // Interleave designs so drift on the machine hits all alike.
            ours.push(fanout_ours(rt, n));
            raw.push(fanout_broadcast(rt, n));
            naive.push(fanout_naive(rt, n));
        }
        let vs_broadcast = Spread::of(&ratios(&ours, &raw));
        let vs_naive = Spread::of(&ratios(&ours, &naive));
        let (o, r, v) = (median(&mut ours), median(&mut raw), median(&mut naive));
        report.row(
            format!("fan-out, 1 topic, N = {n}"),
            "deliveries/s",
            vec![("ours", o), ("broadcast", r), ("naive", v)],
            format!(
                "ours/broadcast {vs_broadcast}, ours/naive {vs_naive} (median [min-max] of {} rounds)",
                rounds_n()
            ),
        );
        spreads.push((n, vs_broadcast, vs_naive));
    }
    spreads
}

/// Random publishes over many topics with one subscriber each; returns (topics, ours/naive).
fn random_section(rt: &Runtime, report: &mut Report) -> (usize, f64) {
    let topics = if quick() { 10_000 } else { 100_000 };
    let publishes = if quick() { 200_000 } else { 1_000_000 };
    let (mut ours, mut dynamic, mut naive) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds_n() {
        ours.push(random_publish_ours(rt, topics, publishes, false));
        dynamic.push(random_publish_ours(rt, topics, publishes, true));
        naive.push(random_publish_naive(rt, topics, publishes));
    }
    let spread = Spread::of(&ratios(&ours, &naive));
    let (o, d, v) = (median(&mut ours), median(&mut dynamic), median(&mut naive));
    report.row(
        format!("random publishes, {topics} topics x 1 subscriber"),
        "publishes/s",
        vec![
            ("ours MemoryBroker", o),
            ("ours via dyn Broker", d),
            ("naive", v),
        ],
        format!("ours/naive {spread}, dyn/naive {:.2}", d / v),
    );
    (topics, spread.median)
}

/// Publishing to a topic nobody holds, against a plain `HashMap<String, _>` lookup; returns the
/// ratios (`publish_now` / lookup, `dyn Broker` / lookup).
fn empty_section(rt: &Runtime, report: &mut Report) -> (f64, f64) {
    let broker = MemoryBroker::new();
    let _warm: Vec<_> = (0..1_000)
        .map(|i| broker.subscribe_now(&Topic::new(format!("bench:warm:{i}")).unwrap()))
        .collect();
    let empty = Topic::new("bench:nobody:here").unwrap();
    let message = Message::new(Tick::Tick { id: 0 });
    let map: std::collections::HashMap<String, Vec<u64>> = (0..1_000)
        .map(|i| (format!("bench:warm:{i}"), vec![i]))
        .collect();
    let iters = if quick() { 1_000_000 } else { 10_000_000 };
    let mut now_ns = rounds(rounds_n(), || {
        per_op(iters, |_| {
            black_box(broker.publish_now(black_box(&empty), &message));
        })
    });
    let mut trait_ns = rounds(rounds_n(), || {
        rt.block_on(async {
            let dynamic: &dyn Broker = &broker;
            let started = Instant::now();
            for _ in 0..iters {
                dynamic
                    .publish(black_box(&empty), message.clone())
                    .await
                    .unwrap();
            }
            started.elapsed().as_nanos() as f64 / iters as f64
        })
    });
    let mut map_ns = rounds(rounds_n(), || {
        per_op(iters, |_| {
            black_box(map.get(black_box(empty.as_str())));
        })
    });
    let now_spread = Spread::of(&ratios(&now_ns, &map_ns));
    let (now, via_trait, lookup) = (
        median(&mut now_ns),
        median(&mut trait_ns),
        median(&mut map_ns),
    );
    report.row(
        "publish to a topic with no subscribers",
        "ns/op",
        vec![
            ("ours publish_now", now),
            ("ours via dyn Broker", via_trait),
            ("HashMap<String,_> get", lookup),
        ],
        format!(
            "publish_now/lookup {now_spread}, dyn/lookup {:.2}",
            via_trait / lookup
        ),
    );
    (now / lookup, via_trait / lookup)
}

/// Subscribe + drop on a topic that keeps one other subscriber.
fn churn_section(report: &mut Report) {
    let iters = if quick() { 200_000 } else { 1_000_000 };
    let broker = MemoryBroker::new();
    let hot = Topic::new("bench:churn").unwrap();
    let _anchor = broker.subscribe_now(&hot);
    let mut ours = rounds(rounds_n(), || {
        per_op(iters, |_| drop(black_box(broker.subscribe_now(&hot))))
    });
    let (tx, _rx) = broadcast::channel::<Arc<Tick>>(64);
    let mut raw = rounds(rounds_n(), || {
        per_op(iters, |_| drop(black_box(tx.subscribe())))
    });
    let naive = NaiveBroker::default();
    let _naive_anchor = naive.subscribe("bench:churn");
    let mut naive_ns = rounds(rounds_n(), || {
        per_op(iters, |_| {
            drop(black_box(naive.subscribe("bench:churn")));
            naive.cleanup("bench:churn");
        })
    });
    let vs_naive = Spread::of(&ratios(&ours, &naive_ns));
    let (o, r, v) = (median(&mut ours), median(&mut raw), median(&mut naive_ns));
    report.row(
        "subscribe + drop (topic has 1 other subscriber)",
        "ns/op",
        vec![("ours", o), ("broadcast", r), ("naive", v)],
        format!("ours/broadcast {:.2}, ours/naive {vs_naive}", o / r),
    );
}

/// Unsubscribe + resubscribe one topic of a subscription holding 1, 1,000 or 100,000 topics, all
/// in one registry; returns (largest size, largest / 1,000).
fn unsubscribe_section(report: &mut Report) -> (usize, f64) {
    let wide_n = if quick() { 10_000 } else { 100_000 };
    let iters = if quick() { 100_000 } else { 1_000_000 };
    let broker = MemoryBroker::new();
    let mut results = Vec::new();
    let mut keep = Vec::new();
    for (size, label) in [
        (1, "1 topic"),
        (1_000, "1,000 topics"),
        (wide_n, "many topics"),
    ] {
        let topics: Vec<Topic> = (0..size)
            .map(|i| Topic::new(format!("bench:wide:{size}:{i}")).unwrap())
            .collect();
        let mut sub = broker.subscribe_now(&topics[0]);
        for t in &topics[1..] {
            broker.add_topic_now(&mut sub, t).unwrap();
        }
        keep.push((sub, topics[size / 2].clone(), label));
    }
    for (sub, probe, label) in &mut keep {
        let mut ns = rounds(rounds_n(), || {
            per_op(iters, |_| {
                broker.remove_topic(sub, probe);
                broker.add_topic_now(sub, probe).unwrap();
            })
        });
        results.push((*label, median(&mut ns)));
    }
    let (one, thousand, wide) = (results[0].1, results[1].1, results[2].1);
    report.row(
        format!(
            "unsubscribe + resubscribe one topic of a subscription of 1 / 1,000 / {wide_n} topics"
        ),
        "ns/op",
        results,
        format!(
            "{wide_n}/1,000 {:.2}, {wide_n}/1 {:.2}",
            wide / thousand,
            wide / one
        ),
    );
    (wide_n, wide / thousand)
}
