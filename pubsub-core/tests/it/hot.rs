//! Hot topics: from the broker's hot threshold on, a topic's messages are written once into a
//! shared ring that every subscriber reads. The promises stay those of the per-subscription
//! path: order, exact lag counts, `publish_from`, no duplicate, no leak, the end of the stream.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use proptest::prelude::*;
use pubsub_core::testing::{TestEvent, next_numbered};
use pubsub_core::{Broker, Delivery, MemoryBroker, Message, Topic, TryRecvError};

fn msg(seq: u64, label: &str) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: label.to_owned(),
    })
}

fn seq_of(delivery: &Delivery<Message>) -> Option<u64> {
    match delivery {
        Delivery::Message(m) => {
            let TestEvent::Numbered { seq, .. } = &*m.decode::<TestEvent>().unwrap();
            Some(*seq)
        }
        _ => None,
    }
}

fn drain(sub: &mut pubsub_core::Subscription) -> Vec<Delivery<Message>> {
    let mut out = Vec::new();
    while let Ok(d) = sub.try_recv() {
        out.push(d);
    }
    out
}

fn seqs(deliveries: &[Delivery<Message>]) -> Vec<u64> {
    deliveries.iter().filter_map(seq_of).collect()
}

fn hot_broker(capacity: usize, threshold: usize) -> MemoryBroker {
    MemoryBroker::builder()
        .capacity(capacity)
        .hot_threshold(threshold)
        .build()
}

#[test]
fn a_topic_turning_hot_keeps_each_subscribers_order_and_loses_nothing() {
    let broker = hot_broker(64, 4);
    let t = Topic::new("projects:all").unwrap();
    let mut early = broker.subscribe_now(&t);
    for i in 0..5 {
        broker.publish_now(&t, &msg(i, "cold"));
    }
    // Three more subscribers: the fourth turns the topic hot.
    let mut late: Vec<_> = (0..3).map(|_| broker.subscribe_now(&t)).collect();
    for i in 5..10 {
        assert_eq!(broker.publish_now(&t, &msg(i, "hot")), 4);
    }
    assert_eq!(seqs(&drain(&mut early)), (0..10).collect::<Vec<_>>());
    for sub in &mut late {
        let got = drain(sub);
        assert_eq!(seqs(&got), (5..10).collect::<Vec<_>>());
        assert_eq!(got.len(), 5, "no notice, no duplicate: {got:?}");
    }
}

#[test]
fn a_hot_reader_that_lags_is_told_exactly_then_gets_the_newest_capacity() {
    let broker = hot_broker(8, 1);
    let t = Topic::new("hot:lag").unwrap();
    let mut slow = broker.subscribe_now(&t);
    for i in 0..100 {
        broker.publish_now(&t, &msg(i, "p"));
    }
    assert_eq!(slow.len(), 9, "a notice and the eight kept");
    let got = drain(&mut slow);
    assert_eq!(got[0], Delivery::Lagged(92));
    assert_eq!(seqs(&got[1..]), (92..100).collect::<Vec<_>>());
    assert_eq!(broker.stats().lagged, 92);
}

#[test]
fn after_a_lag_notice_a_hot_reader_gets_a_message_however_fast_the_publisher_drops() {
    let broker = hot_broker(4, 1);
    let t = Topic::new("hot:flood").unwrap();
    let mut sub = broker.subscribe_now(&t);
    let (mut received, mut missed, mut published) = (0u64, 0u64, 0u64);
    for _ in 0..1_000 {
        for _ in 0..10 {
            broker.publish_now(&t, &msg(published, "p"));
            published += 1;
        }
        // One receive per ten publishes: always behind.
        match sub.try_recv().unwrap() {
            Delivery::Lagged(n) => {
                missed += n;
                // The very next receive is a message, though ten more were dropped since.
                for _ in 0..10 {
                    broker.publish_now(&t, &msg(published, "p"));
                    published += 1;
                }
                assert!(matches!(sub.try_recv(), Ok(Delivery::Message(_))));
                received += 1;
            }
            Delivery::Message(_) => received += 1,
            Delivery::Gap => unreachable!(),
        }
    }
    for delivery in drain(&mut sub) {
        match delivery {
            Delivery::Lagged(n) => missed += n,
            _ => received += 1,
        }
    }
    assert_eq!(received + missed, published);
    assert!(received >= 1_000, "{received} messages for {missed} missed");
}

