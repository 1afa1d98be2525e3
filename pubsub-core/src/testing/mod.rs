//! The backend conformance suite, like Phoenix's shared adapter tests: every [`Broker`]
//! implementation, in-memory or networked, runs the same cases.
//!
//! A backend implements [`BrokerFactory`] in its test suite and expands
//! [`conformance_suite!`](crate::conformance_suite) with it, which writes one `#[tokio::test]` per
//! case. Each case takes a *pair* of handles: for the in-memory broker two clones of one broker,
//! for a network backend two nodes sharing one server, so every case also checks that messages
//! cross nodes. Subscribers are on the first handle, publishers on the second.
//!
//! ```
//! use pubsub_core::MemoryBroker;
//! use pubsub_core::testing::BrokerFactory;
//!
//! #[derive(Debug)]
//! struct Memory;
//!
//! impl BrokerFactory for Memory {
//!     type Broker = MemoryBroker;
//!     async fn pair(&self, capacity: usize) -> (MemoryBroker, MemoryBroker) {
//!         let broker = MemoryBroker::with_capacity(capacity);
//!         (broker.clone(), broker)
//!     }
//!     fn topic_count(&self, broker: &MemoryBroker) -> Option<usize> {
//!         Some(broker.topic_count())
//!     }
//! }
//!
//! // In a test file:  pubsub_core::conformance_suite!(Memory);
//! # let _ = Memory;
//! ```
//!
//! Negative checks ("this subscriber receives nothing more") do not sleep and hope: the same
//! publisher then publishes a marker on a topic the subscriber holds, and the marker must be the
//! very next delivery. Whatever should not have arrived would have come before it, so the check
//! fails on a busy machine as surely as on a quiet one.

// Reason: every case fails its test by panicking, as assertions do; saying so on each adds nothing.
#![allow(clippy::missing_panics_doc)]

mod calls;
mod fixtures;
mod history;

/// The message of the WARN line a best-effort broadcast logs for each failed publish.
pub const BROADCAST_FAILURE_MESSAGE: &str = crate::broadcast::FAILURE_MESSAGE;
pub use calls::BroadcastCall;
pub use history::*;

pub use fixtures::{
    EagerPanickingBroker, FailingBroker, FailingExcept, LogCapture, PanickingBroker, Screens,
};

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Broker, BrokerExt, Delivery, Event, Message, Subscription, Topic, TypedTopic};

/// How long a case waits for a message that must arrive before it fails.
pub const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(5);

/// Makes brokers for the conformance suite.
pub trait BrokerFactory: Send + Sync + Debug {
    /// The broker under test.
    type Broker: Broker + 'static;

    /// Two handles to one logical broker whose subscriptions buffer `capacity` messages each:
    /// for a network backend, two nodes on one server.
    fn pair(&self, capacity: usize) -> impl Future<Output = (Self::Broker, Self::Broker)> + Send;

    /// How long a backend's own negative checks (outside this suite, which uses markers) wait for
    /// a message that must not arrive.
    fn quiet_period(&self) -> Duration {
        Duration::from_millis(100)
    }

    /// Topics with local subscribers on `broker`, if the backend can tell.
    fn topic_count(&self, broker: &Self::Broker) -> Option<usize> {
        let _ = broker;
        None
    }
}

/// The event type the suite publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum TestEvent {
    /// A numbered message.
    Numbered {
        /// Its sequence number.
        seq: u64,
        /// A label, to tell publishers apart.
        label: String,
    },
}

impl Event for TestEvent {
    const DOMAIN: &'static str = "conformance";
    fn name(&self) -> &'static str {
        "numbered"
    }
}

fn numbered(seq: u64, label: &str) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: label.to_owned(),
    })
}

/// A fresh topic name, unique in this process, so cases never see each other's messages even on a
/// shared server.
///
/// # Panics
///
/// Never: the generated name is always valid.
pub fn unique_topic(label: &str) -> Topic {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    Topic::new(format!("conformance:{label}:{n}:{}", &nonce[..8])).expect("valid topic")
}

