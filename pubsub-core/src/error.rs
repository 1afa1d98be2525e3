//! The error type of the core's fallible operations.

use std::time::Duration;

use crate::subscription::SubscriptionId;
use crate::topic::TopicError;

/// What can go wrong when publishing or subscribing through a [`Broker`](crate::Broker).
///
/// ```
/// use pubsub_core::{Error, Topic};
///
/// let err: Error = Topic::new("bad topic").unwrap_err().into();
/// assert!(err.to_string().contains("printable ASCII"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A topic name broke a rule.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// The broker has shut down; nothing more can be published or subscribed.
    #[error("the broker is closed")]
    Closed,
    /// The subscription was made by another broker, so this one cannot change it.
    #[error("subscription {subscription} belongs to another broker")]
    ForeignSubscription {
        /// The subscription's id.
        subscription: SubscriptionId,
    },
    /// The subscription is scoped to one tenant and the topic is not of that tenant.
    #[error("subscription {subscription} is scoped to tenant `{tenant}`; topic `{topic}` is not")]
    ForeignScope {
        /// The subscription's id.
        subscription: SubscriptionId,
        /// The tenant it is scoped to.
        tenant: String,
        /// The refused topic.
        topic: String,
    },
    /// An event could not be turned into JSON for the wire.
    #[error("could not encode event `{domain}/{event}` as JSON: {reason}")]
    Encode {
        /// The event's domain.
        domain: String,
        /// The event's name.
        event: String,
        /// What serde said.
        reason: String,
    },
    /// The backend did not answer in time.
    #[error("timed out after {after:?} waiting for the backend to {operation}")]
    Timeout {
        /// What was being done (`"publish"`, `"subscribe"`).
        operation: &'static str,
        /// How long was waited.
        after: Duration,
    },
    /// The topic has no tenant scope, and the broker is in multi-tenant mode.
    #[error("topic `{topic}` has no tenant scope, and this broker refuses unscoped topics")]
    Unscoped {
        /// The refused topic.
        topic: String,
    },
    /// The backend failed.
    #[error("{backend} backend failed to {operation}: {source}")]
    Backend {
        /// Which backend (`"redis"`).
        backend: &'static str,
        /// What was being done (`"publish"`, `"subscribe"`).
        operation: &'static str,
        /// The backend's own error, wrapped so its type does not leak into this API.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// Why a received message could not be decoded into the subscriber's event type.
///
/// Typed subscriptions log, count and skip such messages; untyped ones get this from
/// [`Message::decode`](crate::Message::decode).
///
/// ```
/// use pubsub_core::{DecodeError, Event, Message};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl Event for Ping { const DOMAIN: &'static str = "demo"; fn name(&self) -> &'static str { "ping" } }
///
/// let crm = Message::from_json("crm", "interaction_created", "{}");
/// assert!(matches!(crm.decode::<Ping>(), Err(DecodeError::WrongDomain { .. })));
///
/// let garbled = Message::from_json("demo", "ping", "not json");
/// assert!(matches!(garbled.decode::<Ping>(), Err(DecodeError::Json { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The message belongs to another domain than the requested event type.
    #[error("message `{found}/{event}` is not of domain `{expected}`")]
    WrongDomain {
        /// The requested type's domain.
        expected: &'static str,
        /// The message's domain.
        found: String,
        /// The message's event name.
        event: String,
    },
    /// A local message holds another Rust type of the same domain.
    #[error("message `{domain}/{event}` holds another Rust type than `{expected}`")]
    WrongType {
        /// The message's domain.
        domain: String,
        /// The message's event name.
        event: String,
        /// The requested Rust type.
        expected: &'static str,
    },
    /// The JSON did not match the event type.
    #[error("message `{domain}/{event}` does not decode: {reason}")]
    Json {
        /// The message's domain.
        domain: String,
        /// The message's event name.
        event: String,
        /// What serde said.
        reason: String,
    },
}
