//! [`Error`]: what can go wrong in the Redis backend.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// An error of the Redis backend. The Redis client's own error is wrapped as an opaque
/// [`source`](std::error::Error::source), never exposed as a type.
///
/// Through the [`Broker`](pubsub_core::Broker) trait it becomes a [`pubsub_core::Error`]:
/// [`Error::Timeout`] becomes [`pubsub_core::Error::Timeout`], every other variant
/// [`pubsub_core::Error::Backend`] with this error as its source.
///
/// ```
/// use pubsub_redis::{Error, RedisBroker, RedisConfig};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let err = RedisBroker::connect(RedisConfig::new("not a url")).await.unwrap_err();
/// assert!(matches!(err, Error::InvalidUrl { .. }));
/// # }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting of [`RedisConfig`](crate::RedisConfig) is invalid.
    #[error("invalid redis broker configuration: {0}")]
    Config(String),
    /// The URL could not be parsed (the URL itself is not repeated: it may hold a password).
    #[error("invalid redis url: {reason}")]
    InvalidUrl {
        /// What the client said.
        reason: String,
    },
    /// Redis did not answer within the bounded wait.
    #[error("timed out after {after:?} waiting for redis to {operation}")]
    Timeout {
        /// What was being done (`"publish"`, `"subscribe"`, `"connect"`).
        operation: &'static str,
        /// How long was waited.
        after: Duration,
    },
    /// The publisher connection is down (its circuit is open: a publish timed out or
    /// reconnecting failed); publishes fail at once while it reconnects in the background.
    #[error("redis is unavailable; reconnecting, next attempt within {retry_in:?}")]
    Unavailable {
        /// The longest wait until the next connection attempt.
        retry_in: Duration,
    },
    /// Redis or the connection to it failed.
    #[error("redis failed to {operation}: {source}")]
    Redis {
        /// What was being done.
        operation: &'static str,
        /// The client's error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The event's JSON does not have the shape the wire format needs (an object starting with
    /// its `"event"` tag, as serde's adjacently tagged enums write it), or cannot be made.
    #[error("event `{domain}/{event}` cannot be sent: {reason}")]
    Encode {
        /// The event's domain.
        domain: String,
        /// The event's name.
        event: String,
        /// Why.
        reason: String,
    },
    /// The envelope would be larger than [`RedisConfig::max_message_bytes`](crate::RedisConfig::max_message_bytes).
    #[error("message of {bytes} bytes is larger than the maximum of {max} bytes")]
    TooLarge {
        /// The envelope's size.
        bytes: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The broker's background tasks have stopped.
    #[error("the redis broker is closed")]
    Closed,
}

impl Error {
    pub(crate) fn redis(operation: &'static str, source: redis::RedisError) -> Self {
        Error::Redis {
            operation,
            source: Arc::new(source),
        }
    }

    fn operation(&self) -> &'static str {
        match self {
            Error::Config(_) | Error::InvalidUrl { .. } => "connect",
            Error::Timeout { operation, .. } | Error::Redis { operation, .. } => operation,
            Error::Unavailable { .. } | Error::Encode { .. } | Error::TooLarge { .. } => "publish",
            Error::Closed => "reach the network",
        }
    }
}

/// Waits at most `after` for a Redis request: its timeout and the client's error both become this
/// crate's errors, named by `operation`.
pub(crate) async fn bounded<T>(
    operation: &'static str,
    after: Duration,
    request: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, Error> {
    tokio::time::timeout(after, request)
        .await
        .map_err(|_| Error::Timeout { operation, after })?
        .map_err(|e| Error::redis(operation, e))
}

impl From<Error> for pubsub_core::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Timeout { operation, after } => pubsub_core::Error::Timeout { operation, after },
            Error::Closed => pubsub_core::Error::Closed,
            other => pubsub_core::Error::Backend {
                backend: "redis",
                operation: other.operation(),
                source: Box::new(other),
            },
        }
    }
}