/// Receives the next delivery, failing the test after [`ARRIVAL_TIMEOUT`].
///
/// # Panics
///
/// When nothing arrives in time or the subscription ends.
pub async fn next(sub: &mut Subscription) -> Delivery<Message> {
    match tokio::time::timeout(ARRIVAL_TIMEOUT, sub.recv()).await {
        Ok(Some(delivery)) => delivery,
        Ok(None) => panic!("subscription {} ended unexpectedly", sub.id()),
        Err(elapsed) => panic!("nothing arrived at {}: {elapsed}", sub.id()),
    }
}

/// Receives the next message and returns its `(seq, label)`.
///
/// # Panics
///
/// When the next delivery is not a suite message.
pub async fn next_numbered(sub: &mut Subscription) -> (u64, String) {
    match next(sub).await {
        Delivery::Message(message) => match message.decode::<TestEvent>() {
            Ok(event) => {
                let TestEvent::Numbered { seq, label } = &*event;
                (*seq, label.clone())
            }
            Err(error) => panic!("undecodable message {message:?}: {error}"),
        },
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Asserts that `sub` receives nothing within `quiet`.
///
/// # Panics
///
/// When something arrives.
pub async fn assert_quiet(sub: &mut Subscription, quiet: Duration) {
    if let Ok(got) = tokio::time::timeout(quiet, sub.recv()).await {
        panic!("expected nothing at {}, got {got:?}", sub.id());
    }
}

/// Publishes a marker on `marker_topic` and waits until `sub` receives it, asserting that nothing
/// else arrived first: the negative check that also proves the path was live.
async fn assert_only_marker_arrives(
    publisher: &impl Broker,
    sub: &mut Subscription,
    marker_topic: &Topic,
) {
    publisher
        .publish(marker_topic, numbered(u64::MAX, "marker"))
        .await
        .expect("publish marker");
    assert_eq!(next_numbered(sub).await, (u64::MAX, "marker".to_owned()));
}

/// Rule 1: a publish that starts after `subscribe` returned is delivered.
///
/// # Panics
///
/// When the rule is broken (as every case here).
pub async fn subscriber_receives_what_is_published_after_subscribe<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(64).await;
    let topic = unique_topic("basic");
    let mut sub = node_a.subscribe(&topic).await.expect("subscribe");
    node_b
        .publish(&topic, numbered(1, "p"))
        .await
        .expect("publish");
    assert_eq!(next_numbered(&mut sub).await, (1, "p".to_owned()));
}

/// Every subscription of a topic receives each message exactly once.
pub async fn every_subscriber_of_a_topic_receives_each_message<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(64).await;
    let topic = unique_topic("fanout");
    let mut subs = Vec::new();
    for _ in 0..5 {
        subs.push(node_a.subscribe(&topic).await.expect("subscribe"));
    }
    let mut remote = node_b.subscribe(&topic).await.expect("subscribe");
    for seq in 0..3 {
        node_b
            .publish(&topic, numbered(seq, "p"))
            .await
            .expect("publish");
    }
    node_b
        .publish(&topic, numbered(u64::MAX, "marker"))
        .await
        .expect("publish marker");
    for sub in subs.iter_mut().chain(std::iter::once(&mut remote)) {
        for seq in 0..3 {
            assert_eq!(next_numbered(sub).await, (seq, "p".to_owned()));
        }
        // Same publisher, same topic: a duplicate would come before the marker.
        assert_eq!(next_numbered(sub).await, (u64::MAX, "marker".to_owned()));
    }
}

/// No message reaches a subscriber of another topic.
pub async fn no_message_reaches_a_subscriber_of_another_topic<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(64).await;
    let (wanted, other) = (unique_topic("wanted"), unique_topic("other"));
    let mut sub = node_a.subscribe(&wanted).await.expect("subscribe");
    for seq in 0..10 {
        node_b
            .publish(&other, numbered(seq, "other"))
            .await
            .expect("publish");
    }
    // The marker goes the same way (same publisher, same node), after the unwanted messages.
    assert_only_marker_arrives(&node_b, &mut sub, &wanted).await;
}

