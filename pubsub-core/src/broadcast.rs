//! Best-effort fan-out of one event to several topics, for domain broadcast functions.
//!
//! The publishes run concurrently (a network backend sends them in one burst: one round trip,
//! not one per topic), and the whole broadcast is bounded by one timeout. A publish that fails,
//! panics (while running, or before it even returns its future), or is still running at the
//! deadline is logged, counted, and reported; the caller never sees an error or a panic.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::stream::{FuturesUnordered, StreamExt as _};

use crate::broker::Broker;
use crate::event::Event;
use crate::message::Message;
use crate::subscription::SubscriptionId;
use crate::topic::{Topic, TypedTopic};

static FAILURES: AtomicU64 = AtomicU64::new(0);

/// The message of the WARN line logged for each failed publish of a best-effort broadcast.
pub(crate) const FAILURE_MESSAGE: &str = "best-effort broadcast failed to publish";

/// How long [`broadcast`] waits for all its publishes together before it reports the
/// unfinished ones as failed. Backends bound each publish themselves (the Redis backend by its
/// `publish_timeout`); this bounds the broadcast as a whole.
pub const BROADCAST_TIMEOUT: Duration = Duration::from_secs(2);

/// What a best-effort broadcast did: how many topics it tried and how many publishes failed.
///
/// ```
/// use pubsub_core::BroadcastReport;
/// let report = BroadcastReport { topics: 3, failed: 0 };
/// assert!(report.is_complete());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BroadcastReport {
    /// Topics the event was published to (attempted).
    pub topics: usize,
    /// Publishes that failed, panicked or did not finish in time (each logged and counted).
    pub failed: usize,
}

impl BroadcastReport {
    /// Whether every publish succeeded.
    pub fn is_complete(&self) -> bool {
        self.failed == 0
    }
}

/// Publishes `message` to each of `topics`, best-effort: never fails and never panics in the
/// caller. The publishes run concurrently, bounded together by [`BROADCAST_TIMEOUT`]. A failed,
/// panicking or unfinished publish is logged with `tracing` (topic, domain, event, error) and
/// counted in [`broadcast_failures`]; the other topics are still published to.
///
/// The message is made once and shared by every topic and subscriber. To skip the publisher's
/// own subscription, pass `message.with_origin(id)`. Domain crates call the typed
/// [`broadcast_event`]; this untyped form is for backends and tools.
///
/// ```
/// use pubsub_core::{broadcast, BrokerExt, MemoryBroker, Message, Topic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
/// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "saved" } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = MemoryBroker::new();
/// let topics = [Topic::new("demo:all")?, Topic::new("demo:doc:1")?];
/// let mut sub = broker.subscribe(&topics[1]).await?;
/// let report = broadcast(&broker, &topics, Message::new(Saved)).await;
/// assert_eq!((report.topics, report.failed), (2, 0));
/// assert!(sub.recv().await.is_some());
/// # Ok(()) }
/// # use pubsub_core::Broker;
/// ```
pub async fn broadcast<B: Broker + ?Sized>(
    broker: &B,
    topics: &[Topic],
    message: Message,
) -> BroadcastReport {
    broadcast_within(broker, topics, message, BROADCAST_TIMEOUT).await
}

/// [`broadcast`] with another bound than [`BROADCAST_TIMEOUT`] for the whole broadcast.
///
/// ```
/// use std::time::Duration;
/// use pubsub_core::{broadcast_within, MemoryBroker, Message, Topic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
/// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "saved" } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = MemoryBroker::new();
/// let topics = [Topic::new("demo:all")?];
/// let report = broadcast_within(&broker, &topics, Message::new(Saved), Duration::from_millis(300)).await;
/// assert!(report.is_complete());
/// # Ok(()) }
/// ```
pub async fn broadcast_within<B: Broker + ?Sized>(
    broker: &B,
    topics: &[Topic],
    message: Message,
    timeout: Duration,
) -> BroadcastReport {
    fan_out(broker, topics, message, timeout).await
}

/// The one fan-out behind every broadcast, over untyped or typed topics.
async fn fan_out<B: Broker + ?Sized, T: AsRef<Topic>>(
    broker: &B,
    topics: &[T],
    message: Message,
    timeout: Duration,
) -> BroadcastReport {
    let mut report = BroadcastReport {
        topics: topics.len(),
        failed: 0,
    };
    let Some((first, rest)) = topics.split_first() else {
        return report;
    };
    let first = first.as_ref();
    // Outside a runtime with timers, creating the deadline panics: then the backends' own
    // bounds are the only ones.
    let deadline = tokio::time::Instant::now() + timeout;
    let sleep = catch_unwind(|| tokio::time::sleep_until(deadline)).ok();
    let mut sleep = sleep.map(Box::pin);

    if rest.is_empty() {
        // One topic, the common case: no collection of futures.
        let outcome = match &mut sleep {
            Some(sleep) => {
                tokio::select! {
                    biased;
                    outcome = publish_one(broker, first, message.clone()) => outcome,
                    () = sleep.as_mut() => Err(timed_out(timeout)),
                }
            }
            None => publish_one(broker, first, message.clone()).await,
        };
        if let Err(error) = outcome {
            report.failed += 1;
            record_failure(first, &message, &error);
        }
        return report;
    }

    let mut running: FuturesUnordered<_> = topics
        .iter()
        .enumerate()
        .map(|(index, topic)| {
            publish_one(broker, topic.as_ref(), message.clone())
                .map(move |outcome| (index, outcome))
        })
        .collect();
    let mut done = vec![false; topics.len()];
    loop {
        let next = match &mut sleep {
            Some(sleep) => tokio::select! {
                biased;
                next = running.next() => next,
                () = sleep.as_mut() => break,
            },
            None => running.next().await,
        };
        let Some((index, outcome)) = next else { break };
        done[index] = true;
        if let Err(error) = outcome {
            report.failed += 1;
            record_failure(topics[index].as_ref(), &message, &error);
        }
    }
    for (topic, _) in topics.iter().zip(&done).filter(|(_, done)| !**done) {
        report.failed += 1;
        record_failure(topic.as_ref(), &message, &timed_out(timeout));
    }
    report
}

