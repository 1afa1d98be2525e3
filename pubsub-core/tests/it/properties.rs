//! Property tests of the core's invariants: exact delivery accounting, no cross-topic leakage,
//! registry cleanup, and no deadlock or loss under concurrency.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use pubsub_core::testing::TestEvent;
use pubsub_core::{Delivery, MemoryBroker, Message, Subscription, Topic, TryRecvError};

const TOPICS: usize = 4;
const SUBS: usize = 4;

fn topics() -> Vec<Topic> {
    (0..TOPICS)
        .map(|i| Topic::new(format!("prop:{i}")).unwrap())
        .collect()
}

fn numbered(seq: u64, topic: usize) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: topic.to_string(),
    })
}

/// What a subscriber sees, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Message { seq: u64, topic: usize },
    Lagged(u64),
}

fn seen(delivery: Delivery<Message>) -> Seen {
    match delivery {
        Delivery::Message(m) => {
            let TestEvent::Numbered { seq, label } = &*m.decode::<TestEvent>().unwrap();
            Seen::Message {
                seq: *seq,
                topic: label.parse().unwrap(),
            }
        }
        Delivery::Lagged(n) => Seen::Lagged(n),
        Delivery::Gap => panic!("no gaps in memory"),
    }
}

/// A reference model of one subscription's bounded buffer: a shared stage publishers push to,
/// and the subscriber's hand, which takes the whole shared stage at once. Both stages together
/// hold at most `capacity`; when full, the oldest of the shared stage is dropped, or the incoming
/// message when everything is in hand. The lag notice comes when the hand is empty, as the
/// shared stage is taken: exactly where the dropped messages were, and with the messages after
/// them already in hand.
#[derive(Debug, Default)]
struct ModelQueue {
    shared: VecDeque<Seen>,
    hand: VecDeque<Seen>,
    missed: u64,
}

impl ModelQueue {
    fn push(&mut self, item: Seen, capacity: usize) {
        if self.shared.len() + self.hand.len() >= capacity {
            self.missed += 1;
            if self.shared.pop_front().is_none() {
                return;
            }
        }
        self.shared.push_back(item);
    }

    fn pop(&mut self) -> Option<Seen> {
        if let Some(item) = self.hand.pop_front() {
            return Some(item);
        }
        if self.missed > 0 {
            // The notice and the messages after the hole are taken together: the next receive
            // yields a message, however many are dropped meanwhile.
            std::mem::swap(&mut self.shared, &mut self.hand);
            return Some(Seen::Lagged(std::mem::take(&mut self.missed)));
        }
        std::mem::swap(&mut self.shared, &mut self.hand);
        self.hand.pop_front()
    }

