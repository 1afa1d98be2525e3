//! A demo server on a free port in a background runtime, and a plain blocking HTTP client for
//! its JSON API and its Server-Sent Events.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use demo::AppState;
use serde_json::Value;

/// A running demo server.
pub(crate) struct Server {
    pub(crate) url: String,
}

/// Serves `state` on a free port; `current_thread` runs it on one thread, so a burst of
/// publishes cannot interleave with the pages draining them.
pub(crate) fn start_with<F, Fut>(make: F) -> Server
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppState>,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let state = make().await;
            demo::serve(state, 0, |url| tx.send(url.to_owned()).expect("send url"))
                .await
                .expect("serve");
        });
    });
    let url = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server started");
    Server { url }
}

/// A server on the in-memory broker and store (capacity 64, the demo's default).
pub(crate) fn start() -> Server {
    start_with(|| async { AppState::in_memory(64).await.expect("state") })
}

/// Runs a future to completion on a throwaway runtime.
pub(crate) fn block<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

impl Server {
    /// POSTs `body` as JSON to `path`; the answer's JSON.
    pub(crate) fn post(&self, path: &str, body: &Value) -> Value {
        let url = format!("{}{}", self.url, path.trim_start_matches('/'));
        let mut response = ureq::post(&url).send_json(body).expect("post");
        response.body_mut().read_json().expect("json answer")
    }

    /// The status of a POST that is expected to fail.
    pub(crate) fn post_status(&self, path: &str, body: &Value) -> u16 {
        let url = format!("{}{}", self.url, path.trim_start_matches('/'));
        match ureq::post(&url).send_json(body) {
            Ok(response) => response.status().as_u16(),
            Err(ureq::Error::StatusCode(code)) => code,
            Err(other) => panic!("post failed: {other}"),
        }
    }

    /// GETs `path`; the body as text.
    pub(crate) fn get(&self, path: &str) -> String {
        let url = format!("{}{}", self.url, path.trim_start_matches('/'));
        ureq::get(&url)
            .call()
            .expect("get")
            .body_mut()
            .read_to_string()
            .expect("text")
    }

    /// Opens a live page's event stream.
    pub(crate) fn live(&self, path: &str) -> Live {
        let url = format!("{}{}", self.url, path.trim_start_matches('/'));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let response = ureq::get(&url)
                .header("accept", "text/event-stream")
                .call()
                .expect("live stream");
            let reader = BufReader::new(response.into_body().into_reader());
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if let Some(data) = line.strip_prefix("data: ") {
                    let frame: Value = serde_json::from_str(data).expect("frame json");
                    if tx.send(frame).is_err() {
                        return;
                    }
                }
            }
        });
        Live { rx }
    }
}

/// The frames a live page receives.
pub(crate) struct Live {
    rx: mpsc::Receiver<Value>,
}

impl Live {
    /// The next frame, within `timeout`.
    pub(crate) fn next(&self, timeout: Duration) -> Option<Value> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// Waits up to `timeout` for a frame satisfying `want`; returns it.
    ///
    /// # Panics
    ///
    /// When none comes in time, with `what` in the message.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        want: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(frame) if want(&frame) => return frame,
                Ok(_) => {}
                Err(error) => panic!("no frame with {what} within {timeout:?}: {error}"),
            }
        }
    }

    /// The first frame: the page's initial snapshot.
    pub(crate) fn snapshot(&self) -> Value {
        let frame = self.next(Duration::from_secs(5)).expect("initial snapshot");
        assert_eq!(frame["op"], "snapshot", "first frame: {frame}");
        frame
    }
}

/// The op of a frame and the text it carries.
pub(crate) fn op(frame: &Value) -> (&str, &str) {
    (
        frame["op"].as_str().unwrap_or(""),
        frame["html"].as_str().unwrap_or(""),
    )
}