/// `publish_from` skips the publishing subscription and reaches every other one.
pub async fn publish_from_skips_the_sender_only<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(64).await;
    let topic = unique_topic("from");
    let mut sender = node_a.subscribe(&topic).await.expect("subscribe");
    let mut local_peer = node_a.subscribe(&topic).await.expect("subscribe");
    let mut remote_peer = node_b.subscribe(&topic).await.expect("subscribe");
    node_a
        .publish_from(sender.id(), &topic, numbered(1, "from"))
        .await
        .expect("publish");
    assert_eq!(next_numbered(&mut local_peer).await, (1, "from".to_owned()));
    assert_eq!(
        next_numbered(&mut remote_peer).await,
        (1, "from".to_owned())
    );
    assert_only_marker_arrives(&node_a, &mut sender, &topic).await;
}

/// `publish_from` skips the sender when it is the topic's only subscriber too (a backend may
/// take a shortcut for one subscriber: it must still check the origin), through the trait
/// and the typed path alike.
pub async fn publish_from_skips_the_sender_when_it_is_the_only_subscriber<F: BrokerFactory>(f: &F) {
    let (node_a, _node_b) = f.pair(64).await;
    let topic = unique_topic("from-alone");
    let mut sender = node_a.subscribe(&topic).await.expect("subscribe");
    node_a
        .publish_from(sender.id(), &topic, numbered(1, "from"))
        .await
        .expect("publish");
    let typed = TypedTopic::<TestEvent>::new(topic.clone());
    node_a
        .publish_event_from(
            sender.id(),
            &typed,
            TestEvent::Numbered {
                seq: 2,
                label: "from".to_owned(),
            },
        )
        .await
        .expect("publish");
    assert_only_marker_arrives(&node_a, &mut sender, &topic).await;
}

/// Removing a topic stops its delivery; removing a topic never held is a no-op.
pub async fn remove_topic_stops_delivery_and_unknown_topic_is_a_noop<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(64).await;
    let (kept, dropped, never) = (
        unique_topic("kept"),
        unique_topic("dropped"),
        unique_topic("never"),
    );
    let mut sub = node_a.subscribe(&kept).await.expect("subscribe");
    node_a
        .add_topic(&mut sub, &dropped)
        .await
        .expect("add topic");
    assert!(
        !node_a.remove_topic(&mut sub, &never),
        "unknown topic is a no-op"
    );
    assert!(node_a.remove_topic(&mut sub, &dropped));
    assert!(
        !node_a.remove_topic(&mut sub, &dropped),
        "second removal is a no-op"
    );
    assert!(sub.contains(&kept) && !sub.contains(&dropped));
    node_b
        .publish(&dropped, numbered(1, "dropped"))
        .await
        .expect("publish");
    assert_only_marker_arrives(&node_b, &mut sub, &kept).await;
}

/// Subscribing twice to one topic is a no-op: one copy of each message.
pub async fn duplicate_subscription_receives_one_copy<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(64).await;
    let topic = unique_topic("dup");
    let mut sub = node_a.subscribe(&topic).await.expect("subscribe");
    node_a.add_topic(&mut sub, &topic).await.expect("add again");
    assert_eq!(sub.topic_count(), 1);
    node_b
        .publish(&topic, numbered(1, "p"))
        .await
        .expect("publish");
    assert_eq!(next_numbered(&mut sub).await, (1, "p".to_owned()));
    // Same publisher, same topic: a second copy would come before the marker.
    assert_only_marker_arrives(&node_b, &mut sub, &topic).await;
}

