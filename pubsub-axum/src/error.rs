//! [`Error`]: what can go wrong opening a stream.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a stream could not be opened. As a response: 400 for the app's own mistakes in the topic
/// list, 403 for a topic the broker refuses (another tenant's, an unscoped one in multi-tenant
/// mode), 503 otherwise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A stream needs at least one topic.
    #[error("a stream needs at least one topic")]
    NoTopics,
    /// More topics than one resume token can carry.
    #[error("{count} topics in one stream, more than the maximum of {max}")]
    TooManyTopics {
        /// How many were asked for.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// The broker refused or failed a subscription.
    #[error("the broker refused the subscription")]
    Broker(
        #[from]
        #[source]
        pubsub_core::Error,
    ),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Error::NoTopics | Error::TooManyTopics { .. } => StatusCode::BAD_REQUEST,
            Error::Broker(
                pubsub_core::Error::Unscoped { .. } | pubsub_core::Error::ForeignScope { .. },
            ) => StatusCode::FORBIDDEN,
            Error::Broker(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        tracing::debug!(error = %self, "stream refused");
        (status, self.to_string()).into_response()
    }
}