    fn buffered(&self) -> usize {
        self.shared.len() + self.hand.len()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Publish { topic: usize, from: Option<usize> },
    Receive { sub: usize, count: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..TOPICS, proptest::option::weighted(0.2, 0..SUBS))
            .prop_map(|(topic, from)| Op::Publish { topic, from }),
        1 => (0..SUBS, 0..6usize).prop_map(|(sub, count)| Op::Receive { sub, count }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// (a) received + reported-lagged == published to it, per subscriber, in order, and every
    /// delivery (including where a lag notice falls) is exactly what a drop-oldest buffer gives.
    /// (b) no message reaches a subscriber of another topic, or its own origin.
    #[test]
    fn deliveries_match_a_drop_oldest_model_exactly(
        capacity in 1usize..12,
        holdings in proptest::collection::vec(proptest::bits::u8::between(0, TOPICS), SUBS),
        ops in proptest::collection::vec(op(), 0..200),
    ) {
        let broker = MemoryBroker::with_capacity(capacity);
        let topics = topics();
        let mut subs: Vec<Option<Subscription>> = Vec::new();
        for mask in &holdings {
            let held: Vec<&Topic> = (0..TOPICS).filter(|t| mask & (1 << t) != 0).map(|t| &topics[t]).collect();
            let sub = held.split_first().map(|(first, rest)| {
                let mut sub = broker.subscribe_now(first);
                for t in rest {
                    broker.add_topic_now(&mut sub, t).unwrap();
                }
                sub
            });
            subs.push(sub);
        }
        let mut models: Vec<ModelQueue> = (0..SUBS).map(|_| ModelQueue::default()).collect();
        let mut published_to = [0u64; SUBS];
        let mut accounted = [0u64; SUBS];
        let mut last_seq = [None::<u64>; SUBS];
        let mut check = |i: usize, got: Seen, want: Option<Seen>, accounted: &mut [u64; SUBS]| {
            prop_assert_eq!(Some(got.clone()), want);
            match got {
                Seen::Lagged(n) => accounted[i] += n,
                Seen::Message { seq, topic } => {
                    accounted[i] += 1;
                    prop_assert!(holdings[i] & (1 << topic) != 0, "leak to another topic's subscriber");
                    prop_assert!(last_seq[i].is_none_or(|last| seq > last), "out of order");
                    last_seq[i] = Some(seq);
                }
            }
            Ok(())
        };
        for (seq, op) in (0u64..).zip(ops) {
            match op {
                Op::Publish { topic, from } => {
                    let mut message = numbered(seq, topic);
                    if let Some(Some(origin)) = from.map(|f| subs[f].as_ref()) {
                        message = message.with_origin(origin.id());
                    }
                    broker.publish_now(&topics[topic], &message);
                    for i in 0..SUBS {
                        if holdings[i] & (1 << topic) != 0 && from != Some(i) {
                            models[i].push(Seen::Message { seq, topic }, capacity);
                            published_to[i] += 1;
                            prop_assert!(models[i].buffered() <= capacity);
                            let notices = usize::from(models[i].missed > 0);
                            prop_assert_eq!(
                                subs[i].as_ref().map(Subscription::len),
                                Some(models[i].buffered() + notices),
                                "buffered never exceeds capacity"
                            );
                        }
                    }
                }
                Op::Receive { sub, count } => {
                    for _ in 0..count {
                        let want = models[sub].pop();
                        let got = subs[sub].as_mut().map(Subscription::try_recv);
                        if let Some(Ok(delivery)) = got {
                            check(sub, seen(delivery), want, &mut accounted)?;
                        } else {
                            prop_assert_eq!(want, None);
                        }
                    }
                }
            }
        }
        for i in 0..SUBS {
            while let Some(Ok(delivery)) = subs[i].as_mut().map(Subscription::try_recv) {
                let want = models[i].pop();
                check(i, seen(delivery), want, &mut accounted)?;
            }
            prop_assert_eq!(models[i].pop(), None);
            prop_assert_eq!(accounted[i], published_to[i], "received + lagged == published");
        }
    }

    /// (c) the registry always matches the live subscriptions, and is empty once all are gone.
    #[test]
    fn registry_tracks_live_subscriptions_and_ends_empty(
        ops in proptest::collection::vec((0..3u8, 0..SUBS, 0..TOPICS), 0..120),
    ) {
        let broker = MemoryBroker::new();
        let topics = topics();
        let mut subs: Vec<Option<Subscription>> = (0..SUBS).map(|_| None).collect();
        let mut model: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); SUBS];
        for (kind, s, t) in ops {
            match kind {
                0 => match &mut subs[s] {
                    Some(sub) => broker.add_topic_now(sub, &topics[t]).unwrap(),
                    slot @ None => *slot = Some(broker.subscribe_now(&topics[t])),
                },
                1 => {
                    if let Some(sub) = &mut subs[s] {
                        use pubsub_core::Broker;
                        let held = model[s].contains(&t);
                        prop_assert_eq!(broker.remove_topic(sub, &topics[t]), held);
                        model[s].remove(&t);
                    }
                    continue;
                }
                _ => {
                    subs[s] = None;
                    model[s].clear();
                    continue;
                }
            }
            model[s].insert(t);
            for (t, topic) in topics.iter().enumerate() {
                let expected = model.iter().filter(|held| held.contains(&t)).count();
                prop_assert_eq!(broker.subscriber_count(topic), expected);
            }
            let live: BTreeSet<usize> = model.iter().flatten().copied().collect();
            prop_assert_eq!(broker.topic_count(), live.len());
        }
        drop(subs);
        prop_assert_eq!(broker.topic_count(), 0);
        prop_assert_eq!(broker.stats().subscriptions, 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// (d) publishers, subscribers and drops on many tasks of a multi-thread runtime never
    /// deadlock, and every message published after a subscription took effect reaches it.
    #[test]
    fn concurrent_publish_subscribe_and_drop_never_deadlock_or_lose(
        publishers in 1usize..5,
        subscribers in 1usize..6,
        rounds in 1usize..20,
        per_round in 1u64..40,
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let outcome = runtime.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(20),
                concurrent_run(publishers, subscribers, rounds, per_round),
            )
            .await
        });
        prop_assert!(outcome.is_ok(), "deadlock: the run did not finish in 20 s");
        let broker = outcome.unwrap();
        prop_assert_eq!(broker.topic_count(), 0);
    }
}

async fn concurrent_run(
    publishers: usize,
    subscribers: usize,
    rounds: usize,
    per_round: u64,
) -> MemoryBroker {
    // Large enough that nothing lags, so every message after subscribe must arrive.
    let broker = MemoryBroker::with_capacity(1 << 16);
    let topics = Arc::new(topics());
    // started[t]: how many publishes to topic t have begun; a publish takes its number first.
    let started: Arc<Vec<AtomicU64>> = Arc::new((0..TOPICS).map(|_| AtomicU64::new(0)).collect());
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let (broker, topics, started, done) = (
            broker.clone(),
            topics.clone(),
            started.clone(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..rounds * usize::try_from(per_round).unwrap() {
                let t = (p + i) % TOPICS;
                let seq = started[t].fetch_add(1, Ordering::SeqCst);
                broker.publish_now(&topics[t], &numbered(seq, t));
                if i % 8 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    let total_publishers = publishers as u64;
    for s in 0..subscribers {
        let (broker, topics, started, done) = (
            broker.clone(),
            topics.clone(),
            started.clone(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut round = 0;
            loop {
                let t = (s + round) % TOPICS;
                let mut sub = broker.subscribe_now(&topics[t]);
                // Every publish numbered from here on began after the subscription took effect.
                let from = started[t].load(Ordering::SeqCst);
                let finished = done.load(Ordering::SeqCst) == total_publishers;
                let mut received = BTreeSet::new();
                // Read for a while (this round), or everything once publishers are done.
                let budget = if finished { usize::MAX } else { 20 };
                for _ in 0..budget {
                    match sub.try_recv() {
                        Ok(Delivery::Message(m)) => {
                            let TestEvent::Numbered { seq, .. } =
                                &*m.decode::<TestEvent>().unwrap();
                            received.insert(*seq);
                        }
                        Ok(other) => panic!("unexpected {other:?}"),
                        Err(TryRecvError::Closed) => unreachable!("the broker is alive"),
                        Err(TryRecvError::Empty) if finished => break,
                        Err(TryRecvError::Empty) => tokio::task::yield_now().await,
                    }
                }
                let upto = started[t].load(Ordering::SeqCst);
                if finished {
                    let missing: Vec<u64> =
                        (from..upto).filter(|q| !received.contains(q)).collect();
                    assert!(
                        missing.is_empty(),
                        "subscriber lost {missing:?} on topic {t}"
                    );
                    return;
                }
                drop(sub);
                round += 1;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    broker
}