/// A subscription holding several topics receives from each, and keeps the others when one is
/// removed.
pub async fn one_subscription_receives_from_several_topics<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(64).await;
    let topics: Vec<Topic> = (0..4).map(|_| unique_topic("multi")).collect();
    let mut sub = node_a
        .subscribe_all(&topics[0], &topics[1..])
        .await
        .expect("subscribe");
    assert_eq!(sub.topic_count(), 4);
    for (seq, topic) in (0u64..).zip(&topics) {
        node_b
            .publish(topic, numbered(seq, "p"))
            .await
            .expect("publish");
    }
    let mut got: Vec<u64> = Vec::new();
    for _ in 0..4 {
        got.push(next_numbered(&mut sub).await.0);
    }
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2, 3]);
    assert!(node_a.remove_topic(&mut sub, &topics[0]));
    node_b
        .publish(&topics[0], numbered(10, "p"))
        .await
        .expect("publish");
    assert_only_marker_arrives(&node_b, &mut sub, &topics[1]).await;
}

/// Rule 2: messages from one publisher on one topic arrive in publish order.
pub async fn per_publisher_order_is_kept<F: BrokerFactory>(f: &F) {
    const N: u64 = 500;
    let (node_a, node_b) = f.pair(2048).await;
    let topic = unique_topic("order");
    let mut sub = node_a.subscribe(&topic).await.expect("subscribe");
    let publishers: Vec<_> = ["x", "y"]
        .into_iter()
        .map(|label| {
            let node = if label == "x" { &node_a } else { &node_b };
            let topic = topic.clone();
            async move {
                for seq in 0..N {
                    node.publish(&topic, numbered(seq, label))
                        .await
                        .expect("publish");
                }
            }
        })
        .collect();
    futures_util::future::join_all(publishers).await;
    let (mut next_x, mut next_y) = (0, 0);
    for _ in 0..2 * N {
        let (seq, label) = next_numbered(&mut sub).await;
        let expected = if label == "x" {
            &mut next_x
        } else {
            &mut next_y
        };
        assert_eq!(seq, *expected, "publisher {label} out of order");
        *expected += 1;
    }
}

/// Rule 3: a subscriber that falls behind is told exactly how many it missed, then gets the
/// newest `capacity` messages in order.
pub async fn lagging_subscriber_is_told_how_many_it_missed<F: BrokerFactory>(f: &F) {
    const CAPACITY: usize = 8;
    const N: u64 = 100;
    let (node_a, node_b) = f.pair(CAPACITY).await;
    let topic = unique_topic("lag");
    let mut slow = node_a.subscribe(&topic).await.expect("subscribe");
    let mut watcher = node_a.subscribe(&topic).await.expect("subscribe");
    // The watcher drains as messages come, so it proves when all N have reached node A.
    let watch = tokio::spawn(async move {
        let mut count = 0u64;
        let mut missed = 0u64;
        while count + missed < N {
            match next(&mut watcher).await {
                Delivery::Message(_) => count += 1,
                Delivery::Lagged(n) => missed += n,
                Delivery::Gap => panic!("unexpected gap"),
            }
        }
        (count, missed)
    });
    for seq in 0..N {
        node_b
            .publish(&topic, numbered(seq, "p"))
            .await
            .expect("publish");
    }
    let (count, missed) = watch.await.expect("watcher");
    assert_eq!(count + missed, N);
    // The slow subscription was registered first, so it was reached first: by the time the
    // watcher saw all N, so had it.
    let missed = N - CAPACITY as u64;
    assert_eq!(next(&mut slow).await, Delivery::Lagged(missed));
    for seq in missed..N {
        assert_eq!(next_numbered(&mut slow).await, (seq, "p".to_owned()));
    }
}

