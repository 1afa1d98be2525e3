//! The last mile to the browser for [`pubsub_core`]: Server-Sent Events and WebSocket channels
//! for axum, with authorization per join, heartbeats, keep-alives, resume from the broker's
//! history, and a small JavaScript client.
//!
//! - [`Sse`]: topics to an `EventSource` response; one event per message (its name and JSON,
//!   made once per message), the resume token as the SSE `id`, keep-alive comments, resume
//!   from `Last-Event-ID` or `?since=`, a `$reload` event when the history cannot cover a gap,
//!   a clean end on shutdown.
//! - [`Channels`]: one WebSocket, many topics (`$join` / `$leave` with a reference and a
//!   reply), an [`Authorize`] hook per join, other tenants' topics refused, heartbeats and an
//!   idle timeout, a bounded outbound queue, a maximum frame size, rejoin from positions. The
//!   frame format is in [`ws::frames`].
//! - **Presence** (feature `presence`): with `Channels::presence`, a join with
//!   `"presence": true` gets the topic's presence (`$presence_state`, then `$presence_diff`
//!   frames), and a join [`Authorize::presence`] names is tracked until the connection leaves.
//! - [`client`]: the ES module (`Socket`, `LiveSource`) that speaks both, served by a handler.
//!
//! # Quickstart
//!
//! A live topic in a browser, in ten lines:
//!
//! ```no_run
//! use axum::{Router, extract::State, routing::get};
//! use pubsub_axum::{Resume, Sse};
//! use pubsub_core::{MemoryBroker, Topic};
//!
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! let broker = MemoryBroker::new();
//! let app = Router::new()
//!     .route("/live", get(|State(b): State<MemoryBroker>, resume: Resume| async move {
//!         Sse::new().stream(&b, vec![Topic::from_static("docs:all")], &resume).await
//!     }))
//!     .route("/pubsub/client.js", get(pubsub_axum::client::handler))
//!     .with_state(broker.clone());
//! axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await
//! # }
//! ```
//!
//! and in the page: `new LiveSource("/live").on("doc_saved", (doc) => render(doc))`.
//!
//! # Resume
//!
//! Positions come from the broker's history ([`pubsub_core::history`]): a stream or join on a
//! topic with history resumes with nothing lost while the history covers the gap, and is told
//! to reload (`$reload`, or a join reply with `recovered: false`) when it cannot. Topics
//! without history always reload after a reconnect: nothing can say what was missed.
//!
//! # Bounds
//!
//! Everything from the browser is bounded before it is read: resume tokens
//! ([`resume::MAX_TOKEN_LEN`]), frames ([`Channels::max_frame_size`]), refs
//! ([`ws::frames::MAX_REF_LEN`]), topics per connection. A browser that stops reading costs at
//! most its queue and its subscriptions' bounded buffers, then is closed.

pub mod auth;
pub mod client;
mod error;
pub mod resume;
pub mod sse;
pub mod ws;

pub use auth::{AllowAll, AllowIf, Authorize, Join, Refusal, Tracking, allow_if};
pub use error::Error;
pub use sse::{Resume, Sse, SseStream};
pub use ws::{Channels, JoinRate};

#[cfg(test)]
mod send_sync {
    fn assert<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert::<crate::Sse>();
        // A stream may carry the app's own (`Send`) event stream: an axum body needs no more.
        assert_send::<crate::SseStream>();
        assert::<crate::Resume>();
        assert::<crate::Channels<()>>();
        assert::<crate::Error>();
        assert::<crate::Refusal>();
        assert::<crate::resume::ResumeToken>();
    }
}
