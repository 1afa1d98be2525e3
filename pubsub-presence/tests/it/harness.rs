//! Helpers: a broker wrapper that can cut a node off or lose messages, and stream readers with
//! timeouts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use pubsub_core::{Broker, Error, MemoryBroker, Message, Subscription, Topic};
pub(crate) use pubsub_presence::testing::{View, pairs};
use pubsub_presence::{Presence, PresenceConfig, PresenceEvent, PresenceStream, Presences};
use serde::de::DeserializeOwned;

/// A broker of one node: publishes go through unless the node is cut off (a crash, as the other
/// nodes see it), and publishes whose event name is `lose` are dropped while `losing` > 0.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    inner: MemoryBroker,
    pub(crate) cut: Arc<AtomicBool>,
    pub(crate) losing: Arc<AtomicUsize>,
    pub(crate) lose: &'static str,
}

impl Node {
    pub(crate) fn on(inner: &MemoryBroker) -> Self {
        Self {
            inner: inner.clone(),
            cut: Arc::new(AtomicBool::new(false)),
            losing: Arc::new(AtomicUsize::new(0)),
            lose: "diff",
        }
    }
}

#[async_trait]
impl Broker for Node {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        if self.cut.load(Ordering::SeqCst) {
            return Ok(());
        }
        if message.name() == self.lose
            && self
                .losing
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Ok(());
        }
        self.inner.publish(topic, message).await
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

/// A node on `broker` with the tests' timings ([`PresenceConfig::fast`]).
pub(crate) async fn fast_node(broker: impl Broker + 'static) -> Presence {
    Presence::start(broker, PresenceConfig::fast())
        .await
        .expect("start")
}

pub(crate) fn topic(name: &str) -> Topic {
    Topic::new(name).expect("topic")
}

/// The next event within `within`.
pub(crate) async fn next<M: DeserializeOwned>(
    stream: &mut PresenceStream<M>,
    within: Duration,
) -> PresenceEvent<M> {
    tokio::time::timeout(within, stream.recv())
        .await
        .expect("a presence event in time")
        .expect("stream open")
}

/// The first state of a new follower.
pub(crate) async fn state<M: DeserializeOwned>(stream: &mut PresenceStream<M>) -> Presences<M> {
    match next(stream, Duration::from_secs(5)).await {
        PresenceEvent::State(state) => state,
        PresenceEvent::Diff(_) => panic!("expected a state, got a diff"),
    }
}

/// Reads events into `view` until `done(view)` holds; how many it took, or `None` when it
/// does not hold within `within`.
pub(crate) async fn reaches<M: DeserializeOwned>(
    stream: &mut PresenceStream<M>,
    view: &mut View,
    within: Duration,
    done: impl Fn(&View) -> bool,
) -> Option<usize> {
    let mut events = 0;
    let deadline = tokio::time::Instant::now() + within;
    while !done(view) {
        match tokio::time::timeout_at(deadline, stream.recv()).await {
            Ok(Some(event)) => view.apply(&event),
            _ => return None,
        }
        events += 1;
    }
    Some(events)
}

/// [`reaches`], or a panic: how many events it took.
pub(crate) async fn until<M: DeserializeOwned>(
    stream: &mut PresenceStream<M>,
    view: &mut View,
    within: Duration,
    done: impl Fn(&View) -> bool,
) -> usize {
    reaches(stream, view, within, done)
        .await
        .unwrap_or_else(|| panic!("the view did not reach its goal in {within:?}: {view:?}"))
}
