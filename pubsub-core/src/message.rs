//! [`Message`]: the type-erased event that crosses the object-safe [`Broker`](crate::Broker).

use std::any::Any;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use crate::error::{DecodeError, Error};
use crate::event::Event;
use crate::history::Position;
use crate::subscription::SubscriptionId;

/// One published event, shared by every subscriber that receives it.
///
/// A message made from a local event holds the value itself, in one allocation that every
/// subscriber shares: nothing is copied or serialised per subscriber, and the JSON form is made
/// lazily, once, only if a network backend asks for it. A message read from the wire holds JSON
/// and is decoded into the subscriber's event type once per node, on first use.
///
/// Cloning is cheap (a reference count).
///
/// ```
/// use pubsub_core::{Event, Message};
/// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// # #[serde(tag = "event", content = "payload", rename_all = "snake_case")]
/// # enum Shop { OrderPlaced { order: u32 } }
/// # impl Event for Shop {
/// #     const DOMAIN: &'static str = "shop";
/// #     fn name(&self) -> &'static str { "order_placed" }
/// # }
///
/// let local = Message::new(Shop::OrderPlaced { order: 7 });
/// assert_eq!((local.domain(), local.name()), ("shop", "order_placed"));
///
/// // What a network backend sends, and what the receiving node makes of it:
/// let wire = Message::from_json(local.domain(), local.name(), local.json()?);
/// assert_eq!(*wire.decode::<Shop>()?, Shop::OrderPlaced { order: 7 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Message {
    body: Arc<dyn Body>,
    origin: Option<SubscriptionId>,
}

/// The erased contents of a message: a local event or wire JSON.
///
/// `Any` as a supertrait: a body is told apart and downcast through trait upcasting, which reads
/// `Any`'s vtable from this one's, with no call (a typed receive makes two indirect calls, the two
/// type checks, where methods returning `&dyn Any` made four).
trait Body: Any + Send + Sync {
    fn domain(&self) -> &str;
    fn name(&self) -> &str;
    fn json(&self) -> Result<&str, Error>;
    fn decode_wire(&self) -> Option<&WireBody> {
        None
    }
    fn position(&self) -> Option<Position> {
        None
    }
    /// The body under a position, for a positioned one.
    fn unpositioned(&self) -> Option<&Arc<dyn Body>> {
        None
    }
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// A body with its position in a topic's history: one per (publish, topic with history).
struct Positioned {
    inner: Arc<dyn Body>,
    position: Position,
}

impl Body for Positioned {
    fn domain(&self) -> &str {
        self.inner.domain()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn json(&self) -> Result<&str, Error> {
        self.inner.json()
    }

    fn decode_wire(&self) -> Option<&WireBody> {
        self.inner.decode_wire()
    }

    fn position(&self) -> Option<Position> {
        Some(self.position)
    }

    fn unpositioned(&self) -> Option<&Arc<dyn Body>> {
        Some(&self.inner)
    }

    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug(f)
    }
}

/// A locally published event and its lazily made JSON.
struct LocalBody<E> {
    event: E,
    /// Boxed: the cache is made only when the event goes on a wire, and a local event then
    /// costs 16 bytes for it instead of 32 (every publish allocates one `LocalBody`).
    json: OnceLock<Box<Result<Box<str>, String>>>,
}

impl<E: Event> Body for LocalBody<E> {
    fn domain(&self) -> &str {
        E::DOMAIN
    }

    fn name(&self) -> &str {
        self.event.name()
    }

    fn json(&self) -> Result<&str, Error> {
        let cached = self.json.get_or_init(|| {
            Box::new(
                serde_json::to_string(&self.event)
                    .map(String::into_boxed_str)
                    .map_err(|e| e.to_string()),
            )
        });
        cached.as_deref().map_err(|reason| Error::Encode {
            domain: E::DOMAIN.to_owned(),
            event: self.event.name().to_owned(),
            reason: reason.clone(),
        })
    }

    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.event, f)
    }
}

/// An event read from the wire: JSON, decoded once on first use.
struct WireBody {
    domain: Box<str>,
    name: Box<str>,
    json: Box<str>,
    decoded: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl Body for WireBody {
    fn domain(&self) -> &str {
        &self.domain
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn json(&self) -> Result<&str, Error> {
        Ok(&self.json)
    }

    fn decode_wire(&self) -> Option<&WireBody> {
        Some(self)
    }

    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.json)
    }
}

