//! [`TypedSubscription`]: a [`Subscription`] whose messages are decoded into one event type.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use super::{Delivery, Subscription, SubscriptionId, TryRecvError};
use crate::event::Event;
use crate::history::Position;
use crate::message::{EventRef, Message};
use crate::topic::TypedTopic;

/// A subscription whose topics all carry events of type `E`, yielding them decoded.
///
/// Made by [`BrokerExt::subscribe_events`](crate::BrokerExt::subscribe_events) or
/// [`subscribe_events_all`](crate::BrokerExt::subscribe_events_all). Topics of another event type
/// cannot be added to it: there is no untyped `&mut` access, and the typed methods take only
/// `TypedTopic<E>`s of its own `E`.
///
/// ```compile_fail
/// # use pubsub_core::{BrokerExt, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "a"; fn name(&self) -> &'static str { "ping" } }
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Pong;
/// # impl pubsub_core::Event for Pong { const DOMAIN: &'static str = "b"; fn name(&self) -> &'static str { "pong" } }
/// # async fn run(broker: MemoryBroker) -> Result<(), pubsub_core::Error> {
/// let pings = TypedTopic::<Ping>::new(Topic::new("a:pings")?);
/// let pongs = TypedTopic::<Pong>::new(Topic::new("b:pongs")?);
/// let mut sub = broker.subscribe_events(&pings).await?;
/// broker.add_event_topic(&mut sub, &pongs).await?; // another event type: does not compile
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # use pubsub_core::{Broker, BrokerExt, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "a"; fn name(&self) -> &'static str { "ping" } }
/// # async fn run(broker: MemoryBroker) -> Result<(), pubsub_core::Error> {
/// let pings = TypedTopic::<Ping>::new(Topic::new("a:pings")?);
/// let mut sub = broker.subscribe_events(&pings).await?;
/// broker.add_topic(sub.get_mut(), &Topic::new("b:pongs")?).await?; // no untyped &mut access
/// # Ok(()) }
/// ```
///
/// A message that does not decode into `E` (possible only for messages from the network) is logged with `tracing`,
/// counted in [`Stats::decode_errors`](crate::Stats::decode_errors) and skipped; the subscription
/// keeps running.
///
/// ```
/// use pubsub_core::{BrokerExt, Delivery, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Ping(u32);
/// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let topic: TypedTopic<Ping> = TypedTopic::new(Topic::new("demo:ping")?);
/// let mut sub = broker.subscribe_events(&topic).await?;
/// broker.publish_event(&topic, Ping(7)).await?;
/// match sub.recv().await {
///     Some(Delivery::Message(ping)) => assert_eq!(ping.0, 7),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok(()) }
/// ```
pub struct TypedSubscription<E> {
    inner: Subscription,
    /// The position of the last message received (`None`: it had none).
    last_position: Option<Position>,
    _event: PhantomData<fn() -> E>,
}

impl<E: Event> TypedSubscription<E> {
    pub(crate) fn new(inner: Subscription) -> Self {
        TypedSubscription {
            inner,
            last_position: None,
            _event: PhantomData,
        }
    }

    /// The untyped subscription, to read (its topics, its scope). Topics are added and removed
    /// through [`BrokerExt::add_event_topic`](crate::BrokerExt::add_event_topic) and
    /// [`remove_event_topic`](crate::BrokerExt::remove_event_topic), which take typed topics of
    /// this subscription's event type only: there is no untyped `&mut` access, so another
    /// domain's topic cannot slip in.
    pub fn get_ref(&self) -> &Subscription {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut Subscription {
        &mut self.inner
    }

    /// The untyped subscription, by value (giving up the event type).
    pub fn into_inner(self) -> Subscription {
        self.inner
    }

    /// This subscription's identity, for [`BrokerExt::publish_event_from`](crate::BrokerExt::publish_event_from).
    pub fn id(&self) -> SubscriptionId {
        self.inner.id()
    }

    /// The last position received on `topic`, when it keeps history (see
    /// [`Subscription::position`]).
    pub fn position(&self, topic: &TypedTopic<E>) -> Option<Position> {
        self.inner.position(topic.topic())
    }

    /// The position of the message received last (see [`Message::position`]): read it after
    /// each receive to remember where a screen is. `None` before the first message, and for a
    /// message of a topic without history.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy};
    /// use pubsub_core::{BrokerExt, MemoryBroker, Topic, TypedTopic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
    /// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "docs"; fn name(&self) -> &'static str { "saved" } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
    /// let config = HistoryConfig::new().prefix("docs:", HistoryPolicy::new(10, Duration::from_secs(60)));
    /// let broker = MemoryBroker::builder().history(config).build();
    /// let doc = TypedTopic::<Saved>::new(Topic::new("docs:doc:1")?);
    /// let mut screen = broker.subscribe_events(&doc).await?;
    /// broker.publish_event(&doc, Saved).await?;
    /// screen.recv().await;
    /// assert_eq!(screen.last_position().map(|p| p.offset), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn last_position(&self) -> Option<Position> {
        self.last_position
    }