/// A subscriber that never reads does not slow the publisher or starve the others.
pub async fn slow_subscriber_does_not_block_the_publisher_or_others<F: BrokerFactory>(f: &F) {
    const N: u64 = 2_000;
    let (node_a, node_b) = f.pair(16).await;
    let topic = unique_topic("slow");
    let _stuck = node_a.subscribe(&topic).await.expect("subscribe");
    let mut fast = node_a.subscribe(&topic).await.expect("subscribe");
    let reader = tokio::spawn(async move {
        let mut received = 0u64;
        let mut missed = 0u64;
        while received + missed < N {
            match next(&mut fast).await {
                Delivery::Message(_) => received += 1,
                Delivery::Lagged(n) => missed += n,
                Delivery::Gap => panic!("unexpected gap"),
            }
        }
        (received, missed)
    });
    let publishing = async {
        for seq in 0..N {
            node_b
                .publish(&topic, numbered(seq, "p"))
                .await
                .expect("publish");
        }
    };
    tokio::time::timeout(ARRIVAL_TIMEOUT, publishing)
        .await
        .expect("the publisher was blocked by a subscriber that never reads");
    let (received, missed) = reader.await.expect("reader");
    assert_eq!(received + missed, N, "received + missed == published");
}

/// Rule 4: publishing to a topic nobody holds succeeds.
pub async fn publishing_to_a_topic_with_no_subscribers_is_ok<F: BrokerFactory>(f: &F) {
    let (_node_a, node_b) = f.pair(8).await;
    for seq in 0..100 {
        node_b
            .publish(&unique_topic("nobody"), numbered(seq, "p"))
            .await
            .expect("publishing to no one is not an error");
    }
}

/// Dropping a subscription unsubscribes it at once; its topics leave no trace.
pub async fn dropping_a_subscription_unsubscribes<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(8).await;
    let before = f.topic_count(&node_a);
    let topic = unique_topic("drop");
    let gone = node_a.subscribe(&topic).await.expect("subscribe");
    let mut stays = node_a.subscribe(&topic).await.expect("subscribe");
    drop(gone);
    node_b
        .publish(&topic, numbered(1, "p"))
        .await
        .expect("publish");
    assert_eq!(next_numbered(&mut stays).await, (1, "p".to_owned()));
    drop(stays);
    assert_eq!(f.topic_count(&node_a), before, "no topic left behind");
    node_b
        .publish(&topic, numbered(2, "p"))
        .await
        .expect("publish after drop");
}

/// Typed topics and subscriptions carry events end to end.
pub async fn typed_subscription_receives_decoded_events<F: BrokerFactory>(f: &F) {
    let (node_a, node_b) = f.pair(8).await;
    let topic: TypedTopic<TestEvent> = TypedTopic::new(unique_topic("typed"));
    let mut sub = node_a.subscribe_events(&topic).await.expect("subscribe");
    let event = TestEvent::Numbered {
        seq: 7,
        label: "typed".to_owned(),
    };
    node_b
        .publish_event(&topic, event.clone())
        .await
        .expect("publish");
    match tokio::time::timeout(ARRIVAL_TIMEOUT, sub.recv()).await {
        Ok(Some(Delivery::Message(got))) => assert_eq!(*got, event),
        other => panic!("expected the typed event, got {other:?}"),
    }
}

/// Writes one `#[tokio::test]` per conformance case for a [`testing::BrokerFactory`](crate::testing::BrokerFactory).
///
/// ```ignore
/// pubsub_core::conformance_suite!(MyFactory);
/// ```
///
/// The calling crate needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr) => {
        $crate::conformance_suite!(@cases $factory;
            subscriber_receives_what_is_published_after_subscribe,
            every_subscriber_of_a_topic_receives_each_message,
            no_message_reaches_a_subscriber_of_another_topic,
            publish_from_skips_the_sender_only,
            publish_from_skips_the_sender_when_it_is_the_only_subscriber,
            remove_topic_stops_delivery_and_unknown_topic_is_a_noop,
            duplicate_subscription_receives_one_copy,
            one_subscription_receives_from_several_topics,
            per_publisher_order_is_kept,
            lagging_subscriber_is_told_how_many_it_missed,
            slow_subscriber_does_not_block_the_publisher_or_others,
            publishing_to_a_topic_with_no_subscribers_is_ok,
            dropping_a_subscription_unsubscribes,
            typed_subscription_receives_decoded_events
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            $crate::testing::$case(&$factory).await;
        }
    )*};
}
