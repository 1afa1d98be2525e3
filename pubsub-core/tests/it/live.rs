//! The UI stream helpers, on tokio's paused clock so timings are exact.

use std::time::Duration;

use futures_util::StreamExt;
use pubsub_core::testing::TestEvent;
use pubsub_core::{
    BrokerExt, Delivery, EventRef, LiveStreamExt, MemoryBroker, Topic, TypedSubscription,
    TypedTopic,
};
use tokio::time::Instant;

const WINDOW: Duration = Duration::from_millis(500);

fn topic() -> TypedTopic<TestEvent> {
    TypedTopic::new(Topic::new("live:test").unwrap())
}

fn event(seq: u64, label: &str) -> TestEvent {
    TestEvent::Numbered {
        seq,
        label: label.to_owned(),
    }
}

fn seq(delivery: &Delivery<EventRef<TestEvent>>) -> u64 {
    match delivery {
        Delivery::Message(e) => {
            let TestEvent::Numbered { seq, .. } = &**e;
            *seq
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

async fn setup(
    capacity: usize,
) -> (
    MemoryBroker,
    TypedTopic<TestEvent>,
    TypedSubscription<TestEvent>,
) {
    let broker = MemoryBroker::with_capacity(capacity);
    let t = topic();
    let sub = broker.subscribe_events(&t).await.unwrap();
    (broker, t, sub)
}

async fn publish(broker: &MemoryBroker, t: &TypedTopic<TestEvent>, seq: u64) {
    broker.publish_event(t, event(seq, "x")).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn throttle_sends_the_first_at_once_then_the_latest_per_window() {
    let (broker, t, sub) = setup(64).await;
    let mut s = sub.throttle(WINDOW);
    let start = Instant::now();
    for i in 1..=5 {
        publish(&broker, &t, i).await;
    }
    assert_eq!(seq(&s.next().await.unwrap()), 1);
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "the first goes out at once"
    );
    assert_eq!(seq(&s.next().await.unwrap()), 5, "latest wins");
    assert_eq!(start.elapsed(), WINDOW);
    // A quiet window ends the throttling: the next message goes out at once again.
    tokio::time::advance(WINDOW * 3).await;
    let later = Instant::now();
    publish(&broker, &t, 6).await;
    assert_eq!(seq(&s.next().await.unwrap()), 6);
    assert_eq!(later.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn throttle_passes_lag_notices_through_at_once() {
    let (broker, t, sub) = setup(2).await;
    let mut s = sub.throttle(WINDOW);
    publish(&broker, &t, 1).await;
    assert_eq!(seq(&s.next().await.unwrap()), 1);
    let start = Instant::now();
    for i in 2..=6 {
        publish(&broker, &t, i).await;
    }
    assert_eq!(s.next().await.unwrap(), Delivery::Lagged(3));
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "never delayed by the window"
    );
    assert_eq!(seq(&s.next().await.unwrap()), 6);
}

#[tokio::test(start_paused = true)]
async fn batch_groups_up_to_max_or_what_came_within_the_window() {
    let (broker, t, sub) = setup(64).await;
    let mut s = sub.batch(3, WINDOW);
    let start = Instant::now();
    for i in 1..=4 {
        publish(&broker, &t, i).await;
    }
    let Some(Delivery::Message(first)) = s.next().await else {
        panic!("batch")
    };
    assert_eq!(
        first
            .iter()
            .map(|e| seq(&Delivery::Message(e.clone())))
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(start.elapsed(), Duration::ZERO, "a full batch goes at once");
    let Some(Delivery::Message(second)) = s.next().await else {
        panic!("batch")
    };
    assert_eq!(second.len(), 1);
    assert_eq!(
        start.elapsed(),
        WINDOW,
        "a partial batch waits for its window"
    );
}

#[tokio::test(start_paused = true)]
async fn batch_flushes_before_a_notice_and_passes_it_at_once() {
    let (broker, t, sub) = setup(2).await;
    let mut s = sub.batch(10, WINDOW);
    let start = Instant::now();
    broker.publish_event(&t, event(1, "x")).await.unwrap();
    // Take the first message into the batch, then overflow the buffer behind it.
    let first = tokio::time::timeout(Duration::from_millis(1), s.next()).await;
    assert!(first.is_err(), "a partial batch is held");
    for i in 2..=5 {
        publish(&broker, &t, i).await;
    }
    assert!(matches!(s.next().await, Some(Delivery::Message(b)) if b.len() == 1));
    assert_eq!(s.next().await, Some(Delivery::Lagged(2)));
    assert!(
        start.elapsed() < WINDOW,
        "notices never wait for the window"
    );
}

#[tokio::test(start_paused = true)]
async fn coalesce_turns_changes_to_one_record_within_a_window_into_one_refresh() {
    let broker = MemoryBroker::new();
    let t = topic();
    let sub = broker.subscribe_events(&t).await.unwrap();
    let mut s = sub.coalesce(WINDOW, |e: &EventRef<TestEvent>| {
        let TestEvent::Numbered { label, .. } = &**e;
        label.clone()
    });
    let start = Instant::now();
    for (i, record) in [(1, "a"), (2, "b"), (3, "a"), (4, "a")] {
        broker.publish_event(&t, event(i, record)).await.unwrap();
    }
    // The screen takes them in now (windows start on receipt); nothing is due yet.
    assert!(
        tokio::time::timeout(Duration::ZERO, s.next())
            .await
            .is_err()
    );
    tokio::time::advance(Duration::from_millis(100)).await;
    broker.publish_event(&t, event(5, "c")).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        let d = s.next().await.unwrap();
        got.push((seq(&d), start.elapsed()));
    }
    assert_eq!(
        got,
        [
            (4, WINDOW),
            (2, WINDOW),
            (5, WINDOW + Duration::from_millis(100)),
        ],
        "record a changed three times: one refresh with the latest; windows per record"
    );
    assert!(
        tokio::time::timeout(WINDOW * 4, s.next()).await.is_err(),
        "nothing more"
    );
}

#[tokio::test(start_paused = true)]
async fn coalesce_passes_gap_notices_through_at_once() {
    let node = pubsub_core::backend::Node::builder().build();
    let broker = node.local().clone();
    let t = topic();
    let sub = broker.subscribe_events(&t).await.unwrap();
    let mut s = sub.coalesce(WINDOW, |e: &EventRef<TestEvent>| {
        let TestEvent::Numbered { label, .. } = &**e;
        label.clone()
    });
    let start = Instant::now();
    publish(&broker, &t, 1).await;
    node.notify_gap(t.topic());
    assert_eq!(s.next().await, Some(Delivery::Gap));
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(seq(&s.next().await.unwrap()), 1);
}

#[tokio::test(start_paused = true)]
async fn helpers_end_with_their_stream_and_flush_what_they_hold() {
    let (broker, t, sub) = setup(64).await;
    let mut s = sub.batch(10, WINDOW);
    publish(&broker, &t, 1).await;
    publish(&broker, &t, 2).await;
    drop(broker);
    let start = Instant::now();
    assert!(matches!(s.next().await, Some(Delivery::Message(b)) if b.len() == 2));
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert!(s.next().await.is_none());
}