impl WireBody {
    /// The event as decoded earlier on this node, if it was, into an `E`.
    fn cached<E: Event>(&self) -> Option<Arc<LocalBody<E>>> {
        Arc::clone(self.decoded.get()?)
            .downcast::<LocalBody<E>>()
            .ok()
    }

    /// The event as a `LocalBody<E>`, as a local publish holds it, so [`EventRef`] is one
    /// pointer whichever way the event came.
    fn decode<E: Event>(&self) -> Result<Arc<LocalBody<E>>, DecodeError> {
        if let Some(event) = self.cached::<E>() {
            return Ok(event);
        }
        let event = Arc::new(LocalBody {
            event: serde_json::from_str::<E>(&self.json).map_err(|e| DecodeError::Json {
                domain: self.domain.to_string(),
                event: self.name.to_string(),
                reason: e.to_string(),
            })?,
            json: OnceLock::new(),
        });
        // Another subscriber may have decoded it meanwhile; either copy is fine.
        let _ = self
            .decoded
            .set(Arc::clone(&event) as Arc<dyn Any + Send + Sync>);
        Ok(event)
    }
}

impl Message {
    /// Wraps a local event. One allocation; no serialisation.
    ///
    /// ```
    /// # use pubsub_core::{Event, Message};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)]
    /// # struct Ping;
    /// # impl Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// let msg = Message::new(Ping);
    /// assert!(msg.is_local());
    /// ```
    pub fn new<E: Event>(event: E) -> Self {
        Message {
            body: Arc::new(LocalBody {
                event,
                json: OnceLock::new(),
            }),
            origin: None,
        }
    }

    /// A message read from the wire: the domain, the event name and the event's JSON form (the
    /// serialisation of the whole event, for domain enums `{"event": .., "payload": ..}`).
    ///
    /// Nothing is parsed here; subscribers decode on first use, once per node.
    ///
    /// ```
    /// # use pubsub_core::Message;
    /// let msg = Message::from_json("crm", "interaction_created", r#"{"event":"interaction_created"}"#);
    /// assert_eq!(msg.name(), "interaction_created");
    /// assert!(!msg.is_local());
    /// ```
    pub fn from_json(
        domain: impl Into<Box<str>>,
        name: impl Into<Box<str>>,
        json: impl Into<Box<str>>,
    ) -> Self {
        Message {
            body: Arc::new(WireBody {
                domain: domain.into(),
                name: name.into(),
                json: json.into(),
                decoded: OnceLock::new(),
            }),
            origin: None,
        }
    }

    /// The domain tag (`"crm"`).
    pub fn domain(&self) -> &str {
        self.body.domain()
    }

    /// The event's wire name (`"interaction_created"`).
    pub fn name(&self) -> &str {
        self.body.name()
    }

    /// Whether the message holds a local event rather than wire JSON.
    pub fn is_local(&self) -> bool {
        self.body.decode_wire().is_none()
    }

    /// The event's JSON form, made on the first call and cached.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when serde cannot serialise the event (for example a map with non-string
    /// keys).
    pub fn json(&self) -> Result<&str, Error> {
        self.body.json()
    }

    /// The event as type `E`: shared for a local event, decoded once per node for wire JSON.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when the message is of another domain or type, or its JSON does not fit `E`.
    pub fn decode<E: Event>(&self) -> Result<EventRef<E>, DecodeError> {
        if is_local::<E>(&*self.body) {
            return local_event::<E>(Arc::clone(&self.body));
        }
        decode_other(&self.body).map(|(event, _)| event)
    }

    /// The event as type `E`, consuming the message: like [`decode`](Self::decode), without
    /// touching the shared reference count for a local event.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    ///
    /// ```
    /// # use pubsub_core::{Event, Message};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping(u8);
    /// # impl Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// let ping = Message::new(Ping(3)).into_event::<Ping>()?;
    /// assert_eq!(ping.0, 3);
    /// # Ok::<(), pubsub_core::DecodeError>(())
    /// ```
    pub fn into_event<E: Event>(self) -> Result<EventRef<E>, DecodeError> {
        let mut position = None;
        self.into_event_at(&mut position)
    }

