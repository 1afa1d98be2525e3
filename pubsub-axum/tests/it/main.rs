//! pubsub-axum over real HTTP and WebSocket connections on loopback.

#[cfg(feature = "presence")]
mod presence;
mod sse;
mod support;
mod ws;
