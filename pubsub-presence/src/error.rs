//! [`PresenceError`]: what can go wrong when tracking, listing or following.

use pubsub_core::TopicError;

/// Why a presence call failed.
///
/// ```
/// use pubsub_presence::PresenceError;
/// let error = PresenceError::Closed;
/// assert_eq!(error.to_string(), "the presence node has shut down");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresenceError {
    /// The broker refused or failed a publish or a subscription.
    #[error(transparent)]
    Broker(#[from] pubsub_core::Error),
    /// The topic's presence topic (`<prefix>:<topic>`) is not a valid topic (too long).
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// The metadata could not be serialised, or the key or metadata is out of bounds.
    #[error("invalid presence: {0}")]
    Invalid(String),
    /// The configuration is inconsistent.
    #[error("invalid presence configuration: {0}")]
    Config(String),
    /// The node has shut down.
    #[error("the presence node has shut down")]
    Closed,
}