    /// [`into_event`](Self::into_event), setting `position` to the message's position, found on
    /// the way (a bare local event, the common case, has none and costs no more than
    /// `into_event`).
    #[inline]
    pub(crate) fn into_event_at<E: Event>(
        self,
        position: &mut Option<Position>,
    ) -> Result<EventRef<E>, DecodeError> {
        if is_local::<E>(&*self.body) {
            *position = None;
            return local_event::<E>(self.body);
        }
        decode_other(&self.body).map(|(event, at)| {
            *position = at;
            event
        })
    }

    /// The event when the message holds a local `E`, or wire JSON of another node that a
    /// subscriber of this node already decoded into an `E` (shared, as
    /// [`into_event_at`](Self::into_event_at) would give it); `None` for anything else, which
    /// `into_event_at` handles. A local event costs one type check and its reference count.
    #[inline]
    pub(crate) fn local_event_ref<E: Event>(&self) -> Option<EventRef<E>> {
        let body: Arc<dyn Any + Send + Sync> = Arc::clone(&self.body) as Arc<dyn Body>;
        if let Ok(local) = body.downcast::<LocalBody<E>>() {
            return Some(EventRef { local });
        }
        let local = self.body.decode_wire()?.cached::<E>()?;
        Some(EventRef { local })
    }

    /// What [`into_event_at`](Self::into_event_at) makes of a message that holds a local `E`;
    /// the message itself back otherwise (a wire or positioned body, for the full decode).
    #[inline]
    pub(crate) fn into_local_event<E: Event>(
        self,
    ) -> Result<Result<EventRef<E>, DecodeError>, Message> {
        if !is_local::<E>(&*self.body) {
            return Err(self);
        }
        Ok(local_event::<E>(self.body))
    }

    /// The subscription this message was published from, if any (see
    /// [`BrokerExt::publish_from`](crate::BrokerExt::publish_from)); that subscription does not
    /// receive it.
    pub fn origin(&self) -> Option<SubscriptionId> {
        self.origin
    }

    /// The same message, marked as published from `origin`, so that subscription skips it.
    #[must_use]
    pub fn with_origin(mut self, origin: SubscriptionId) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Whether two messages share one body (one publish).
    pub fn ptr_eq(&self, other: &Message) -> bool {
        Arc::ptr_eq(&self.body, &other.body)
    }

    /// Where this message is in its topic's history, when it was delivered from a topic with
    /// history (see [`history`](crate::history)); `None` otherwise.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy};
    /// use pubsub_core::{Delivery, MemoryBroker, Message, Topic};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
    /// # impl pubsub_core::Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
    /// let config = HistoryConfig::new().prefix("demo:", HistoryPolicy::new(10, Duration::from_secs(60)));
    /// let broker = MemoryBroker::builder().history(config).build();
    /// let topic = Topic::new("demo:ping")?;
    /// let mut sub = broker.subscribe_now(&topic);
    /// broker.publish_now(&topic, &Message::new(Ping));
    /// let Ok(Delivery::Message(message)) = sub.try_recv() else { panic!() };
    /// assert_eq!(message.position().map(|p| p.offset), Some(1));
    /// assert_eq!(Message::new(Ping).position(), None); // not published yet
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn position(&self) -> Option<Position> {
        self.body.position()
    }

    /// The same message at `position` in its topic's history: for a network backend, which
    /// reads positions off the wire or out of its store and hands the messages to
    /// [`Node::deliver`](crate::backend::Node::deliver). Publishing through a broker ignores a
    /// message's position: the broker gives it one.
    ///
    /// ```
    /// # use pubsub_core::Message;
    /// use pubsub_core::history::{Epoch, Position};
    /// let at = Position::new(3, Epoch::new(9));
    /// let message = Message::from_json("docs", "saved", "{}").with_position(at);
    /// assert_eq!(message.position(), Some(at));
    /// assert_eq!(message.without_position().position(), None);
    /// ```
    #[must_use]
    pub fn with_position(self, position: Position) -> Self {
        let origin = self.origin;
        let inner = self.without_position().body;
        Message {
            body: Arc::new(Positioned { inner, position }),
            origin,
        }
    }

    /// The same message without a position.
    #[must_use]
    pub fn without_position(self) -> Self {
        if self.body.position().is_none() {
            return self;
        }
        // Only `Positioned` has a position, and it never wraps another `Positioned`.
        match self.body.unpositioned() {
            Some(inner) => Message {
                body: Arc::clone(inner),
                origin: self.origin,
            },
            None => self,
        }
    }
}

