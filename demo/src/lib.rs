//! The live demo: a small web app whose pages refresh themselves when someone else changes the
//! data, over the in-memory broker or, with `--redis`, across several nodes.
//!
//! Run it with `cargo xtask demo` and open the printed URL in two tabs.
//!
//! # Pages
//!
//! | page | topics | stream helper | refresh |
//! |---|---|---|---|
//! | contact `/contacts/<id>` | `crm:contact:<id>:interactions` | `coalesce` per interaction | the entry (added, replaced, or removed when the contact no longer takes part) |
//! | project `/projects/<id>` | `projects:project:<id>` | `coalesce` per assignment | the row |
//! | team `/teams/<id>` | `staff:team:<id>`, `staff:people` | `batch` | the member list, once per batch |
//! | catalogue `/catalogue` | `phoenix_kit_catalogue` | `coalesce` per item | the row |
//! | jobs `/jobs` | `jobs:resource:<id>` of each resource | `batch` | the list |
//! | a job `/jobs/<id>` | `jobs:workflow:<id>`, then `jobs:process:<id>` | none: WebSocket channels | the progress bar, drawn in the page from every step event; the whole job on completion |
//! | activity `/activity` | `jobs:resource:<id>` of each resource | none: a resumable SSE stream | the event list, from the events themselves (`LiveSource`) |
//!
//! The live pages stream server-rendered updates over SSE (`pubsub-axum`'s `Sse::events`:
//! keep-alives, and the end of every stream on a graceful shutdown). A job's page instead joins
//! its topics over a WebSocket with `pubsub-axum`'s JavaScript client (`assets/job.js`): the
//! events themselves reach the page, and after a dropped connection (try the page's "cut the
//! connection" button, `POST /api/cut`) it reconnects, rejoins from its last positions and gets
//! every event published meanwhile from the jobs' history; the activity page does the same over
//! SSE (`Sse::stream`, reopened with its resume token). `/live/jobs/<id>` still serves the
//! server-rendered version of the job page's stream.
//!
//! Every live page subscribes, then loads, then follows (see [`live`]); a lag or gap notice
//! reloads it and lights its "reloaded after lag" badge. The header counts the events the page's
//! subscriptions received and the refreshes it applied: a burst shows many events and few
//! refreshes. The background-jobs domain ([`jobs`]) is defined here, on the core, the way an app
//! adds its own domain.
//!
//! # Several nodes
//!
//! `demo --redis redis://127.0.0.1:6379/ --port 4001` (and another with `--port 4002`) puts both
//! the broker and the store in that Redis: the nodes are two app servers sharing one database
//! and one `PubSub`. A change made through either node is written to the shared store, then
//! broadcast; the domain events carry identifiers only, so each node's live pages re-read the
//! record from the shared store when the event arrives, exactly as they do on one node. (The
//! alternative, each node applying events to a private copy, would need events to carry whole
//! records, which the domain crates deliberately do not.)

pub mod actions;
pub mod config;
pub mod jobs;
pub mod live;
pub mod simulate;
pub mod state;
pub mod store;
pub mod views;
pub mod web;

/// The workspace README's examples, compiled and run as doc tests (this crate depends on every
/// crate they use), so the README stays true. They live here, not in a published crate, because
/// the README is outside every published crate's directory and so not in its package.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub use config::Config;
pub use state::AppState;
pub use store::{Sample, Store};

use anyhow::{Context, Result};
use tokio::net::TcpListener;

/// Binds `127.0.0.1:<port>`, starts the simulator and serves until the process ends. Calls
/// `on_ready` with the URL once listening.
///
/// # Errors
///
/// When the port cannot be bound or the server fails.
pub async fn serve(mut state: AppState, port: u16, on_ready: impl FnOnce(&str)) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    let port = listener.local_addr()?.port();
    state.node = format!(":{port} · {}", state.node).into();
    tokio::spawn(simulate::run(state.clone()));
    on_ready(&format!("http://127.0.0.1:{port}/"));
    let shutdown = state.shutdown.clone();
    // Streams and sockets end on the same signal, so the graceful shutdown does not wait on them.
    axum::serve(listener, web::router(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    Ok(())
}
