//! Best-effort fan-out of one event to several topics, for domain broadcast functions.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::FutureExt;

use crate::broker::Broker;
use crate::message::Message;
use crate::topic::Topic;

static FAILURES: AtomicU64 = AtomicU64::new(0);

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
    /// Publishes that failed (each logged and counted).
    pub failed: usize,
}

impl BroadcastReport {
    /// Whether every publish succeeded.
    pub fn is_complete(&self) -> bool {
        self.failed == 0
    }
}

/// Publishes `message` to each of `topics`, best-effort: never fails and never panics in the
/// caller. A failed (or panicking) publish is logged with `tracing` (topic, domain, event, error)
/// and counted in [`broadcast_failures`]; the other topics are still published to.
///
/// The message is made once and shared by every topic and subscriber. To skip the publisher's
/// own subscription, pass `message.with_origin(id)`.
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
    let mut report = BroadcastReport {
        topics: topics.len(),
        failed: 0,
    };
    for topic in topics {
        let outcome = AssertUnwindSafe(broker.publish(topic, message.clone()))
            .catch_unwind()
            .await;
        let error = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(error)) => error.to_string(),
            Err(panic) => panic_text(&*panic),
        };
        report.failed += 1;
        FAILURES.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            topic = topic.as_str(),
            domain = message.domain(),
            event = message.name(),
            %error,
            "best-effort broadcast failed to publish"
        );
    }
    report
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic)");
    format!("publish panicked: {text}")
}

/// How many best-effort publishes have failed in this process, across every broker.
///
/// ```
/// let before = pubsub_core::broadcast_failures();
/// assert!(pubsub_core::broadcast_failures() >= before);
/// ```
pub fn broadcast_failures() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}
