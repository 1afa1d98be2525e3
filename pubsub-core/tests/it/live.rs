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

/// A stream of `n` lag notices (one missed message each), one every millisecond, as a
/// subscription that lags under sustained publishing yields them.
fn lag_flood(n: u64) -> impl futures_core::Stream<Item = Delivery<u64>> + Unpin {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        for _ in 0..n {
            if tx.send(Delivery::Lagged(1)).is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Every notice an adapter gave, with when it was given, until the stream ended.
async fn notices_of<S, T>(mut stream: S) -> Vec<(Duration, u64)>
where
    S: futures_core::Stream<Item = Delivery<T>> + Unpin,
{
    let start = Instant::now();
    let mut seen = Vec::new();
    while let Some(delivery) = stream.next().await {
        match delivery {
            Delivery::Lagged(n) => seen.push((start.elapsed(), n)),
            Delivery::Gap => seen.push((start.elapsed(), u64::MAX)),
            Delivery::Message(_) => {}
        }
    }
    seen
}

fn assert_one_notice_per_window(seen: &[(Duration, u64)], flood: u64, window: Duration) {
    assert_eq!(
        seen.first().map(|(at, _)| *at),
        Some(Duration::ZERO),
        "the first passes at once"
    );
    assert_eq!(
        seen.iter().map(|(_, n)| n).sum::<u64>(),
        flood,
        "counts add up: nothing lost"
    );
    for pair in seen.windows(2) {
        assert!(
            pair[1].0.saturating_sub(pair[0].0) >= window,
            "two notices within one window: {pair:?}"
        );
    }
    let most =
        u64::try_from((Duration::from_millis(flood).as_millis() / window.as_millis()) + 2).unwrap();
    assert!(
        seen.len() as u64 <= most,
        "{} notices for {flood}",
        seen.len()
    );
}

#[tokio::test(start_paused = true)]
async fn throttle_merges_a_flood_of_lag_notices_into_one_per_window() {
    let window = Duration::from_millis(50);
    let seen = notices_of(lag_flood(4_000).throttle(window)).await;
    assert_one_notice_per_window(&seen, 4_000, window);
}

#[tokio::test(start_paused = true)]
async fn batch_merges_a_flood_of_lag_notices_into_one_per_window() {
    let window = Duration::from_millis(50);
    let seen = notices_of(lag_flood(4_000).batch(10, window)).await;
    assert_one_notice_per_window(&seen, 4_000, window);
}

#[tokio::test(start_paused = true)]
async fn coalesce_merges_a_flood_of_lag_notices_into_one_per_window() {
    let window = Duration::from_millis(50);
    let seen = notices_of(lag_flood(4_000).coalesce(window, |n: &u64| *n)).await;
    assert_one_notice_per_window(&seen, 4_000, window);
}

#[tokio::test(start_paused = true)]
async fn a_gap_absorbs_the_lag_notices_merged_with_it() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Delivery<u64>>();
    for notice in [
        Delivery::Lagged(2),
        Delivery::Lagged(3),
        Delivery::Gap,
        Delivery::Lagged(4),
    ] {
        tx.send(notice).unwrap();
    }
    drop(tx);
    let mut s = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).throttle(WINDOW);
    assert_eq!(s.next().await, Some(Delivery::Lagged(2)));
    assert_eq!(
        s.next().await,
        Some(Delivery::Gap),
        "3, a gap and 4 merged: a gap"
    );
    assert_eq!(s.next().await, None);
}

#[tokio::test(start_paused = true)]
async fn a_lagging_screen_on_a_real_broker_reloads_at_most_once_per_window_and_misses_nothing() {
    // Capacity 2 under 20 messages a millisecond for 2 s: thousands of lag notices upstream.
    let window = Duration::from_millis(50);
    let (broker, t, sub) = setup(2).await;
    let keep = broker.clone();
    let publisher = tokio::spawn(async move {
        let mut published = 0u64;
        for _ in 0..2_000 {
            for _ in 0..20 {
                publish(&broker, &t, published).await;
                published += 1;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The stream ends a window after the last publish, so no notice is flushed early.
        tokio::time::sleep(window * 2).await;
        drop(keep);
        published
    });
    let mut s = sub.batch(8, window);
    let start = Instant::now();
    let (mut received, mut missed, mut notices) = (0u64, 0u64, Vec::new());
    while let Some(delivery) = s.next().await {
        match delivery {
            Delivery::Message(batch) => received += batch.len() as u64,
            Delivery::Lagged(n) => {
                missed += n;
                notices.push(start.elapsed());
            }
            Delivery::Gap => panic!("no gap on a memory broker"),
        }
        // A screen that re-renders slowly.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let total = publisher.await.unwrap();
    assert_eq!(received + missed, total, "received + missed == published");
    assert!(missed > 0, "the screen never lagged");
    assert!(
        notices.len() <= 2_000 / 50 + 2,
        "{} reloads in 2 s",
        notices.len()
    );
    for pair in notices.windows(2) {
        assert!(
            pair[1].saturating_sub(pair[0]) >= window,
            "two reloads within one window: {pair:?}"
        );
    }
}