/// Publishes a typed event to each of its typed topics, best-effort (see [`broadcast`]): the
/// topics and the event cannot be of different domains. This is what every domain broadcast
/// function is.
///
/// ```compile_fail
/// # use pubsub_core::{broadcast_event, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "a"; fn name(&self) -> &'static str { "ping" } }
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Pong;
/// # impl pubsub_core::Event for Pong { const DOMAIN: &'static str = "b"; fn name(&self) -> &'static str { "pong" } }
/// # async fn run(broker: MemoryBroker) -> Result<(), pubsub_core::Error> {
/// let pings = [TypedTopic::<Ping>::new(Topic::new("a:pings")?)];
/// broadcast_event(&broker, &pings, Pong).await; // a Pong to Ping topics: does not compile
/// # Ok(()) }
/// ```
///
/// ```
/// use pubsub_core::{broadcast_event, BrokerExt, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
/// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "saved" } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = MemoryBroker::new();
/// let topics = [TypedTopic::<Saved>::new(Topic::new("demo:all")?)];
/// let mut sub = broker.subscribe_events(&topics[0]).await?;
/// let report = broadcast_event(&broker, &topics, Saved).await;
/// assert_eq!((report.topics, report.failed), (1, 0));
/// assert!(sub.recv().await.is_some());
/// # Ok(()) }
/// ```
pub async fn broadcast_event<B: Broker + ?Sized, E: Event>(
    broker: &B,
    topics: &[TypedTopic<E>],
    event: E,
) -> BroadcastReport {
    fan_out(broker, topics, Message::new(event), BROADCAST_TIMEOUT).await
}

/// [`broadcast_event`] that skips the subscription `from` (Phoenix's `broadcast_from`): the
/// screen that made the change does not refresh itself.
///
/// ```
/// use pubsub_core::{broadcast_event_from, BrokerExt, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
/// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "saved" } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = MemoryBroker::new();
/// let topics = [TypedTopic::<Saved>::new(Topic::new("demo:all")?)];
/// let mut mine = broker.subscribe_events(&topics[0]).await?;
/// broadcast_event_from(&broker, mine.id(), &topics, Saved).await;
/// assert!(mine.try_recv().is_err());
/// # Ok(()) }
/// ```
pub async fn broadcast_event_from<B: Broker + ?Sized, E: Event>(
    broker: &B,
    from: SubscriptionId,
    topics: &[TypedTopic<E>],
    event: E,
) -> BroadcastReport {
    let message = Message::new(event).with_origin(from);
    fan_out(broker, topics, message, BROADCAST_TIMEOUT).await
}

type Publishing<'a> = Pin<Box<dyn Future<Output = Result<(), crate::Error>> + Send + 'a>>;

/// One publish, with both kinds of panic caught: one raised by `publish` before it returns its
/// future (a hand-written impl of the object-safe trait may do that), and one while it runs.
async fn publish_one<B: Broker + ?Sized>(
    broker: &B,
    topic: &Topic,
    message: Message,
) -> Result<(), String> {
    let started: Result<Publishing<'_>, _> =
        catch_unwind(AssertUnwindSafe(|| broker.publish(topic, message)));
    let running = started.map_err(|panic| panic_text(&*panic))?;
    match AssertUnwindSafe(running).catch_unwind().await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(panic) => Err(panic_text(&*panic)),
    }
}

fn timed_out(after: Duration) -> String {
    format!("broadcast timed out after {after:?}")
}

fn record_failure(topic: &Topic, message: &Message, error: &str) {
    FAILURES.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(
        topic = topic.as_str(),
        domain = message.domain(),
        event = message.name(),
        error,
        "{FAILURE_MESSAGE}"
    );
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic)");
    format!("publish panicked: {text}")
}

/// How many best-effort publishes have failed in this process, across every broker. For a
/// dashboard; a test should read the [`BroadcastReport`] of its own call instead (other tests
/// running at the same time add to this count).
///
/// ```
/// let before = pubsub_core::broadcast_failures();
/// assert!(pubsub_core::broadcast_failures() >= before);
/// ```
pub fn broadcast_failures() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}