    /// Whether this subscription holds `topic`.
    pub fn contains(&self, topic: &TypedTopic<E>) -> bool {
        self.inner.contains(topic.topic())
    }

    /// Receives the next event or notice; `None` at the end (see [`Subscription::recv`]).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, like [`Subscription::recv`].
    pub async fn recv(&mut self) -> Option<Delivery<EventRef<E>>> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Receives an event or notice if one is ready now, skipping undecodable messages.
    ///
    /// # Errors
    ///
    /// As [`Subscription::try_recv`].
    pub fn try_recv(&mut self) -> Result<Delivery<EventRef<E>>, TryRecvError> {
        if let Some(event) = self.next_plain() {
            return Ok(Delivery::Message(event));
        }
        loop {
            let delivery = self.inner.try_recv()?;
            if let Some(decoded) = self.decode(delivery) {
                return Ok(decoded);
            }
        }
    }

    /// Polls for the next event or notice (what [`recv`](Self::recv) awaits).
    #[inline]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Delivery<EventRef<E>>>> {
        // A hot topic's local event of this type, shared without building a `Message` first.
        let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        if let Some(event) = self.next_plain() {
            coop.made_progress();
            return Poll::Ready(Some(Delivery::Message(event)));
        }
        drop(coop);
        loop {
            match self.inner.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(delivery)) => {
                    if let Some(decoded) = self.decode(delivery) {
                        return Poll::Ready(Some(decoded));
                    }
                }
            }
        }
    }

    /// The next event when the subscription's fast path has it: a local `E` (or wire JSON this
    /// node already decoded) first in hand or ready in a hot topic's chunk. `None`: take the
    /// full path (an undecodable message met here is logged, counted and skipped first).
    #[inline]
    fn next_plain(&mut self) -> Option<EventRef<E>> {
        let event = self.inner.next_local_event::<E>()?;
        self.last_position = None;
        match event {
            Ok(event) => Some(event),
            Err(error) => {
                self.skip_undecodable(&error);
                None
            }
        }
    }

    /// Logs and counts a message that does not decode. Out of line: the receive path stays small.
    #[cold]
    #[inline(never)]
    fn skip_undecodable(&self, error: &crate::DecodeError) {
        tracing::warn!(
            subscription = %self.inner.id(),
            %error,
            "skipping a message that does not decode"
        );
        self.inner.record_decode_error();
    }

    fn decode(&mut self, delivery: Delivery<Message>) -> Option<Delivery<EventRef<E>>> {
        match delivery {
            Delivery::Message(message) => match message.into_event_at::<E>(&mut self.last_position)
            {
                Ok(event) => Some(Delivery::Message(event)),
                Err(error) => {
                    self.skip_undecodable(&error);
                    None
                }
            },
            Delivery::Lagged(n) => Some(Delivery::Lagged(n)),
            Delivery::Gap => Some(Delivery::Gap),
        }
    }
}

impl<E> fmt::Debug for TypedSubscription<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedSubscription")
            .field("event", &std::any::type_name::<E>())
            .field("inner", &self.inner)
            .field("last_position", &self.last_position)
            .finish()
    }
}

impl<E: Event> Stream for TypedSubscription<E> {
    type Item = Delivery<EventRef<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

/// `None` is final, as for [`Subscription`].
impl<E: Event> FusedStream for TypedSubscription<E> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}
