//! The client process: `n` browsers of one kind on loopback, on a runtime of one worker thread,
//! in a process of their own (its own allocator counts, its own open-file limit), driven by the
//! bench process over stdin and stdout, one line each way:
//!
//! - the child prints `ready <k>` once `k` of its `n` clients are subscribed (SSE: the response
//!   has begun; WebSocket: the join's reply came; socket.io: the namespace's `40{..}` came);
//! - the parent sends `phase <messages>`; the child clears its counts, prints `go`, and prints
//!   `result <delivered> <last delivery, µs> <p50, µs> <p99, µs> <CPU, ms>` once every client has
//!   `messages` deliveries, or nothing arrived for 2 s (the rest is lost);
//! - the parent kills the child when it is done with it.
//!
//! Latency is the wall clock (`SystemTime`, one clock for both processes) at the client's read
//! minus the publish time carried in the message: it includes the time a client waits for the
//! client process's one thread, which shares the machine's two cores with the server.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{Kind, cpu_ms, now_us};

/// Connections being set up at once (the rest wait): the listener's backlog is never the limit.
const CONNECTING: usize = 256;

/// What every client adds up.
#[derive(Default)]
struct Tally {
    delivered: AtomicU64,
    ready: AtomicU64,
    last_us: AtomicU64,
}

/// One client's latencies of this phase, in microseconds.
type Latencies = Arc<std::sync::Mutex<Vec<u32>>>;

/// What one client records of a read holding some deliveries.
struct Record {
    tally: Arc<Tally>,
    latencies: Latencies,
    seen: Vec<u64>,
}

impl Record {
    /// Counts the publish times found in `text`, read at `now`.
    fn read(&mut self, text: &[u8], now: u64) {
        self.seen.clear();
        times(text, |t| self.seen.push(t));
        if self.seen.is_empty() {
            return;
        }
        let mut own = self.latencies.lock().expect("latencies");
        own.extend(
            self.seen
                .iter()
                .map(|t| u32::try_from(now.saturating_sub(*t)).unwrap_or(u32::MAX)),
        );
        drop(own);
        self.tally
            .delivered
            .fetch_add(self.seen.len() as u64, Ordering::Relaxed);
        self.tally.last_us.fetch_max(now, Ordering::Relaxed);
    }

