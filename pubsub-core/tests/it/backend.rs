//! A backend written outside the core, on `pubsub_core::backend` alone: two nodes joined by
//! in-process channels (standing in for a network), each serving its own subscribers from a
//! `Node`. It passes the same conformance suite as every backend.

use std::sync::Arc;

use pubsub_core::backend::{Node, TopicObserver};
use pubsub_core::testing::BrokerFactory;
use pubsub_core::{Broker, Error, Message, Subscription, Topic, async_trait};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// One node of the linked pair.
#[derive(Debug, Clone)]
struct Linked {
    node: Node,
    peer: UnboundedSender<(Topic, Message)>,
}

#[async_trait]
impl Broker for Linked {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        self.node.deliver(topic, &message);
        // The origin is a local subscription id: it means nothing on the other node.
        let forwarded = Message::from_json(message.domain(), message.name(), message.json()?);
        self.peer
            .send((topic.clone(), forwarded))
            .map_err(|_| Error::Closed)
    }

    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        self.node.subscribe(topic)
    }

    async fn add_topic(&self, sub: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.node.add_topic(sub, topic).map(drop)
    }

    fn remove_topic(&self, sub: &mut Subscription, topic: &Topic) -> bool {
        self.node.remove_topic(sub, topic)
    }
}

/// Counts topics with local subscribers, as a backend following channels per topic would.
#[derive(Debug, Default)]
struct Channels(std::sync::atomic::AtomicIsize);

impl TopicObserver for Channels {
    fn topic_created(&self, _topic: &Topic) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn topic_removed(&self, _topic: &Topic) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn node(
    capacity: usize,
) -> (
    Linked,
    tokio::sync::mpsc::UnboundedReceiver<(Topic, Message)>,
    Arc<Channels>,
) {
    let channels = Arc::new(Channels::default());
    let (to_peer, from_me) = unbounded_channel();
    let node = Node::builder()
        .capacity(capacity)
        .observer(channels.clone())
        .build();
    (
        Linked {
            node,
            peer: to_peer,
        },
        from_me,
        channels,
    )
}

#[derive(Debug)]
struct LinkedPair;

impl BrokerFactory for LinkedPair {
    type Broker = Linked;

    async fn pair(&self, capacity: usize) -> (Linked, Linked) {
        let (a, from_a, _) = node(capacity);
        let (b, from_b, _) = node(capacity);
        // Each node's "network task" delivers what the other sent.
        for (target, mut inbox) in [(b.node.clone(), from_a), (a.node.clone(), from_b)] {
            tokio::spawn(async move {
                while let Some((topic, message)) = inbox.recv().await {
                    target.deliver(&topic, &message);
                }
            });
        }
        (a, b)
    }

    fn topic_count(&self, broker: &Linked) -> Option<usize> {
        Some(broker.node.local().topic_count())
    }
}

pubsub_core::conformance_suite!(LinkedPair);

#[tokio::test]
async fn an_outside_backend_hears_first_and_last_subscriber_and_tells_gaps() {
    let (a, _from_a, channels) = node(8);
    let t = Topic::new("docs:doc:1").unwrap();
    let mut one = a.subscribe(&t).await.unwrap();
    let two = a.subscribe(&t).await.unwrap();
    assert_eq!(channels.0.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(a.node.notify_gap(&t), 2);
    a.node.record_reconnect();
    assert_eq!(a.node.stats().reconnects, 1);
    assert_eq!(one.try_recv(), Ok(pubsub_core::Delivery::Gap));
    drop(two);
    assert!(a.remove_topic(&mut one, &t));
    assert_eq!(channels.0.load(std::sync::atomic::Ordering::Relaxed), 0);
}
