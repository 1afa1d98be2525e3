//! In-memory broker behaviour beyond the conformance suite: closing, cleanup, counters, gaps.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use pubsub_core::testing::{TestEvent, next_numbered};
use pubsub_core::{
    Broker, Delivery, Error, MemoryBroker, Message, Topic, TopicObserver, TryRecvError,
};

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

#[tokio::test]
async fn subscription_left_with_no_topic_ends_after_its_buffer() {
    let broker = MemoryBroker::new();
    let t = topic("t");
    let mut sub = broker.subscribe(&t).await.unwrap();
    broker.publish(&t, msg(1)).await.unwrap();
    assert!(broker.remove_topic(&mut sub, &t));
    assert_eq!(next_numbered(&mut sub).await.0, 1);
    assert_eq!(sub.recv().await, None);
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
    let broker = MemoryBroker::builder().observer(log.clone()).build();
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
    let broker = MemoryBroker::with_capacity(8);
    let (t, other) = (topic("t"), topic("other"));
    let mut sub = broker.subscribe_now(&t);
    let mut bystander = broker.subscribe_now(&other);
    broker.publish_now(&t, &msg(1));
    assert_eq!(broker.notify_gap(&t), 1);
    assert_eq!(broker.notify_gap(&t), 1);
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
    assert_eq!(broker.notify_gap_all(), 2);
    assert_eq!(bystander.try_recv(), Ok(Delivery::Gap));
    assert_eq!(broker.stats().gaps, 4);
}

#[test]
fn a_gap_notice_pushed_out_of_a_full_buffer_is_still_reported() {
    let broker = MemoryBroker::with_capacity(2);
    let t = topic("t");
    let mut sub = broker.subscribe_now(&t);
    broker.notify_gap(&t);
    for i in 0..3 {
        broker.publish_now(&t, &msg(i));
    }
    assert_eq!(sub.try_recv(), Ok(Delivery::Gap));
    assert_eq!(sub.try_recv(), Ok(Delivery::Lagged(1)));
    assert_eq!(seq_of(sub.try_recv()), 1);
    assert_eq!(seq_of(sub.try_recv()), 2);
}

#[tokio::test]
async fn recv_is_cancel_safe() {
    let broker = MemoryBroker::new();
    let t = topic("t");
    let mut sub = broker.subscribe(&t).await.unwrap();
    for _ in 0..3 {
        tokio::select! {
            _ = sub.recv() => panic!("nothing was published"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
    broker.publish(&t, msg(4)).await.unwrap();
    assert_eq!(next_numbered(&mut sub).await.0, 4);
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
