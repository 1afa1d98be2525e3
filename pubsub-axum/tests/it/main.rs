//! pubsub-axum over real HTTP and WebSocket connections on loopback.

mod sse;
mod support;
mod ws;
