//! [`BrokerExt`]: typed conveniences for every [`Broker`].

use std::future::Future;

use crate::broker::Broker;
use crate::error::Error;
use crate::event::Event;
use crate::history::{Recovery, Since};
use crate::message::Message;
use crate::subscription::{Subscription, SubscriptionId, TypedSubscription};
use crate::topic::{Topic, TypedTopic};

/// Typed and convenience methods, implemented for every [`Broker`] (also `dyn Broker`), in the
/// manner of `futures::StreamExt`.
///
/// ```
/// use pubsub_core::{BrokerExt, Delivery, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved(u32);
/// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "saved" } }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let topic = TypedTopic::<Saved>::new(Topic::new("demo:doc:1")?);
/// let mut mine = broker.subscribe_events(&topic).await?;
/// let mut theirs = broker.subscribe_events(&topic).await?;
///
/// // The screen that saved does not refresh itself; the other screen does.
/// broker.publish_event_from(mine.id(), &topic, Saved(1)).await?;
/// assert!(matches!(theirs.recv().await, Some(Delivery::Message(s)) if s.0 == 1));
/// assert!(mine.try_recv().is_err());
/// # Ok(()) }
/// ```
pub trait BrokerExt: Broker {
    /// Publishes a typed event to its typed topic.
    fn publish_event<E: Event>(
        &self,
        topic: &TypedTopic<E>,
        event: E,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        async move { self.publish(topic.topic(), Message::new(event)).await }
    }

    /// Publishes `message`, skipping the subscription `from` (Phoenix's `broadcast_from`): the
    /// screen that made a change does not refresh itself.
    fn publish_from(
        &self,
        from: SubscriptionId,
        topic: &Topic,
        message: Message,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        async move { self.publish(topic, message.with_origin(from)).await }
    }

    /// Publishes a typed event, skipping the subscription `from`.
    fn publish_event_from<E: Event>(
        &self,
        from: SubscriptionId,
        topic: &TypedTopic<E>,
        event: E,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        async move {
            self.publish(topic.topic(), Message::new(event).with_origin(from))
                .await
        }
    }

    /// Subscribes to a typed topic; the subscription yields decoded events.
    fn subscribe_events<E: Event>(
        &self,
        topic: &TypedTopic<E>,
    ) -> impl Future<Output = Result<TypedSubscription<E>, Error>> + Send {
        async move { Ok(TypedSubscription::new(self.subscribe(topic.topic()).await?)) }
    }

    /// Subscribes to a typed topic from a position (see [`Broker::subscribe_from`] and
    /// [`history`](crate::history)); the subscription yields decoded events, and
    /// [`last_position`](TypedSubscription::last_position) says where each one was.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy, Recovery, Since};
    /// use pubsub_core::{BrokerExt, Delivery, MemoryBroker, Topic, TypedTopic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Progress(u8);
    /// # impl pubsub_core::Event for Progress { const DOMAIN: &'static str = "jobs"; fn name(&self) -> &'static str { "progress" } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
    /// let config = HistoryConfig::new().prefix("jobs:", HistoryPolicy::new(1, Duration::from_secs(600)));
    /// let broker = MemoryBroker::builder().history(config).build();
    /// let job = TypedTopic::<Progress>::new(Topic::new("jobs:job:7")?);
    /// broker.publish_event(&job, Progress(40)).await?;
    ///
    /// // A page opened later shows the job's current progress at once.
    /// let (mut page, recovery) = broker.subscribe_events_from(&job, Since::Latest).await?;
    /// assert_eq!(recovery, Recovery::Recovered { count: 1 });
    /// let Some(Delivery::Message(progress)) = page.recv().await else { panic!() };
    /// assert_eq!((progress.0, page.last_position().map(|p| p.offset)), (40, Some(1)));
    /// # Ok(()) }
    /// ```
    fn subscribe_events_from<E: Event>(
        &self,
        topic: &TypedTopic<E>,
        since: Since,
    ) -> impl Future<Output = Result<(TypedSubscription<E>, Recovery), Error>> + Send {
        async move {
            let (subscription, recovery) = self.subscribe_from(topic.topic(), since).await?;
            Ok((TypedSubscription::new(subscription), recovery))
        }
    }

    /// Adds a typed topic of the same event type to a typed subscription from a position (see
    /// [`Broker::add_topic_from`]).
    fn add_event_topic_from<'a, E: Event>(
        &'a self,
        subscription: &'a mut TypedSubscription<E>,
        topic: &'a TypedTopic<E>,
        since: Since,
    ) -> impl Future<Output = Result<Recovery, Error>> + Send + 'a {
        async move {
            self.add_topic_from(subscription.get_mut(), topic.topic(), since)
                .await
        }
    }

    /// Adds a typed topic of the same event type to a typed subscription.
    fn add_event_topic<'a, E: Event>(
        &'a self,
        subscription: &'a mut TypedSubscription<E>,
        topic: &'a TypedTopic<E>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        async move { self.add_topic(subscription.get_mut(), topic.topic()).await }
    }

    /// Removes a typed topic from a typed subscription; returns whether it held it.
    fn remove_event_topic<E: Event>(
        &self,
        subscription: &mut TypedSubscription<E>,
        topic: &TypedTopic<E>,
    ) -> bool {
        self.remove_topic(subscription.get_mut(), topic.topic())
    }

    /// Opens one typed subscription holding `first` and every topic of `rest`, all of one event
    /// type (a screen showing a record and its list, say).
    ///
    /// ```
    /// use pubsub_core::{BrokerExt, MemoryBroker, Topic, TypedTopic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
    /// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "docs"; fn name(&self) -> &'static str { "saved" } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
    /// let broker = MemoryBroker::new();
    /// let doc = TypedTopic::<Saved>::new(Topic::new("docs:doc:1")?);
    /// let all = TypedTopic::<Saved>::new(Topic::new("docs:all")?);
    /// let mut screen = broker.subscribe_events_all(&doc, &[all.clone()]).await?;
    /// broker.publish_event(&all, Saved).await?;
    /// assert!(screen.recv().await.is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Broker::subscribe`]; the partial subscription is dropped on error.
    fn subscribe_events_all<'a, E: Event>(
        &'a self,
        first: &'a TypedTopic<E>,
        rest: &'a [TypedTopic<E>],
    ) -> impl Future<Output = Result<TypedSubscription<E>, Error>> + Send + 'a {
        async move {
            let mut subscription = self.subscribe(first.topic()).await?;
            for topic in rest {
                self.add_topic(&mut subscription, topic.topic()).await?;
            }
            Ok(TypedSubscription::new(subscription))
        }
    }

    /// Opens one subscription holding every topic of `topics` (at least one).
    ///
    /// # Errors
    ///
    /// As [`Broker::subscribe`]; the partial subscription is dropped on error.
    fn subscribe_all<'a>(
        &'a self,
        first: &'a Topic,
        rest: &'a [Topic],
    ) -> impl Future<Output = Result<Subscription, Error>> + Send + 'a {
        async move {
            let mut subscription = self.subscribe(first).await?;
            for topic in rest {
                self.add_topic(&mut subscription, topic).await?;
            }
            Ok(subscription)
        }
    }
}

impl<B: Broker + ?Sized> BrokerExt for B {}
