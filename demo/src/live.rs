//! Live pages: each follows its topics and sends the browser HTML updates over Server-Sent
//! Events.
//!
//! Every page does the same three things, in this order:
//!
//! 1. **subscribe** to its topics;
//! 2. **load** its initial state and send it (a `snapshot`): no change can fall between the
//!    load and the subscription;
//! 3. **loop**: each event, after the core's stream helpers have thinned a burst
//!    ([`coalesce`](pubsub_core::LiveStreamExt::coalesce) per record,
//!    [`batch`](pubsub_core::LiveStreamExt::batch) per list,
//!    [`throttle`](pubsub_core::LiveStreamExt::throttle) for progress), re-reads what changed
//!    and sends a row (`upsert`, `remove`) or the whole list; a lag or gap notice reloads
//!    everything and says so (`reloaded`).

pub mod catalogue;
pub mod contact;
pub mod jobs;
pub mod project;
pub mod team;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use pubsub_axum::{Sse, SseStream};
use pubsub_core::Delivery;
use serde::Serialize;
use tokio::sync::mpsc;

/// How long a record's window stays open while coalescing its events.
pub const COALESCE: Duration = Duration::from_millis(120);
/// How long a list's batch collects events.
pub const BATCH: Duration = Duration::from_millis(150);
/// At most one progress update per this window.
pub const THROTTLE: Duration = Duration::from_millis(250);

/// What an update does to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Replace the page's live part.
    Snapshot,
    /// Replace the element `target`, or insert it into `container`.
    Upsert,
    /// Remove the element `target`.
    Remove,
}

/// One Server-Sent Event (`event: update`), as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Frame {
    /// What to do.
    pub op: Op,
    /// The element to replace or remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where a new element goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// `start` or `end` of the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<&'static str>,
    /// The HTML.
    pub html: String,
    /// Events this page's subscriptions have received so far.
    pub received: u64,
    /// Set on a snapshot sent because of a lag or gap notice: what happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reloaded: Option<String>,
}

/// The browser went away.
#[derive(Debug, thiserror::Error)]
#[error("the page was closed")]
pub struct Closed;

/// Where a live page sends its updates, and its count of events received.
#[derive(Debug, Clone)]
pub struct Out {
    tx: mpsc::Sender<Frame>,
    received: Arc<AtomicU64>,
}

impl Out {
    /// Counts every message `stream` yields in this page's "events received".
    pub fn count<S, T>(&self, stream: S) -> impl Stream<Item = Delivery<T>> + Unpin + use<S, T>
    where
        S: Stream<Item = Delivery<T>> + Unpin,
    {
        let received = Arc::clone(&self.received);
        stream.inspect(move |d| {
            if matches!(d, Delivery::Message(_)) {
                received.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    async fn send(&self, mut frame: Frame) -> Result<(), Closed> {
        frame.received = self.received.load(Ordering::Relaxed);
        self.tx.send(frame).await.map_err(|_| Closed)
    }

    /// Replaces the live part; `reloaded` says why when a notice caused it.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the page is gone.
    pub async fn snapshot(&self, html: String, reloaded: Option<String>) -> Result<(), Closed> {
        self.send(Frame {
            op: Op::Snapshot,
            target: None,
            container: None,
            at: None,
            html,
            received: 0,
            reloaded,
        })
        .await
    }

    /// Replaces `target`, or inserts `html` at the `at` end of `container`.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the page is gone.
    pub async fn upsert(
        &self,
        target: String,
        container: &str,
        at: &'static str,
        html: String,
    ) -> Result<(), Closed> {
        self.send(Frame {
            op: Op::Upsert,
            target: Some(target),
            container: Some(container.to_owned()),
            at: Some(at),
            html,
            received: 0,
            reloaded: None,
        })
        .await
    }

    /// Removes `target`.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the page is gone.
    pub async fn remove(&self, target: String) -> Result<(), Closed> {
        self.send(Frame {
            op: Op::Remove,
            target: Some(target),
            container: None,
            at: None,
            html: String::new(),
            received: 0,
            reloaded: None,
        })
        .await
    }
}

/// What a notice says, for the "reloaded after …" badge.
pub fn reason<T>(notice: &Delivery<T>) -> String {
    match notice {
        Delivery::Lagged(n) => format!("lag ({n} missed)"),
        Delivery::Gap => "gap (messages may be lost)".to_owned(),
        Delivery::Message(_) => "update".to_owned(),
    }
}

/// Runs a live page for one browser: `page` gets an [`Out`] and runs until the browser goes
/// away (its task is then dropped, and with it its subscriptions). Its frames go out as `update`
/// events through `sse` (`pubsub-axum`: keep-alives, and the end on the server's shutdown).
pub fn stream<F, Fut>(sse: &Sse, page: F) -> SseStream
where
    F: FnOnce(Out) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Frame>(64);
    let out = Out {
        tx: tx.clone(),
        received: Arc::new(AtomicU64::new(0)),
    };
    let running = page(out);
    tokio::spawn(async move {
        tokio::select! {
            result = running => {
                if let Err(error) = result
                    && error.downcast_ref::<Closed>().is_none()
                {
                    tracing::warn!(%error, "live page stopped");
                }
            }
            () = tx.closed() => {}
        }
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            let frame = rx.recv().await?;
            match serde_json::to_string(&frame) {
                Ok(json) => return Some((("update", json), rx)),
                Err(error) => tracing::warn!(%error, "an unencodable frame is skipped"),
            }
        }
    });
    sse.events(events)
}