/// Two messages are equal when they are the same publish (one shared body) with the same origin;
/// two publishes of equal events are different messages.
impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.ptr_eq(other) && self.origin == other.origin
    }
}

impl Eq for Message {}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct BodyDebug<'a>(&'a dyn Body);
        impl fmt::Debug for BodyDebug<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.debug(f)
            }
        }
        f.debug_struct("Message")
            .field("domain", &self.domain())
            .field("name", &self.name())
            .field("body", &BodyDebug(&*self.body))
            .field("origin", &self.origin)
            .finish()
    }
}

/// Whether `body` is a bare local `E` (one indirect call: `Any::type_id`).
#[inline]
fn is_local<E: Event>(body: &dyn Body) -> bool {
    let any: &dyn Any = body;
    any.is::<LocalBody<E>>()
}

/// The event of a body already checked to be a `LocalBody<E>`.
#[inline]
fn local_event<E: Event>(body: Arc<dyn Body>) -> Result<EventRef<E>, DecodeError> {
    // The caller's type check makes the error unreachable; answering with one rather than a
    // panic keeps receive paths panic-free even if that reasoning were ever wrong.
    let body: Arc<dyn Any + Send + Sync> = body;
    body.downcast::<LocalBody<E>>()
        .map(|local| EventRef { local })
        .map_err(|_| DecodeError::WrongType {
            domain: E::DOMAIN.to_owned(),
            event: String::new(),
            expected: std::any::type_name::<E>(),
        })
}

/// The event of a body that is not a bare local `E`: a positioned one (its inner body, with the
/// position), or wire JSON of `E`'s domain, decoded once per node.
fn decode_other<E: Event>(
    body: &Arc<dyn Body>,
) -> Result<(EventRef<E>, Option<Position>), DecodeError> {
    match body.unpositioned() {
        Some(inner) => {
            let event = if is_local::<E>(&**inner) {
                local_event::<E>(Arc::clone(inner))
            } else {
                decode_remote::<E>(&**inner)
            };
            event.map(|event| (event, body.position()))
        }
        None => decode_remote::<E>(&**body).map(|event| (event, None)),
    }
}

/// The event of a body that is not a local `E`: wire JSON of `E`'s domain, decoded once per node.
fn decode_remote<E: Event>(body: &dyn Body) -> Result<EventRef<E>, DecodeError> {
    if body.domain() != E::DOMAIN {
        return Err(DecodeError::WrongDomain {
            expected: E::DOMAIN,
            found: body.domain().to_owned(),
            event: body.name().to_owned(),
        });
    }
    match body.decode_wire() {
        Some(wire) => wire.decode::<E>().map(|local| EventRef { local }),
        None => Err(DecodeError::WrongType {
            domain: body.domain().to_owned(),
            event: body.name().to_owned(),
            expected: std::any::type_name::<E>(),
        }),
    }
}

/// A shared reference to a received event: what typed subscriptions yield.
///
/// Every subscriber of a local publish shares the publisher's one value; dereference it to read
/// the event.
///
/// ```
/// # use pubsub_core::{Event, Message};
/// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// # struct Ping(u8);
/// # impl Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
/// let msg = Message::new(Ping(1));
/// let a = msg.decode::<Ping>()?;
/// let b = msg.clone().decode::<Ping>()?;
/// assert_eq!(a.0, 1);
/// assert!(std::ptr::eq(&*a, &*b)); // one value, shared
/// # Ok::<(), pubsub_core::DecodeError>(())
/// ```
pub struct EventRef<E> {
    /// One pointer, for a local event and a decoded one alike: a typed delivery fits in two
    /// registers, so the receive path hands it back without a trip through memory.
    local: Arc<LocalBody<E>>,
}

impl<E> Deref for EventRef<E> {
    type Target = E;
    #[inline]
    fn deref(&self) -> &E {
        &self.local.event
    }
}

impl<E> AsRef<E> for EventRef<E> {
    fn as_ref(&self) -> &E {
        self
    }
}

impl<E> Clone for EventRef<E> {
    fn clone(&self) -> Self {
        EventRef {
            local: Arc::clone(&self.local),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for EventRef<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<E: fmt::Display> fmt::Display for EventRef<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<E: PartialEq> PartialEq for EventRef<E> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<E: Eq> Eq for EventRef<E> {}

impl<E: PartialEq> PartialEq<E> for EventRef<E> {
    fn eq(&self, other: &E) -> bool {
        &**self == other
    }
}
