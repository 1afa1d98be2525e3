//! The JavaScript client: one ES module, no build step, no dependency, served from the binary.
//!
//! ```
//! use axum::Router;
//! use axum::routing::get;
//! let app: Router = Router::new().route("/pubsub/client.js", get(pubsub_axum::client::handler));
//! ```
//!
//! # API
//!
//! ```js
//! import { Socket, LiveSource } from "/pubsub/client.js";
//!
//! // WebSocket channels
//! const socket = new Socket("/socket", { onOpen() {}, onClose(event) {}, heartbeatMs: 25000 });
//! const channel = socket.join("docs:doc:1", {
//!   params: () => ({ token }),              // sent with every (re)join
//!   onJoin(response) {},                    // {recovered, replayed, position}
//!   onEvent(event, payload, position) {},   // each application event, in order
//!   onReload(reason) {},                    // messages may be missing: reload the state
//!   onError(reason) {},                     // the join was refused
//! });
//! socket.connect();
//! channel.leave();
//! socket.disconnect();
//!
//! // Server-Sent Events
//! const live = new LiveSource("/live/docs", { onOpen() {}, onReload(reason) {} });
//! live.on("doc_saved", (payload, token) => {});
//! live.close();
//! ```
//!
//! Both reconnect with backoff (10 ms, 50, 100, 150, 200, 250, 500 ms, 1, 2 s, then 5 s) and
//! 50-150 % jitter (back to the first step once a connection has lasted 5 s, so a server that
//! accepts and drops at once is not hammered), and resume from the last position received: a
//! `Socket` rejoins every channel with its `since` (and its `params`, evaluated again), a
//! `LiveSource` reopens its `EventSource` with `?since=<token>`. A `Socket` sends a heartbeat
//! every `heartbeatMs` and reconnects at once when one goes unanswered.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The module's source.
pub const CLIENT_JS: &str = include_str!("client.js");

/// A handler that serves [`CLIENT_JS`] as `text/javascript`.
#[allow(clippy::unused_async, reason = "axum handlers are async functions")]
pub async fn handler() -> Response {
    let mut response = CLIENT_JS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