#[test]
fn publish_from_skips_the_sender_on_a_hot_topic_only() {
    let broker = hot_broker(16, 1);
    let t = Topic::new("hot:from").unwrap();
    let mut sender = broker.subscribe_now(&t);
    let mut other = broker.subscribe_now(&t);
    assert_eq!(
        broker.publish_now(&t, &msg(1, "from").with_origin(sender.id())),
        1
    );
    broker.publish_now(&t, &msg(2, "all"));
    assert_eq!(seqs(&drain(&mut sender)), [2]);
    assert_eq!(seqs(&drain(&mut other)), [1, 2]);
}

#[test]
fn removing_and_adding_a_hot_topic_again_never_duplicates_or_loses() {
    let broker = hot_broker(64, 2);
    let (t, u) = (Topic::new("hot:t").unwrap(), Topic::new("hot:u").unwrap());
    let mut sub = broker.subscribe_now(&u);
    broker.add_topic_now(&mut sub, &t).unwrap();
    let _other = broker.subscribe_now(&t); // t turns hot: sub gets a join in its queue
    broker.publish_now(&t, &msg(1, "t"));
    // Before the join is read: remove t, then add it again.
    assert!(broker.remove_topic(&mut sub, &t));
    broker.add_topic_now(&mut sub, &t).unwrap();
    broker.publish_now(&t, &msg(2, "t"));
    assert_eq!(
        seqs(&drain(&mut sub)),
        [2],
        "1 was published while t was removed"
    );
    // Dropping everyone else and coming back cold, with a stale join in flight.
    let mut again = broker.subscribe_now(&u);
    broker.add_topic_now(&mut again, &t).unwrap();
    broker.publish_now(&t, &msg(3, "t"));
    assert_eq!(seqs(&drain(&mut sub)), [3]);
    assert_eq!(seqs(&drain(&mut again)), [3]);
}

#[test]
fn gap_notices_reach_every_reader_of_a_hot_topic_in_place() {
    let node = pubsub_core::backend::Node::builder()
        .hot_threshold(1)
        .build();
    let t = Topic::new("hot:gap").unwrap();
    let mut a = node.subscribe(&t).unwrap();
    let mut b = node.subscribe(&t).unwrap();
    node.deliver(&t, &msg(1, "p"));
    assert_eq!(node.notify_gap(&t), 2);
    node.deliver(&t, &msg(2, "p"));
    for sub in [&mut a, &mut b] {
        let got = drain(sub);
        assert_eq!(seq_of(&got[0]), Some(1));
        assert_eq!(got[1], Delivery::Gap);
        assert_eq!(seq_of(&got[2]), Some(2));
    }
}

#[tokio::test]
async fn hot_readers_end_after_their_ring_when_the_broker_is_dropped() {
    let broker = hot_broker(64, 1);
    let t = Topic::new("hot:end").unwrap();
    let mut sub = broker.subscribe(&t).await.unwrap();
    broker.publish(&t, msg(1, "p")).await.unwrap();
    let waiter = {
        let mut waiting = broker.subscribe(&t).await.unwrap();
        tokio::spawn(async move {
            let first = waiting.recv().await;
            (first, waiting.recv().await)
        })
    };
    tokio::task::yield_now().await;
    broker.publish(&t, msg(2, "p")).await.unwrap();
    drop(broker);
    assert_eq!(next_numbered(&mut sub).await.0, 1);
    assert_eq!(next_numbered(&mut sub).await.0, 2);
    assert_eq!(sub.recv().await, None);
    assert!(futures_util::stream::FusedStream::is_terminated(&sub));
    let (first, end) = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiting hot reader was not woken")
        .unwrap();
    assert_eq!(first.as_ref().and_then(seq_of), Some(2));
    assert_eq!(end, None);
}

