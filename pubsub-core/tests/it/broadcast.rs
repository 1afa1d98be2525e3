//! Best-effort broadcasts: concurrent, bounded by one timeout, never failing or panicking the
//! caller, whatever the broker does.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use pubsub_core::testing::{EagerPanickingBroker, LogCapture, PanickingBroker, TestEvent};
use pubsub_core::{
    BROADCAST_TIMEOUT, Broker, BrokerExt, Error, MemoryBroker, Message, Subscription, Topic,
    TypedTopic, async_trait, broadcast, broadcast_event, broadcast_within,
};
use tokio::time::Instant;

fn topics(n: usize) -> Vec<Topic> {
    (0..n)
        .map(|i| Topic::new(format!("b:{i}")).unwrap())
        .collect()
}

fn event() -> Message {
    Message::new(TestEvent::Numbered {
        seq: 1,
        label: "b".to_owned(),
    })
}

fn failure_lines(logs: &LogCapture) -> usize {
    logs.contents()
        .lines()
        .filter(|line| line.contains("best-effort broadcast failed"))
        .count()
}

/// Fails the test (rather than hanging it) when a broadcast is not bounded.
async fn bounded<F: Future>(broadcast: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), broadcast)
        .await
        .expect("the broadcast was not bounded by its timeout")
}

/// A broker whose publishes each take `delay` (or never finish, with `None`), like a network
/// round trip; it delivers into an inner memory broker once done.
#[derive(Debug, Clone)]
struct Slow {
    inner: MemoryBroker,
    delay: Option<Duration>,
}

#[async_trait]
impl Broker for Slow {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        match self.delay {
            Some(delay) => tokio::time::sleep(delay).await,
            None => std::future::pending::<()>().await,
        }
        self.inner.publish(topic, message).await
    }
    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        self.inner.subscribe(topic).await
    }
    async fn add_topic(&self, sub: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.inner.add_topic(sub, topic).await
    }
    fn remove_topic(&self, sub: &mut Subscription, topic: &Topic) -> bool {
        Broker::remove_topic(&self.inner, sub, topic)
    }
}

#[tokio::test]
async fn a_publish_that_panics_before_returning_its_future_is_contained_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    for n in [1, 4] {
        let report = broadcast(&EagerPanickingBroker, &topics(n), event()).await;
        assert_eq!((report.topics, report.failed), (n, n));
    }
    assert_eq!(failure_lines(&logs), 5);
    assert!(logs.contents().contains("exploded before its future"));
}

#[tokio::test]
async fn a_publish_that_panics_while_running_is_contained_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let report = broadcast(&PanickingBroker, &topics(3), event()).await;
    assert_eq!((report.topics, report.failed), (3, 3));
    assert_eq!(failure_lines(&logs), 3);
}

#[tokio::test(start_paused = true)]
async fn the_topics_of_a_broadcast_are_published_concurrently() {
    let inner = MemoryBroker::new();
    let broker = Slow {
        inner: inner.clone(),
        delay: Some(Duration::from_millis(200)),
    };
    let topics = topics(4);
    let mut subs = Vec::new();
    for t in &topics {
        subs.push(inner.subscribe(t).await.unwrap());
    }
    let start = Instant::now();
    let report = broadcast(&broker, &topics, event()).await;
    assert!(report.is_complete(), "{report:?}");
    // One round trip for all four, not four in a row.
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    for sub in &mut subs {
        assert!(sub.try_recv().is_ok());
    }
}

#[tokio::test(start_paused = true)]
async fn a_broadcast_is_bounded_by_one_timeout_and_reports_what_did_not_finish() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let stuck = Slow {
        inner: MemoryBroker::new(),
        delay: None,
    };
    for n in [1, 4] {
        let start = Instant::now();
        let report = bounded(broadcast_within(
            &stuck,
            &topics(n),
            event(),
            Duration::from_millis(300),
        ))
        .await;
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        assert_eq!((report.topics, report.failed), (n, n));
    }
    let start = Instant::now();
    let report = bounded(broadcast(&stuck, &topics(2), event())).await;
    assert_eq!(start.elapsed(), BROADCAST_TIMEOUT);
    assert_eq!(report.failed, 2);
    assert_eq!(failure_lines(&logs), 7);
    assert!(logs.contents().contains("timed out"));
}

#[tokio::test(start_paused = true)]
async fn one_slow_topic_does_not_hide_the_others_that_finished() {
    // Two brokers behind one: topic b:0 is stuck, the others are immediate.
    #[derive(Debug)]
    struct Mixed(MemoryBroker);
    impl Broker for Mixed {
        fn publish<'a, 'b, 'f>(
            &'a self,
            topic: &'b Topic,
            message: Message,
        ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'f>>
        where
            'a: 'f,
            'b: 'f,
        {
            Box::pin(async move {
                if topic.as_str() == "b:0" {
                    std::future::pending::<()>().await;
                }
                self.0.publish(topic, message).await
            })
        }
        fn subscribe<'a, 'b, 'f>(
            &'a self,
            topic: &'b Topic,
        ) -> Pin<Box<dyn Future<Output = Result<Subscription, Error>> + Send + 'f>>
        where
            'a: 'f,
            'b: 'f,
        {
            Box::pin(self.0.subscribe(topic))
        }
        fn add_topic<'a, 'b, 'c, 'f>(
            &'a self,
            sub: &'b mut Subscription,
            topic: &'c Topic,
        ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'f>>
        where
            'a: 'f,
            'b: 'f,
            'c: 'f,
        {
            Box::pin(self.0.add_topic(sub, topic))
        }
        fn remove_topic(&self, sub: &mut Subscription, topic: &Topic) -> bool {
            Broker::remove_topic(&self.0, sub, topic)
        }
    }
    let inner = MemoryBroker::new();
    let topics = topics(3);
    let mut late = inner.subscribe(&topics[2]).await.unwrap();
    let report = bounded(broadcast_within(
        &Mixed(inner),
        &topics,
        event(),
        Duration::from_millis(50),
    ))
    .await;
    assert_eq!((report.topics, report.failed), (3, 1));
    assert!(late.try_recv().is_ok());
}

#[test]
fn a_broadcast_on_a_runtime_without_timers_still_publishes() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let broker = MemoryBroker::new();
        let topics = topics(3);
        let mut sub = broker.subscribe(&topics[1]).await.unwrap();
        let report = broadcast(&broker, &topics, event()).await;
        assert!(report.is_complete());
        assert!(sub.try_recv().is_ok());
    });
}

#[tokio::test]
async fn a_typed_broadcast_reaches_typed_subscribers() {
    let broker = MemoryBroker::new();
    let typed: Vec<TypedTopic<TestEvent>> = topics(2).into_iter().map(TypedTopic::new).collect();
    let mut sub = broker
        .subscribe_events_all(&typed[0], &typed[1..])
        .await
        .unwrap();
    let event = TestEvent::Numbered {
        seq: 7,
        label: "typed".to_owned(),
    };
    let report = broadcast_event(&broker, &typed, event.clone()).await;
    assert_eq!((report.topics, report.failed), (2, 0));
    for _ in 0..2 {
        assert!(matches!(sub.try_recv(), Ok(pubsub_core::Delivery::Message(e)) if *e == event));
    }
}
