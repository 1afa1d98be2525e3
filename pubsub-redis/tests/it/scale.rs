//! 1,000 topics and 100 subscribers per node, every message to every subscriber, none lost.

use std::collections::HashMap;

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, BrokerExt, Delivery, Message, Subscription, Topic};
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{Target, pair};

const TOPICS: usize = 1_000;
const SUBSCRIBERS: usize = 100;
/// Subscriber `i` holds every topic `t` with `t % GROUPS == i % GROUPS`: 100 topics each, and
/// each topic has 10 subscribers per node.
const GROUPS: usize = 10;

async fn subscribers(node: &RedisBroker, topics: &[Topic]) -> Vec<Subscription> {
    let mut subs = Vec::with_capacity(SUBSCRIBERS);
    for i in 0..SUBSCRIBERS {
        let mine: Vec<Topic> = topics
            .iter()
            .enumerate()
            .filter(|(t, _)| t % GROUPS == i % GROUPS)
            .map(|(_, topic)| topic.clone())
            .collect();
        subs.push(
            node.subscribe_all(&mine[0], &mine[1..])
                .await
                .expect("subscribe"),
        );
    }
    subs
}

/// Drains one subscriber: every (publisher, topic) message exactly once, in order per publisher.
async fn drain(mut sub: Subscription, expected: usize) -> usize {
    let mut last: HashMap<String, u64> = HashMap::new();
    let mut got = 0;
    while got < expected {
        match crate::next(&mut sub).await {
            Delivery::Message(m) => {
                let event = m.decode::<TestEvent>().expect("decodes");
                let TestEvent::Numbered { seq, label } = &*event;
                if let Some(previous) = last.insert(label.clone(), *seq) {
                    assert!(*seq > previous, "publisher {label} out of order");
                }
                got += 1;
            }
            other => panic!("lost messages: {other:?} after {got} of {expected}"),
        }
    }
    crate::faults::assert_quiet(&mut sub, std::time::Duration::from_millis(50)).await;
    got
}

async fn no_loss_at_scale(mode: ChannelMode) {
    let _heavy = crate::heavy().await;
    let target = Target::new();
    let (a, b) = pair(target.url(), mode, 1024).await;
    let topics: Vec<Topic> = (0..TOPICS).map(|_| unique_topic("scale")).collect();
    let subs_a = subscribers(&a, &topics).await;
    let subs_b = subscribers(&b, &topics).await;
    assert_eq!((a.topic_count(), b.topic_count()), (TOPICS, TOPICS));
    let per_subscriber = (TOPICS / GROUPS) * 2; // its topics, from both nodes
    let readers: Vec<_> = subs_a
        .into_iter()
        .chain(subs_b)
        .map(|sub| tokio::spawn(drain(sub, per_subscriber)))
        .collect();
    let publish = |node: RedisBroker, label: &'static str| {
        let topics = topics.clone();
        tokio::spawn(async move {
            for (seq, topic) in (0u64..).zip(&topics) {
                let event = Message::new(TestEvent::Numbered {
                    seq,
                    label: label.to_owned(),
                });
                node.publish(topic, event).await.expect("publish");
            }
        })
    };
    let (pa, pb) = (publish(a.clone(), "a"), publish(b.clone(), "b"));
    pa.await.expect("publisher a");
    pb.await.expect("publisher b");
    let mut total = 0;
    for reader in readers {
        total += reader.await.expect("reader");
    }
    assert_eq!(total, 2 * SUBSCRIBERS * per_subscriber);
    for node in [&a, &b] {
        let stats = node.stats();
        assert_eq!(
            (stats.local.lagged, stats.local.gaps, stats.sequence_gaps),
            (0, 0, 0),
            "{stats:?}"
        );
        assert_eq!(
            stats.received, TOPICS as u64,
            "one copy per message per node: {stats:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_topics_and_a_hundred_subscribers_per_node_lose_nothing_in_namespace_mode() {
    no_loss_at_scale(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_topics_and_a_hundred_subscribers_per_node_lose_nothing_in_per_topic_mode() {
    no_loss_at_scale(ChannelMode::PerTopic).await;
}