#[test]
fn a_hot_topic_leaves_no_trace_once_its_last_subscriber_goes() {
    let broker = hot_broker(8, 2);
    let t = Topic::new("hot:gone").unwrap();
    let subs: Vec<_> = (0..10).map(|_| broker.subscribe_now(&t)).collect();
    broker.publish_now(&t, &msg(1, "p"));
    drop(subs);
    assert_eq!(broker.topic_count(), 0);
    let mut fresh = broker.subscribe_now(&t);
    assert_eq!(
        fresh.try_recv(),
        Err(TryRecvError::Empty),
        "nothing old replayed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_to_a_hot_topic_keep_per_publisher_order_and_exact_counts() {
    const PUBLISHERS: u64 = 4;
    const EACH: u64 = 5_000;
    let broker = hot_broker(256, 1);
    let t = Topic::new("hot:many").unwrap();
    let mut readers = Vec::new();
    for r in 0..6 {
        let mut sub = broker.subscribe(&t).await.unwrap();
        readers.push(tokio::spawn(async move {
            let mut last: BTreeMap<String, u64> = BTreeMap::new();
            let (mut received, mut missed) = (0u64, 0u64);
            while received + missed < PUBLISHERS * EACH {
                match sub.recv().await.expect("stream ended early") {
                    Delivery::Message(m) => {
                        let TestEvent::Numbered { seq, label } = &*m.decode::<TestEvent>().unwrap();
                        if let Some(previous) = last.insert(label.clone(), *seq) {
                            assert!(*seq > previous, "reader {r}: {label} out of order");
                        }
                        received += 1;
                    }
                    Delivery::Lagged(n) => missed += n,
                    Delivery::Gap => panic!("no gap"),
                }
                if r % 2 == 0 && received % 64 == 0 {
                    tokio::task::yield_now().await; // some readers slower than others
                }
            }
            (received, missed)
        }));
    }
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let (broker, t) = (broker.clone(), t.clone());
        publishers.push(tokio::spawn(async move {
            for i in 0..EACH {
                broker.publish(&t, msg(i, &format!("p{p}"))).await.unwrap();
                if i % 100 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for p in publishers {
        p.await.unwrap();
    }
    for r in readers {
        let (received, missed) = tokio::time::timeout(Duration::from_secs(30), r)
            .await
            .expect("a reader hung")
            .unwrap();
        assert_eq!(received + missed, PUBLISHERS * EACH);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Any mix of cold and hot topics, subscriptions of several topics, publishes (some from a
    /// subscriber), receives, removals and re-adds: per (subscription, topic) the messages come
    /// in publish order, each at most once, only while held, and received + lagged == published
    /// to it; buffered never exceeds the capacity per source.
    #[test]
    fn hot_and_cold_topics_deliver_in_order_once_with_exact_counts(
        capacity in 1usize..10,
        threshold in 1usize..4,
        ops in proptest::collection::vec((0..5u8, 0..4usize, 0..3usize, any::<bool>()), 1..120),
    ) {
        let broker = hot_broker(capacity, threshold);
        let topics: Vec<Topic> = (0..3).map(|i| Topic::new(format!("p:{i}")).unwrap()).collect();
        let mut subs: Vec<pubsub_core::Subscription> =
            (0..4).map(|i| broker.subscribe_now(&topics[i % 3])).collect();
        // Expected per sub: which topics it holds, what was published to it, what it got.
        let mut held: Vec<[bool; 3]> = (0..4).map(|i| { let mut h = [false; 3]; h[i % 3] = true; h }).collect();
        let mut last: BTreeMap<(usize, usize), u64> = BTreeMap::new();
        let mut published = [0u64; 4];
        let mut accounted = [0u64; 4];
        let mut seq = 0u64;
        let mut check = |s: usize, d: Delivery<Message>, accounted: &mut [u64; 4]| -> Result<(), TestCaseError> {
            match d {
                Delivery::Message(m) => {
                    let TestEvent::Numbered { seq, label } = &*m.decode::<TestEvent>().unwrap();
                    let topic: usize = label.parse().unwrap();
                    if let Some(previous) = last.insert((s, topic), *seq) {
                        prop_assert!(*seq > previous, "sub {} topic {} out of order or twice", s, topic);
                    }
                    accounted[s] += 1;
                }
                Delivery::Lagged(n) => accounted[s] += n,
                Delivery::Gap => prop_assert!(false, "no gap"),
            }
            Ok(())
        };
        for (kind, s, t, from) in ops {
            match kind {
                0 | 1 => {
                    seq += 1;
                    let mut message = msg(seq, &t.to_string());
                    if from {
                        message = message.with_origin(subs[s].id());
                    }
                    broker.publish_now(&topics[t], &message);
                    for (i, h) in held.iter().enumerate() {
                        if h[t] && !(from && i == s) {
                            published[i] += 1;
                        }
                    }
                }
                2 => {
                    for _ in 0..3 {
                        match subs[s].try_recv() {
                            Ok(d) => check(s, d, &mut accounted)?,
                            Err(_) => break,
                        }
                    }
                }
                3 => {
                    broker.add_topic_now(&mut subs[s], &topics[t]).unwrap();
                    held[s][t] = true;
                }
                _ => {
                    // Removing a topic drops what is still buffered of it only if the
                    // subscriber never receives it; drain first so the counts stay exact.
                    while let Ok(d) = subs[s].try_recv() {
                        check(s, d, &mut accounted)?;
                    }
                    if subs[s].topic_count() > 1 && broker.remove_topic(&mut subs[s], &topics[t]) {
                        held[s][t] = false;
                    }
                }
            }
        }
        for s in 0..4 {
            while let Ok(d) = subs[s].try_recv() {
                check(s, d, &mut accounted)?;
            }
            prop_assert_eq!(accounted[s], published[s], "sub {}: received + lagged == published", s);
        }
        let _ = capacity;
    }
}

fn show(deliveries: &[Delivery<Message>]) -> Vec<String> {
    deliveries
        .iter()
        .map(|d| match d {
            Delivery::Message(_) => format!("m{}", seq_of(d).unwrap_or(0)),
            Delivery::Lagged(n) => format!("lag{n}"),
            Delivery::Gap => "gap".to_owned(),
        })
        .collect()
}

#[test]
fn a_join_still_queued_when_the_broker_goes_is_still_read() {
    for threshold in [usize::MAX, 2] {
        let broker = hot_broker(64, threshold);
        let t = Topic::new("hot:join-at-end").unwrap();
        let mut first = broker.subscribe_now(&t);
        let _second = broker.subscribe_now(&t); // at 2 the topic turns hot: first gets a join
        broker.publish_now(&t, &msg(1, "p"));
        drop(broker);
        assert_eq!(show(&drain(&mut first)), ["m1"], "threshold {threshold}");
    }
}

#[test]
fn a_dropped_gap_marker_is_given_as_a_gap_and_not_counted_as_missed_messages() {
    for threshold in [usize::MAX, 1] {
        let node = pubsub_core::backend::Node::builder()
            .capacity(2)
            .hot_threshold(threshold)
            .build();
        let t = Topic::new("hot:dropped-gap").unwrap();
        let mut sub = node.subscribe(&t).unwrap();
        node.notify_gap(&t);
        node.notify_gap(&t); // merges with the first, on both paths
        for i in 1..=3 {
            node.deliver(&t, &msg(i, "p"));
        }
        assert_eq!(
            show(&drain(&mut sub)),
            ["gap", "lag1", "m2", "m3"],
            "threshold {threshold}"
        );
    }
}

#[test]
fn own_publish_from_entries_take_room_in_a_hot_ring_but_are_never_counted_as_missed() {
    let broker = hot_broker(4, 1);
    let t = Topic::new("hot:own-room").unwrap();
    let mut me = broker.subscribe_now(&t);
    let _other = broker.subscribe_now(&t);
    for i in 1..=4 {
        broker.publish_now(&t, &msg(i, "other"));
    }
    for i in 5..=8 {
        broker.publish_now(&t, &msg(i, "own").with_origin(me.id()));
    }
    // The ring's window holds the last four entries, all mine: the other four are missed, and
    // only they are counted.
    assert_eq!(show(&drain(&mut me)), ["lag4"]);
}

#[test]
fn len_does_not_count_the_subscriptions_own_entries_on_a_hot_topic() {
    let broker = hot_broker(8, 1);
    let t = Topic::new("hot:len").unwrap();
    let mut me = broker.subscribe_now(&t);
    broker.publish_now(&t, &msg(1, "own").with_origin(me.id()));
    broker.publish_now(&t, &msg(2, "other"));
    assert_eq!(me.len(), 1);
    assert_eq!(show(&drain(&mut me)), ["m2"]);
    assert!(me.is_empty());
}

#[test]
fn a_join_in_hand_does_not_count_against_the_capacity() {
    for threshold in [usize::MAX, 2] {
        let broker = hot_broker(2, threshold);
        let (t, u) = (Topic::new("hot:t").unwrap(), Topic::new("hot:u").unwrap());
        let mut sub = broker.subscribe_now(&u);
        broker.add_topic_now(&mut sub, &t).unwrap();
        broker.publish_now(&u, &msg(1, "u"));
        let _other = broker.subscribe_now(&t); // hot at 2: a join after m1
        broker.publish_now(&u, &msg(2, "u"));
        let mut got = vec![sub.try_recv().unwrap()]; // m1; the hand holds [join, m2]
        broker.publish_now(&u, &msg(3, "u")); // one message held, capacity 2
        got.extend(drain(&mut sub));
        assert_eq!(show(&got), ["m1", "m2", "m3"], "threshold {threshold}");
    }
}

struct Counting;

impl Wake for Counting {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn a_quiet_hot_topic_keeps_at_most_one_waker_per_live_subscription() {
    let broker = hot_broker(8, 1);
    let t = Topic::new("hot:quiet").unwrap();
    let _keep = broker.subscribe_now(&t);
    let first = Arc::new(Counting);
    let waker = Waker::from(Arc::clone(&first));
    for _ in 0..10_000 {
        let mut sub = broker.subscribe_now(&t);
        assert!(matches!(
            sub.poll_recv(&mut Context::from_waker(&waker)),
            Poll::Pending
        ));
    }
    // Only this test's own handle and `waker` itself: the dropped subscriptions left none.
    assert_eq!(Arc::strong_count(&first), 2);
    // One subscription polled from two tasks in turn keeps one waker, the latest.
    let second = Arc::new(Counting);
    let other = Waker::from(Arc::clone(&second));
    let mut sub = broker.subscribe_now(&t);
    for _ in 0..5_000 {
        let _ = sub.poll_recv(&mut Context::from_waker(&waker));
        let _ = sub.poll_recv(&mut Context::from_waker(&other));
    }
    assert_eq!(Arc::strong_count(&first), 2);
    // The test's handle, `other`, and the latest waker listed once in the ring and once in the
    // subscription's own queue.
    assert_eq!(Arc::strong_count(&second), 4);
}

#[test]
fn a_subscription_that_leaves_and_rejoins_a_hot_topic_counts_only_its_new_own_entries() {
    // Found by the proptest: own entries from before leaving were counted again after rejoining.
    let broker = hot_broker(2, 1);
    let (t, u) = (Topic::new("hot:t").unwrap(), Topic::new("hot:u").unwrap());
    let mut other = broker.subscribe_now(&t);
    let mut me = broker.subscribe_now(&u);
    broker.add_topic_now(&mut me, &t).unwrap();
    broker.publish_now(&t, &msg(1, "own").with_origin(me.id()));
    assert!(broker.remove_topic(&mut me, &t));
    broker.add_topic_now(&mut me, &t).unwrap();
    for i in 2..=3 {
        broker.publish_now(&t, &msg(i, "other"));
    }
    broker.publish_now(&t, &msg(4, "own").with_origin(me.id()));
    for i in 5..=6 {
        broker.publish_now(&t, &msg(i, "other"));
    }
    // Mine since rejoining: 2, 3, 5, 6 (4 is its own). The window keeps 5 and 6.
    assert_eq!(show(&drain(&mut me)), ["lag2", "m5", "m6"]);
    assert_eq!(show(&drain(&mut other)), ["lag4", "m5", "m6"]);
}

/// A typed delivery as `show` writes an untyped one: `m<seq>`, `lag<n>`, `gap`.
fn typed_label(delivery: Delivery<pubsub_core::EventRef<TestEvent>>) -> String {
    match delivery {
        Delivery::Message(event) => {
            let TestEvent::Numbered { seq, .. } = &*event;
            format!("m{seq}")
        }
        Delivery::Lagged(n) => format!("lag{n}"),
        Delivery::Gap => "gap".to_owned(),
    }
}

/// What a typed subscription gives now, through `try_recv`.
fn typed_now(sub: &mut pubsub_core::TypedSubscription<TestEvent>) -> Vec<String> {
    std::iter::from_fn(|| sub.try_recv().ok().map(typed_label)).collect()
}

/// Polls a typed subscription as `recv().await` does, until it is pending.
fn typed_polled(sub: &mut pubsub_core::TypedSubscription<TestEvent>) -> Vec<String> {
    let mut cx = Context::from_waker(Waker::noop());
    std::iter::from_fn(|| match sub.poll_recv(&mut cx) {
        Poll::Ready(Some(d)) => Some(typed_label(d)),
        _ => None,
    })
    .collect()
}

fn lag_then(missed: u64, from: u64, to: u64) -> Vec<String> {
    std::iter::once(format!("lag{missed}"))
        .chain((from..=to).map(|i| format!("m{i}")))
        .collect()
}

#[tokio::test]
async fn a_reader_behind_inside_the_chunk_it_holds_is_told_its_lag_before_it_reads_on() {
    // The receive paths' fast read uses the chunk the cursor already holds, which stays alive
    // after the ring dropped it: it must still see that the cursor fell behind.
    use pubsub_core::{BrokerExt, TypedTopic};
    let broker = hot_broker(8, 1);
    let t = Topic::new("hot:behind-in-chunk").unwrap();
    let typed_topic: TypedTopic<TestEvent> = TypedTopic::new(t.clone());
    let mut plain = broker.subscribe_now(&t);
    let mut typed = broker.subscribe_events(&typed_topic).await.unwrap();
    let mut polled = broker.subscribe_events(&typed_topic).await.unwrap();
    broker.publish_now(&t, &msg(1, "p"));
    assert_eq!(seqs(&drain(&mut plain)), [1]);
    assert_eq!(typed_now(&mut typed), ["m1"]);
    assert_eq!(typed_polled(&mut polled), ["m1"]);
    // Entries 2..=21: the ring keeps 14..=21; all three cursors are still at 2, in chunk 1..=32.
    for i in 2..=21 {
        broker.publish_now(&t, &msg(i, "p"));
    }
    assert_eq!(show(&drain(&mut plain)), lag_then(12, 14, 21));
    assert_eq!(typed_now(&mut typed), lag_then(12, 14, 21));
    assert_eq!(typed_polled(&mut polled), lag_then(12, 14, 21));
}

#[tokio::test]
async fn a_typed_reader_skips_its_own_entries_and_decodes_wire_ones_among_local_ones() {
    // On a ring and on a subscription's own queue: both have a typed fast path for local
    // events, which must hand anything else to the full decode.
    for threshold in [1, usize::MAX] {
        typed_mix(threshold).await;
    }
}

async fn typed_mix(threshold: usize) {
    use pubsub_core::{BrokerExt, TypedTopic};
    let broker = hot_broker(64, threshold);
    let t = Topic::new("hot:typed-mix").unwrap();
    let typed_topic: TypedTopic<TestEvent> = TypedTopic::new(t.clone());
    let mut me = broker.subscribe_events(&typed_topic).await.unwrap();
    let mut other = broker.subscribe_events(&typed_topic).await.unwrap();
    let wire = |seq: u64| {
        Message::from_json(
            "conformance",
            "numbered",
            format!(r#"{{"event":"numbered","payload":{{"seq":{seq},"label":"wire"}}}}"#),
        )
    };
    broker.publish_now(&t, &msg(1, "local"));
    broker.publish_now(&t, &msg(2, "mine").with_origin(me.id()));
    broker.publish_now(&t, &wire(3));
    broker.publish_now(&t, &msg(4, "local"));
    broker.publish_now(&t, &wire(5).with_origin(me.id()));
    broker.publish_now(&t, &msg(6, "local"));
    assert_eq!(
        typed_polled(&mut me),
        ["m1", "m3", "m4", "m6"],
        "threshold {threshold}"
    );
    assert_eq!(
        typed_polled(&mut other),
        ["m1", "m2", "m3", "m4", "m5", "m6"],
        "threshold {threshold}"
    );
}

#[test]
fn a_busy_ring_does_not_starve_the_subscriptions_own_queue() {
    // A subscription with a hot topic and a cold one: while the ring always has more, the
    // queue still gets its turn (one in 16).
    let broker = hot_broker(1_000, 2);
    let hot = Topic::new("hot:busy").unwrap();
    let cold = Topic::new("cold:quiet").unwrap();
    let mut sub = broker.subscribe_now(&hot);
    let _other = broker.subscribe_now(&hot); // the second turns `hot` hot
    broker.add_topic_now(&mut sub, &cold).unwrap();
    for i in 0..500 {
        broker.publish_now(&hot, &msg(i, "hot"));
    }
    broker.publish_now(&cold, &msg(10_000, "cold"));
    let first: Vec<u64> = (0..40)
        .filter_map(|_| sub.try_recv().ok().as_ref().and_then(seq_of))
        .collect();
    assert!(
        first.contains(&10_000),
        "the cold topic's message within 40 receives: {first:?}"
    );
}

#[tokio::test]
async fn a_wire_message_on_a_hot_topic_is_decoded_once_and_shared_by_every_typed_reader() {
    use pubsub_core::{BrokerExt, TypedTopic};
    let broker = hot_broker(64, 1);
    let t = Topic::new("hot:wire-shared").unwrap();
    let typed_topic: TypedTopic<TestEvent> = TypedTopic::new(t.clone());
    let mut readers = Vec::new();
    for _ in 0..3 {
        readers.push(broker.subscribe_events(&typed_topic).await.unwrap());
    }
    // A first message read by all, so each cursor holds its chunk: the wire one is then read
    // on the receive paths' fast path.
    broker.publish_now(&t, &msg(8, "local"));
    for reader in &mut readers {
        assert_eq!(typed_now(reader), ["m8"]);
    }
    let json = r#"{"event":"numbered","payload":{"seq":9,"label":"wire"}}"#;
    broker.publish_now(&t, &Message::from_json("conformance", "numbered", json));
    let mut events = Vec::new();
    let mut cx = Context::from_waker(Waker::noop());
    for (i, reader) in readers.iter_mut().enumerate() {
        // Through both typed receives.
        let got = if i % 2 == 0 {
            reader.try_recv().ok()
        } else {
            match reader.poll_recv(&mut cx) {
                Poll::Ready(got) => got,
                Poll::Pending => None,
            }
        };
        match got {
            Some(Delivery::Message(event)) => events.push(event),
            other => panic!("expected the event, got {other:?}"),
        }
        assert_eq!(reader.last_position(), None);
    }
    assert!(
        events.iter().all(|e| std::ptr::eq(&**e, &*events[0])),
        "one decoded value for every reader"
    );
}
