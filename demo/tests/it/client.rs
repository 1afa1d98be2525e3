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

/// A server made by `make`, and its state: the test reaches behind the API with it, writing the
/// store and publishing straight to the broker as another node (or `redis-cli`) could.
pub(crate) fn start_shared_with<F, Fut>(make: F) -> (Server, AppState)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppState>,
{
    let (tx, rx) = mpsc::channel();
    let server = start_with(move || async move {
        let state = make().await;
        tx.send(state.clone()).expect("send state");
        state
    });
    let state = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server state");
    (server, state)
}

/// [`start_shared_with`] on the in-memory broker and store.
pub(crate) fn start_shared() -> (Server, AppState) {
    start_shared_with(|| async { AppState::in_memory(64).await.expect("state") })
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

    /// POSTs raw `body` bytes with `content_type` to `path`; the status and the body as text,
    /// whatever the status.
    ///
    /// # Panics
    ///
    /// When no answer comes (the connection is dropped, as when a handler panics).
    pub(crate) fn send(&self, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
        let url = format!("{}{}", self.url, path.trim_start_matches('/'));
        let mut response = ureq::post(&url)
            .config()
            .http_status_as_error(false)
            .build()
            .header("content-type", content_type)
            .send(body)
            .unwrap_or_else(|error| panic!("no answer to POST {path}: {error}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, text)
    }

    /// Writes `head` (the request line and headers, without the blank line) and `body` on a
    /// plain TCP connection, as a hostile client would (any length, any framing); the status and
    /// the text of the answer.
    ///
    /// # Panics
    ///
    /// When no answer comes within 5 s.
    pub(crate) fn raw(&self, head: &str, body: &[u8]) -> (u16, String) {
        use std::io::{Read, Write};
        let address = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let request = format!("{head}\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        // A write may fail once the server has answered and closed: the answer is what counts.
        let _ = stream
            .write_all(request.as_bytes())
            .and_then(|()| stream.write_all(body));
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP answer to {head:?}: {answer:?}"));
        let text = answer
            .split_once("\r\n\r\n")
            .map_or("", |(_, text)| text)
            .to_owned();
        (status, text)
    }

    /// The status of a GET of `path`.
    pub(crate) fn get_status(&self, path: &str) -> u16 {
        let url = format!("{}{}", self.url, path.trim_start_matches('/'));
        ureq::get(&url)
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap_or_else(|error| panic!("no answer to GET {path}: {error}"))
            .status()
            .as_u16()
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
