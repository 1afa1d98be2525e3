//! Fixtures for domain crates' tests: brokers that fail or panic, a log capture, and a set of
//! screens that shows exactly which topics received what.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::{
    Broker, BrokerExt, Delivery, Error, Event, MemoryBroker, Message, Subscription, Topic,
    TryRecvError, TypedSubscription, TypedTopic,
};

/// A broker whose every operation fails with [`Error::Closed`]: for testing that best-effort
/// broadcasts never fail or panic in the caller.
///
/// ```
/// use pubsub_core::{broadcast, Message, Topic};
/// use pubsub_core::testing::{FailingBroker, TestEvent};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::TopicError> {
/// let event = TestEvent::Numbered { seq: 1, label: String::new() };
/// let report = broadcast(&FailingBroker, &[Topic::new("a")?], Message::new(event)).await;
/// assert_eq!(report.failed, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FailingBroker;

#[async_trait]
impl Broker for FailingBroker {
    async fn publish(&self, _topic: &Topic, _message: Message) -> Result<(), Error> {
        Err(Error::Closed)
    }

    async fn subscribe(&self, _topic: &Topic) -> Result<Subscription, Error> {
        Err(Error::Closed)
    }

    async fn add_topic(
        &self,
        _subscription: &mut Subscription,
        _topic: &Topic,
    ) -> Result<(), Error> {
        Err(Error::Closed)
    }

    fn remove_topic(&self, _subscription: &mut Subscription, _topic: &Topic) -> bool {
        false
    }
}

/// A broker whose publish panics (and whose other operations fail): a broken backend that a
/// best-effort broadcast must contain.
///
/// ```
/// use pubsub_core::{broadcast, Message, Topic};
/// use pubsub_core::testing::{PanickingBroker, TestEvent};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::TopicError> {
/// let event = TestEvent::Numbered { seq: 1, label: String::new() };
/// let report = broadcast(&PanickingBroker, &[Topic::new("a")?], Message::new(event)).await;
/// assert_eq!(report.failed, 1); // no panic reached us
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PanickingBroker;

#[async_trait]
impl Broker for PanickingBroker {
    async fn publish(&self, topic: &Topic, _message: Message) -> Result<(), Error> {
        panic!("publish to {topic} exploded (PanickingBroker)");
    }

    async fn subscribe(&self, _topic: &Topic) -> Result<Subscription, Error> {
        Err(Error::Closed)
    }

    async fn add_topic(
        &self,
        _subscription: &mut Subscription,
        _topic: &Topic,
    ) -> Result<(), Error> {
        Err(Error::Closed)
    }

    fn remove_topic(&self, _subscription: &mut Subscription, _topic: &Topic) -> bool {
        false
    }
}

/// A broker whose `publish` panics *before* it returns its future (legal for a hand-written impl
/// of the object-safe trait, which need not be an `async fn`): a best-effort broadcast must
/// contain this panic too.
///
/// ```
/// use pubsub_core::{broadcast, Message, Topic};
/// use pubsub_core::testing::{EagerPanickingBroker, TestEvent};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::TopicError> {
/// let event = TestEvent::Numbered { seq: 1, label: String::new() };
/// let report = broadcast(&EagerPanickingBroker, &[Topic::new("a")?], Message::new(event)).await;
/// assert_eq!(report.failed, 1); // no panic reached us
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EagerPanickingBroker;

#[async_trait]
impl Broker for EagerPanickingBroker {
    fn publish<'a, 'b, 'f>(
        &'a self,
        topic: &'b Topic,
        _message: Message,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send + 'f>>
    where
        'a: 'f,
        'b: 'f,
    {
        panic!("publish to {topic} exploded before its future (EagerPanickingBroker)");
    }

    async fn subscribe(&self, _topic: &Topic) -> Result<Subscription, Error> {
        Err(Error::Closed)
    }

    async fn add_topic(
        &self,
        _subscription: &mut Subscription,
        _topic: &Topic,
    ) -> Result<(), Error> {
        Err(Error::Closed)
    }

    fn remove_topic(&self, _subscription: &mut Subscription, _topic: &Topic) -> bool {
        false
    }
}

/// A broker that publishes to the topics it lets through on an inner [`MemoryBroker`] and fails
/// every other publish as [`FailingBroker`] does: for testing that one failing topic does not stop
/// a broadcast's other topics. Subscriptions go to the inner broker.
///
/// ```
/// use pubsub_core::{broadcast, Message, Topic};
/// use pubsub_core::testing::{FailingExcept, TestEvent};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::TopicError> {
/// let (ok, bad) = (Topic::new("t:ok")?, Topic::new("t:bad")?);
/// let broker = FailingExcept::new([ok.clone()]);
/// let mut sub = broker.get_ref().subscribe_now(&ok);
/// let event = TestEvent::Numbered { seq: 1, label: String::new() };
/// let report = broadcast(&broker, &[bad, ok], Message::new(event)).await;
/// assert_eq!((report.topics, report.failed), (2, 1));
/// assert!(sub.try_recv().is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct FailingExcept {
    inner: MemoryBroker,
    passes: Vec<Topic>,
}

