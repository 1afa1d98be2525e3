//! In-memory broker behaviour beyond the conformance suite: closing, cleanup, counters, gaps.

use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use pubsub_core::backend::{Node, TopicObserver};
use pubsub_core::testing::{TestEvent, next_numbered};
use pubsub_core::{Broker, Delivery, Error, MemoryBroker, Message, Topic, TryRecvError};

fn msg(seq: u64) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: "m".to_owned(),
    })
}

fn seq_of(delivery: Result<Delivery<Message>, TryRecvError>) -> u64 {
    match delivery {
        Ok(Delivery::Message(m)) => {
            let TestEvent::Numbered { seq, .. } = &*m.decode::<TestEvent>().unwrap();
            *seq
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

fn poll_once<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

#[tokio::test]
async fn dropping_every_broker_handle_ends_subscriptions_after_their_buffer() {
    let broker = MemoryBroker::new();
    let t = topic("t");
    let mut sub = broker.subscribe(&t).await.unwrap();
    broker.publish(&t, msg(1)).await.unwrap();
    let clone = broker.clone();
    drop(broker);
    clone.publish(&t, msg(2)).await.unwrap();
    drop(clone);
    assert_eq!(next_numbered(&mut sub).await.0, 1);
    assert_eq!(next_numbered(&mut sub).await.0, 2);
    assert_eq!(sub.recv().await, None);
}

#[tokio::test]
async fn a_waiting_subscriber_wakes_when_the_broker_is_dropped() {
    let broker = MemoryBroker::new();
    let mut sub = broker.subscribe(&topic("t")).await.unwrap();
    let waiter = tokio::spawn(async move { sub.recv().await });
    tokio::task::yield_now().await;
    drop(broker);
    let ended = tokio::time::timeout(Duration::from_secs(5), waiter).await;
    assert_eq!(ended.unwrap().unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn a_subscription_left_with_no_topic_waits_and_receives_again_once_a_topic_is_added() {
    let broker = MemoryBroker::new();
    let (t, u) = (topic("t"), topic("u"));
    let mut sub = broker.subscribe(&t).await.unwrap();
    broker.publish(&t, msg(1)).await.unwrap();
    assert!(broker.remove_topic(&mut sub, &t));
    assert_eq!(next_numbered(&mut sub).await.0, 1);
    // No topic: not the end of the stream, just nothing to receive.
    assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
    let waited = tokio::time::timeout(Duration::from_secs(60), sub.recv()).await;
    assert!(waited.is_err(), "recv ended or yielded: {waited:?}");
    assert!(!futures_util::stream::FusedStream::is_terminated(&sub));
    broker.add_topic(&mut sub, &u).await.unwrap();
    broker.publish(&u, msg(2)).await.unwrap();
    assert_eq!(next_numbered(&mut sub).await.0, 2);
}

#[tokio::test]
async fn a_subscription_with_no_topic_ends_when_the_broker_is_dropped() {
    let broker = MemoryBroker::new();
    let t = topic("t");
    let mut sub = broker.subscribe(&t).await.unwrap();
    assert!(broker.remove_topic(&mut sub, &t));
    let waiter = tokio::spawn(async move {
        let end = sub.recv().await;
        (end, sub)
    });
    tokio::task::yield_now().await;
    drop(broker);
    let (end, mut sub) = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiting subscriber was not woken when the broker went")
        .unwrap();
    assert_eq!(end, None);
    assert!(futures_util::stream::FusedStream::is_terminated(&sub));
    assert_eq!(sub.try_recv(), Err(TryRecvError::Closed));
}

#[tokio::test]
async fn none_is_final_and_the_stream_is_fused() {
    let broker = MemoryBroker::new();
    let t = topic("t");
    let mut sub = broker.subscribe(&t).await.unwrap();
    broker.publish(&t, msg(1)).await.unwrap();
    let other_handle = broker.clone();
    drop(broker);
    assert!(!futures_util::stream::FusedStream::is_terminated(&sub));
    drop(other_handle);
    assert!(
        !futures_util::stream::FusedStream::is_terminated(&sub),
        "one message is still buffered"
    );
    assert_eq!(next_numbered(&mut sub).await.0, 1);
    for _ in 0..3 {
        assert_eq!(sub.recv().await, None);
        assert!(futures_util::stream::FusedStream::is_terminated(&sub));
    }
    // The broker is gone: a topic cannot be added to bring the stream back.
    let mut sub_stream = sub;
    assert_eq!(futures_util::StreamExt::next(&mut sub_stream).await, None);
}

#[tokio::test]
async fn registry_is_empty_after_every_subscription_is_dropped() {
    let broker = MemoryBroker::new();
    let topics: Vec<Topic> = (0..100).map(|i| topic(&format!("t:{i}"))).collect();
    let mut subs = Vec::new();
    for i in 0..50 {
        let mut sub = broker.subscribe(&topics[i]).await.unwrap();
        for t in topics.iter().skip(i).step_by(7) {
            broker.add_topic(&mut sub, t).await.unwrap();
        }
        subs.push(sub);
    }
    assert!(broker.topic_count() > 0);
    assert_eq!(broker.stats().subscriptions, 50);
    drop(subs);
    assert_eq!(broker.topic_count(), 0);
    assert!(broker.topics().is_empty());
    assert_eq!(broker.stats().subscriptions, 0);
}

#[tokio::test]
async fn counters_account_for_every_publish_delivery_and_drop() {
    let broker = MemoryBroker::with_capacity(2);
    let (a, b) = (topic("a"), topic("b"));
    let mut sub_a = broker.subscribe(&a).await.unwrap();
    let _sub_b = broker.subscribe(&b).await.unwrap();
    let _sub_ab = broker.subscribe_now(&a);
    for i in 0..5 {
        broker.publish(&a, msg(i)).await.unwrap();
    }
    broker.publish(&b, msg(9)).await.unwrap();
    broker.publish(&topic("nobody"), msg(9)).await.unwrap();
    let stats = broker.stats();
    assert_eq!(stats.published, 7);
    assert_eq!(stats.delivered, 5 * 2 + 1);
    assert_eq!(stats.lagged, 3 * 2);
    assert_eq!(stats.topics, 2);
    assert_eq!(stats.subscriptions, 3);
    assert_eq!(sub_a.try_recv(), Ok(Delivery::Lagged(3)));
}

#[test]
fn publish_now_reports_how_many_subscriptions_were_reached() {
    let broker = MemoryBroker::new();
    let t = topic("t");
    assert_eq!(broker.publish_now(&t, &msg(0)), 0);
    let a = broker.subscribe_now(&t);
    let _b = broker.subscribe_now(&t);
    assert_eq!(broker.publish_now(&t, &msg(1)), 2);
    assert_eq!(broker.publish_now(&t, &msg(2).with_origin(a.id())), 1);
}

#[tokio::test]
async fn a_subscription_cannot_be_changed_through_another_broker() {
    let (one, other) = (MemoryBroker::new(), MemoryBroker::new());
    let t = topic("t");
    let mut sub = one.subscribe(&t).await.unwrap();
    let err = other.add_topic(&mut sub, &topic("u")).await.unwrap_err();
    assert!(matches!(err, Error::ForeignSubscription { subscription } if subscription == sub.id()));
    assert!(!other.remove_topic(&mut sub, &t));
    assert!(sub.contains(&t));
    assert_eq!(other.topic_count(), 0);
}

#[derive(Debug, Default)]
struct Log(Mutex<Vec<String>>);

impl TopicObserver for Log {
    fn topic_created(&self, topic: &Topic) {
        self.0.lock().unwrap().push(format!("+{topic}"));
    }
    fn topic_removed(&self, topic: &Topic) {
        self.0.lock().unwrap().push(format!("-{topic}"));
    }
}

#[tokio::test]
async fn observer_sees_first_subscriber_and_last_unsubscriber_only() {
    let log = Arc::new(Log::default());
    let node = Node::builder().observer(log.clone()).build();
    let broker = node.local().clone();
    let (a, b) = (topic("a"), topic("b"));
    let mut one = broker.subscribe(&a).await.unwrap();
    let two = broker.subscribe(&a).await.unwrap();
    broker.add_topic(&mut one, &b).await.unwrap();
    drop(two);
    broker.remove_topic(&mut one, &b);
    drop(one);
    assert_eq!(*log.0.lock().unwrap(), ["+a", "+b", "-b", "-a"]);
}

#[test]
fn gap_notices_arrive_in_band_and_consecutive_ones_merge() {
    let node = Node::builder().capacity(8).build();
    let broker = node.local();
    let (t, other) = (topic("t"), topic("other"));
    let mut sub = broker.subscribe_now(&t);
    let mut bystander = broker.subscribe_now(&other);
    broker.publish_now(&t, &msg(1));
    assert_eq!(node.notify_gap(&t), 1);
    assert_eq!(node.notify_gap(&t), 1);
    broker.publish_now(&t, &msg(2));
    assert_eq!(seq_of(sub.try_recv()), 1);
    assert_eq!(sub.try_recv(), Ok(Delivery::Gap));
    assert_eq!(seq_of(sub.try_recv()), 2);
    assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        bystander.try_recv(),
        Err(TryRecvError::Empty),
        "a gap on one topic does not touch another"
    );
    assert_eq!(node.notify_gap_all(), 2);
    assert_eq!(bystander.try_recv(), Ok(Delivery::Gap));
    assert_eq!(broker.stats().gaps, 4);
}

#[test]
fn a_gap_notice_pushed_out_of_a_full_buffer_is_still_reported() {
    let node = Node::builder().capacity(2).build();
    let broker = node.local();
    let t = topic("t");
    let mut sub = broker.subscribe_now(&t);
    node.notify_gap(&t);
    for i in 0..3 {
        broker.publish_now(&t, &msg(i));
    }
    assert_eq!(sub.try_recv(), Ok(Delivery::Gap));
    assert_eq!(sub.try_recv(), Ok(Delivery::Lagged(1)));
    assert_eq!(seq_of(sub.try_recv()), 1);
    assert_eq!(seq_of(sub.try_recv()), 2);
}

#[tokio::test]
async fn recv_is_cancel_safe_when_cancelled_with_a_message_in_flight() {
    // Each round: a recv future waits (its waker registered), a message is published (the
    // future is woken and could take it), and then the future is either dropped unpolled or
    // polled once more and dropped. Every message must still arrive exactly once, in order.
    let broker = MemoryBroker::with_capacity(4096);
    let t = topic("t");
    let mut sub = broker.subscribe(&t).await.unwrap();
    let mut got = Vec::new();
    for i in 0..1_000u64 {
        {
            let mut recv = std::pin::pin!(sub.recv());
            let mut done = false;
            if let Poll::Ready(delivery) = poll_once(recv.as_mut()) {
                got.push(delivery);
                done = true;
            }
            broker.publish_now(&t, &msg(i));
            if !done && i % 3 != 0 {
                if let Poll::Ready(delivery) = poll_once(recv.as_mut()) {
                    got.push(delivery);
                }
            }
        } // cancelled here, possibly woken and unpolled
    }
    while let Ok(delivery) = sub.try_recv() {
        got.push(Some(delivery));
    }
    let seqs: Vec<u64> = got
        .into_iter()
        .map(|d| seq_of(d.ok_or(TryRecvError::Closed)))
        .collect();
    assert_eq!(seqs, (0..1_000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recv_in_select_against_a_racing_timer_loses_nothing() {
    const N: u64 = 20_000;
    let broker = MemoryBroker::with_capacity(20_000);
    let t = topic("t");
    let mut sub = broker.subscribe(&t).await.unwrap();
    let publisher = {
        let (broker, t) = (broker.clone(), t.clone());
        tokio::spawn(async move {
            for i in 0..N {
                broker.publish_now(&t, &msg(i));
                if i % 64 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let (mut next, mut cancelled) = (0u64, 0u64);
    while next < N {
        tokio::select! {
            delivery = sub.recv() => {
                assert_eq!(seq_of(delivery.ok_or(TryRecvError::Closed)), next);
                next += 1;
            }
            () = tokio::task::yield_now() => cancelled += 1,
        }
    }
    publisher.await.unwrap();
    assert!(cancelled > 0, "the race never cancelled a recv");
}

#[tokio::test]
async fn subscription_is_a_stream() {
    let broker = MemoryBroker::new();
    let t = topic("t");
    let sub = broker.subscribe(&t).await.unwrap();
    for i in 0..3 {
        broker.publish(&t, msg(i)).await.unwrap();
    }
    drop(broker);
    let got: Vec<_> = sub.collect().await;
    assert_eq!(got.len(), 3);
}

#[test]
fn a_hundred_thousand_topics_and_ten_thousand_subscribers_of_one_topic_are_fine() {
    let broker = MemoryBroker::new();
    let subs: Vec<_> = (0..100_000)
        .map(|i| broker.subscribe_now(&topic(&format!("many:{i}"))))
        .collect();
    assert_eq!(broker.topic_count(), 100_000);
    let hot = topic("hot");
    let mut fans: Vec<_> = (0..10_000).map(|_| broker.subscribe_now(&hot)).collect();
    assert_eq!(broker.publish_now(&hot, &msg(1)), 10_000);
    assert!(fans.iter_mut().all(|s| seq_of(s.try_recv()) == 1));
    drop(subs);
    // Drop in an order that exercises removal from the middle of the subscriber set.
    let mut odd = Vec::new();
    for (i, fan) in fans.into_iter().enumerate() {
        if i % 2 == 1 {
            odd.push(fan);
        }
    }
    assert_eq!(broker.subscriber_count(&hot), 5_000);
    assert_eq!(broker.publish_now(&hot, &msg(2)), 5_000);
    drop(odd);
    assert_eq!(broker.topic_count(), 0);
}

#[test]
fn one_subscription_can_hold_a_hundred_thousand_topics_and_drop_one_cheaply() {
    let broker = MemoryBroker::new();
    let first = topic("wide:0");
    let mut sub = broker.subscribe_now(&first);
    for i in 1..100_000 {
        broker
            .add_topic_now(&mut sub, &topic(&format!("wide:{i}")))
            .unwrap();
    }
    assert_eq!(sub.topic_count(), 100_000);
    assert!(broker.remove_topic(&mut sub, &topic("wide:500")));
    assert_eq!(broker.topic_count(), 99_999);
    drop(sub);
    assert_eq!(broker.topic_count(), 0);
}

/// A subscriber with a full buffer never has to wait, but receiving spends tokio's cooperative
/// budget, so it yields now and then and the other tasks on its worker still run.
#[tokio::test(flavor = "current_thread")]
async fn a_subscriber_fed_without_pause_does_not_starve_its_worker() {
    // Cold (per-subscription buffer) and hot (ring) paths alike, untyped and typed (whose hot
    // path has a receive of its own).
    for (threshold, typed) in [
        (usize::MAX, false),
        (1, false),
        (usize::MAX, true),
        (1, true),
    ] {
        const N: u64 = 20_000;
        let broker = MemoryBroker::builder()
            .capacity(20_000)
            .hot_threshold(threshold)
            .build();
        let t = topic("busy");
        let mut sub = broker.subscribe(&t).await.unwrap();
        let mut typed_sub = if typed {
            let typed_topic = pubsub_core::TypedTopic::<TestEvent>::new(t.clone());
            Some(
                pubsub_core::BrokerExt::subscribe_events(&broker, &typed_topic)
                    .await
                    .unwrap(),
            )
        } else {
            None
        };
        for i in 0..N {
            broker.publish_now(&t, &msg(i));
        }
        let ticks = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let ticker = {
            let ticks = Arc::clone(&ticks);
            tokio::spawn(async move {
                loop {
                    tokio::task::yield_now().await;
                    ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        };
        tokio::task::yield_now().await; // let the ticker start
        let before = ticks.load(std::sync::atomic::Ordering::Relaxed);
        for _ in 0..N {
            match typed_sub.as_mut() {
                Some(typed_sub) => assert!(typed_sub.recv().await.is_some()),
                None => assert!(sub.recv().await.is_some()),
            }
        }
        let during = ticks.load(std::sync::atomic::Ordering::Relaxed) - before;
        ticker.abort();
        // The budget is 128 per turn: about N / 128 yields.
        assert!(
            during >= N / 256,
            "the other task ran {during} times during {N} receives \
             (hot threshold {threshold}, typed {typed})"
        );
    }
}