    fn ready(&self) {
        self.tally.ready.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every `"t":<digits>` in `text`: the publish times of the events it holds.
fn times(text: &[u8], mut each: impl FnMut(u64)) {
    let mut rest = text;
    while let Some(at) = rest.windows(4).position(|w| w == b"\"t\":") {
        rest = &rest[at + 4..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if let Some(t) = std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|d| d.parse().ok())
        {
            each(t);
        }
        rest = &rest[digits..];
    }
}

/// The child process's main: `n` clients of `kind` on `addr`, until killed.
pub(crate) fn main(addr: SocketAddr, kind: Kind, n: usize) {
    // `GATEWAY_CLIENT_THREADS`: more client threads (they still share the same cores).
    let threads = std::env::var("GATEWAY_CLIENT_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("client runtime");
    let tally = Arc::new(Tally::default());
    let connecting = Arc::new(Semaphore::new(CONNECTING));
    let mut all: Vec<Latencies> = Vec::with_capacity(n);
    for _ in 0..n {
        let latencies = Latencies::default();
        all.push(Arc::clone(&latencies));
        let record = Record {
            tally: Arc::clone(&tally),
            latencies,
            seen: Vec::new(),
        };
        let connecting = Arc::clone(&connecting);
        runtime.spawn(async move {
            let permit = connecting.acquire_owned().await.expect("semaphore");
            match kind {
                Kind::OursSse => sse(addr, "/ours/sse", record, permit).await,
                Kind::NaiveSse => sse(addr, "/naive/sse", record, permit).await,
                Kind::OursWs => ws(addr, record, permit).await,
                Kind::SocketIo => socket_io(addr, record, permit).await,
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while tally.ready.load(Ordering::Relaxed) < n as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    say(&format!("ready {}", tally.ready.load(Ordering::Relaxed)));
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Some(messages) = line
            .strip_prefix("phase ")
            .and_then(|m| m.trim().parse::<u64>().ok())
        else {
            break;
        };
        for own in &all {
            own.lock().expect("latencies").clear();
        }
        tally.delivered.store(0, Ordering::Relaxed);
        tally.last_us.store(0, Ordering::Relaxed);
        say("go");
        let cpu_at_go = cpu_ms();
        let expected = messages * n as u64;
        let deadline = Instant::now() + Duration::from_secs(120);
        let (mut last, mut still) = (0, Instant::now());
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            let now = tally.delivered.load(Ordering::Relaxed);
            if now >= expected {
                break;
            }
            if now != last {
                (last, still) = (now, Instant::now());
            } else if still.elapsed() > Duration::from_secs(2) {
                break; // nothing more is coming: the rest was lost
            }
        }
        let cpu = cpu_ms() - cpu_at_go;
        let mut latencies: Vec<u32> = Vec::new();
        for own in &all {
            latencies.append(&mut own.lock().expect("latencies"));
        }
        latencies.sort_unstable();
        let at = |per_mille: usize| {
            latencies
                .get(latencies.len().saturating_sub(1) * per_mille / 1000)
                .copied()
                .unwrap_or(0)
        };
        say(&format!(
            "result {} {} {} {} {}",
            tally.delivered.load(Ordering::Relaxed),
            tally.last_us.load(Ordering::Relaxed),
            at(500),
            at(990),
            cpu,
        ));
    }
    runtime.shutdown_background();
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// An `EventSource` by hand: raw HTTP/1.1 over TCP; each event's publish time found in the
/// bytes (chunked framing leaves event text whole: one chunk is one or more events).
async fn sse(addr: SocketAddr, path: &str, mut record: Record, permit: OwnedSemaphorePermit) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 8 * 1024];
    let mut permit = Some(permit);
    while let Ok(read) = stream.read(&mut buf).await {
        if read == 0 {
            break;
        }
        if permit.take().is_some() {
            record.ready();
        }
        pending.extend_from_slice(&buf[..read]);
        let Some(end) = pending.windows(2).rposition(|w| w == b"\n\n") else {
            continue;
        };
        record.read(&pending[..end], now_us());
        pending.drain(..end + 2);
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket with small client buffers (10,000 of tungstenite's default 128 KiB would only
/// cost the client process).
async fn ws_connect(url: &str) -> Ws {
    let config = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
        .await
        .expect("connect");
    ws
}

/// `GATEWAY_IDLE_JOINS`: topics each WebSocket client joins besides the live one, on which
/// nothing is published (a screen showing many records, one of them busy); joined first, so
/// the live join's reply comes last. At most 99 with the default join limits.
fn idle_joins() -> usize {
    std::env::var("GATEWAY_IDLE_JOINS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// pubsub-axum's channels: join the topic (after the idle ones, if any), wait for the reply, a
/// `$heartbeat` every 20 s as the JavaScript client does.
async fn ws(addr: SocketAddr, mut record: Record, permit: OwnedSemaphorePermit) {
    let mut ws = ws_connect(&format!("ws://{addr}/ours/ws")).await;
    for idle in 0..idle_joins() {
        let join = format!(r#"{{"ref":"i{idle}","topic":"bench:idle:{idle}","event":"$join"}}"#);
        ws.send(WsMessage::text(join)).await.expect("idle join");
    }
    let join = r#"{"ref":"1","topic":"bench:live","event":"$join"}"#;
    ws.send(WsMessage::text(join)).await.expect("join");
    let mut permit = Some(permit);
    let mut heartbeat = tokio::time::interval(Duration::from_secs(20));
    heartbeat.tick().await;
    loop {
        let message = tokio::select! {
            message = ws.next() => message,
            _ = heartbeat.tick() => {
                let beat = r#"{"ref":"h","event":"$heartbeat"}"#;
                let _ = ws.send(WsMessage::text(beat)).await;
                continue;
            }
        };
        let Some(Ok(WsMessage::Text(text))) = message else {
            if matches!(message, Some(Ok(_))) {
                continue;
            }
            break;
        };
        if text.contains("\"$reply\"") {
            if text.contains(r#""ref":"1""#) && permit.take().is_some() {
                record.ready();
            }
            continue;
        }
        record.read(text.as_bytes(), now_us());
    }
}

/// Socket.IO v5 over Engine.IO v4, WebSocket transport only, by hand: the open packet
/// `0{..}`, then `40` (connect to `/`) and its `40{..}`; a ping `2` is answered `3`; events
/// come as `42["note",{..}]`.
async fn socket_io(addr: SocketAddr, mut record: Record, permit: OwnedSemaphorePermit) {
    let mut ws = ws_connect(&format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")).await;
    let mut permit = Some(permit);
    while let Some(Ok(message)) = ws.next().await {
        let WsMessage::Text(text) = message else {
            continue;
        };
        let text = text.as_str();
        if text.starts_with("42") {
            record.read(text.as_bytes(), now_us());
        } else if text == "2" {
            let _ = ws.send(WsMessage::text("3")).await;
        } else if text.starts_with("40") {
            if permit.take().is_some() {
                record.ready();
            }
        } else if text.starts_with('0') {
            ws.send(WsMessage::text("40"))
                .await
                .expect("connect packet");
        }
    }
}
