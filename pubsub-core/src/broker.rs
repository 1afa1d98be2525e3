//! The [`Broker`] trait: the small contract every backend and wrapper implements.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::history::{Recovery, Since, Unrecoverable};
use crate::message::Message;
use crate::subscription::Subscription;
use crate::topic::Topic;

/// A publish/subscribe broker: the in-memory [`MemoryBroker`](crate::MemoryBroker), a network
/// backend, or a wrapper (tenant scoping, metrics) around another broker.
///
/// The trait is object safe, so `Arc<dyn Broker>` works; typed conveniences (publish an event,
/// subscribe to a typed topic, `publish_from`) are in [`BrokerExt`](crate::BrokerExt), which every
/// broker gets for free. Subscriptions are always served by the core's local registry: a network
/// backend only moves messages between nodes.
///
/// # What an implementor must guarantee
///
/// 1. A subscription is effective when `subscribe` (or `add_topic`) returns: a publish, on any
///    node, that starts after that is delivered to it.
/// 2. At most once, in order per publisher and topic.
/// 3. `publish` never waits for a slow subscriber; a subscriber that falls behind is told how many
///    messages it missed.
/// 4. Publishing to a topic with no subscribers succeeds and is cheap.
/// 5. A message whose [`origin`](Message::origin) is set is not delivered to that subscription.
///
/// The core's conformance suite (feature `testing`) checks all of these for any implementation.
///
/// ```
/// use std::sync::Arc;
/// use pubsub_core::{Broker, BrokerExt, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// // Application code holds any broker behind one type; swap backends in one line.
/// let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new());
/// let topic = TypedTopic::<Ping>::new(Topic::new("demo:ping")?);
/// let mut sub = broker.subscribe_events(&topic).await?;
/// broker.publish_event(&topic, Ping).await?;
/// assert!(sub.recv().await.is_some());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Broker: Send + Sync {
    /// Publishes `message` to every subscription of `topic` (except the message's origin).
    ///
    /// # Errors
    ///
    /// The in-memory broker never fails. A network backend fails when it cannot hand the message
    /// to the network within its bounded wait ([`Error::Timeout`], [`Error::Backend`]); a wrapper
    /// may refuse a topic ([`Error::Unscoped`]).
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error>;

    /// Opens a new subscription to `topic`; it is effective when this returns.
    ///
    /// # Errors
    ///
    /// When a network backend cannot confirm the subscription, or a wrapper refuses the topic.
    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error>;

    /// Adds `topic` to an existing subscription; a no-op when it already holds it.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignSubscription`] when `subscription` was made by another broker, and the
    /// errors of [`subscribe`](Self::subscribe).
    async fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<(), Error>;

    /// Removes `topic` from a subscription; returns whether it held it. Removing a topic the
    /// subscription does not hold is a no-op. Never blocks.
    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool;

    /// Opens a new subscription to `topic` started from `since` (see
    /// [`history`](crate::history)): with [`Since::After`], every message after that position
    /// comes first, in order and once, then the live ones, with no hole between; or nothing is
    /// replayed and the outcome says [`Recovery::Unrecoverable`]. Effective when this returns,
    /// as [`subscribe`](Self::subscribe).
    ///
    /// The default, for a broker without history, subscribes and answers `Live` for
    /// [`Since::Now`] and [`Unrecoverable::NoHistory`] otherwise.
    ///
    /// # Errors
    ///
    /// As [`subscribe`](Self::subscribe). A history that cannot be read is not an error but an
    /// [`Unrecoverable::Unavailable`] outcome: the subscription is live, and the caller reloads.
    async fn subscribe_from(
        &self,
        topic: &Topic,
        since: Since,
    ) -> Result<(Subscription, Recovery), Error> {
        let subscription = self.subscribe(topic).await?;
        Ok((subscription, without_history(since)))
    }

    /// Adds `topic` to a subscription started from `since`, as
    /// [`subscribe_from`](Self::subscribe_from) does for a new one. A topic the subscription
    /// already holds is left as it is, and the outcome is `Live`.
    ///
    /// # Errors
    ///
    /// As [`add_topic`](Self::add_topic).
    async fn add_topic_from(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<Recovery, Error> {
        self.add_topic(subscription, topic).await?;
        Ok(without_history(since))
    }
}

/// The outcome of starting from `since` on a topic without history.
pub(crate) fn without_history(since: Since) -> Recovery {
    match since {
        Since::Now => Recovery::Live,
        Since::Latest | Since::After(_) => Recovery::Unrecoverable(Unrecoverable::NoHistory),
    }
}

macro_rules! forward_broker {
    ($($ty:ty),*) => {$(
        #[async_trait]
        impl<B: Broker + ?Sized> Broker for $ty {
            async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
                (**self).publish(topic, message).await
            }

            async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
                (**self).subscribe(topic).await
            }

            async fn add_topic(
                &self,
                subscription: &mut Subscription,
                topic: &Topic,
            ) -> Result<(), Error> {
                (**self).add_topic(subscription, topic).await
            }

            fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
                (**self).remove_topic(subscription, topic)
            }

            async fn subscribe_from(
                &self,
                topic: &Topic,
                since: Since,
            ) -> Result<(Subscription, Recovery), Error> {
                (**self).subscribe_from(topic, since).await
            }

            async fn add_topic_from(
                &self,
                subscription: &mut Subscription,
                topic: &Topic,
                since: Since,
            ) -> Result<Recovery, Error> {
                (**self).add_topic_from(subscription, topic, since).await
            }
        }
    )*};
}

forward_broker!(&B, Box<B>, Arc<B>);