impl FailingExcept {
    /// Lets publishes to `passes` through; fails the rest.
    pub fn new(passes: impl IntoIterator<Item = Topic>) -> Self {
        FailingExcept {
            inner: MemoryBroker::new(),
            passes: passes.into_iter().collect(),
        }
    }

    /// The inner broker, to subscribe the screens that watch the outcome.
    pub fn get_ref(&self) -> &MemoryBroker {
        &self.inner
    }
}

#[async_trait]
impl Broker for FailingExcept {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        if self.passes.contains(topic) {
            self.inner.publish(topic, message).await
        } else {
            FailingBroker.publish(topic, message).await
        }
    }

    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        self.inner.subscribe(topic).await
    }

    async fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.inner.add_topic(subscription, topic).await
    }

    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        self.inner.remove_topic(subscription, topic)
    }
}

/// Captures what `tracing` logs on the current thread, as plain text.
///
/// ```
/// use pubsub_core::testing::LogCapture;
/// let logs = LogCapture::new();
/// {
///     let _guard = logs.install();
///     tracing::warn!(topic = "a:b", "something failed");
/// }
/// assert!(logs.contents().contains("something failed"));
/// assert!(logs.contents().contains("topic=\"a:b\""));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes this capture the current thread's `tracing` subscriber until the guard drops. Use it
    /// in current-thread tests (`#[tokio::test]`'s default).
    #[must_use = "logs are captured only while the guard lives"]
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// What was logged so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One subscription per candidate topic, labelled, to see exactly who received what after a
/// broadcast on an in-memory broker (which delivers before `publish` returns).
///
/// ```
/// use pubsub_core::{BrokerExt, MemoryBroker, Topic, TypedTopic};
/// use pubsub_core::testing::{Screens, TestEvent};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = MemoryBroker::new();
/// let a = TypedTopic::<TestEvent>::new(Topic::new("t:a")?);
/// let b = TypedTopic::<TestEvent>::new(Topic::new("t:b")?);
/// let mut screens = Screens::watch(&broker, [("a", &a), ("b", &b)]).await?;
/// let event = TestEvent::Numbered { seq: 1, label: String::new() };
/// broker.publish_event(&a, event.clone()).await?;
/// screens.assert_only(&event, &["a"]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Screens<E> {
    subs: Vec<(String, TypedSubscription<E>)>,
}

impl<E: Event + Clone + PartialEq> Screens<E> {
    /// Subscribes one screen per `(label, topic)`.
    ///
    /// # Errors
    ///
    /// When a subscription fails.
    pub async fn watch<'a, B, L>(
        broker: &B,
        topics: impl IntoIterator<Item = (L, &'a TypedTopic<E>)>,
    ) -> Result<Self, Error>
    where
        B: Broker + ?Sized,
        L: Into<String>,
        E: 'a,
    {
        let mut subs = Vec::new();
        for (label, topic) in topics {
            subs.push((label.into(), broker.subscribe_events(topic).await?));
        }
        Ok(Screens { subs })
    }

    /// Drains every screen: label to the events it received, screens that received nothing
    /// left out.
    ///
    /// # Panics
    ///
    /// On a lag or gap notice, or a closed subscription: none belongs in a fan-out test.
    pub fn received(&mut self) -> BTreeMap<String, Vec<E>> {
        let mut out = BTreeMap::new();
        for (label, sub) in &mut self.subs {
            let mut events = Vec::new();
            loop {
                match sub.try_recv() {
                    Ok(Delivery::Message(event)) => events.push((*event).clone()),
                    Ok(notice) => panic!("{label}: unexpected notice {notice:?}"),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => panic!("{label}: subscription closed"),
                }
            }
            if !events.is_empty() {
                out.insert(label.clone(), events);
            }
        }
        out
    }

    /// Asserts that exactly the screens labelled `expected` received `event`, once each, and that
    /// no other screen received anything.
    ///
    /// # Panics
    ///
    /// When that is not so, or a label is unknown.
    pub fn assert_only(&mut self, event: &E, expected: &[&str]) {
        for label in expected {
            assert!(
                self.subs.iter().any(|(l, _)| l == label),
                "unknown screen label {label}"
            );
        }
        let want: BTreeMap<String, Vec<E>> = expected
            .iter()
            .map(|label| ((*label).to_owned(), vec![event.clone()]))
            .collect();
        assert_eq!(self.received(), want, "fan-out of {event:?}");
    }
}
