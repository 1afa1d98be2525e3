//! N concurrent browsers on one topic: `pubsub-axum`'s SSE and WebSocket against a naive axum SSE
//! fan-out (a `tokio::sync::broadcast` receiver and one `serde_json::to_string` per connection,
//! `KeepAlive::default()`), as `shared/REALTIME.md` measured it.
//!
//! One process: the server on a 2-worker runtime, the clients (raw TCP for SSE, tokio-tungstenite
//! for WebSocket) on another, all on loopback. Each message carries its publish time; each
//! client records every delivery's latency. Per configuration: deliveries per second, p50 and p99
//! latency, and deliveries lost (a lag the client was told of, or never received).
//!
//! Then the server's heap per idle connection (a counting allocator; the clients in a child
//! process, so only the server's allocations count; kernel socket buffers are not heap).
//!
//! `cargo bench -p pubsub-axum --bench gateway [-- --quick]`; the table also goes to
//! `target/bench/gateway.md`.

use std::alloc::System;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::sse::{Event as SseEvent, KeepAlive};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use pubsub_axum::{AllowAll, Channels, Resume, Sse};
use pubsub_core::{Event, MemoryBroker, Message, Topic};
use serde::{Deserialize, Serialize};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;

const TOPIC: Topic = Topic::from_static("bench:live");

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Note {
    n: u64,
    /// Microseconds since the bench started, when published.
    t: u64,
    pad: String,
}

impl Event for Note {
    const DOMAIN: &'static str = "bench";
    fn name(&self) -> &'static str {
        "note"
    }
}

#[derive(Clone)]
struct App {
    broker: MemoryBroker,
    sse: Sse,
    channels: Channels<()>,
    naive: broadcast::Sender<Arc<Note>>,
}

fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

fn since_start(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    OursSse,
    OursWs,
    NaiveSse,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::OursSse => "pubsub-axum SSE",
            Kind::OursWs => "pubsub-axum WebSocket",
            Kind::NaiveSse => "naive axum SSE",
        }
    }
}

async fn ours_sse(State(app): State<App>, resume: Resume) -> Response {
    app.sse
        .stream(&app.broker, vec![TOPIC], &resume)
        .await
        .into_response()
}

async fn ours_ws(State(app): State<App>, ws: WebSocketUpgrade) -> Response {
    app.channels.upgrade(ws, app.broker.clone(), ())
}

async fn naive_sse(State(app): State<App>) -> impl IntoResponse {
    let rx = app.naive.subscribe();
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(note) => {
                    let data = serde_json::to_string(&*note).unwrap_or_default();
                    let event = SseEvent::default().event("note").data(data);
                    return Some((Ok::<_, std::convert::Infallible>(event), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    axum::response::sse::Sse::new(events).keep_alive(KeepAlive::default())
}

/// What every client adds up.
#[derive(Default)]
struct Tally {
    delivered: AtomicU64,
    ready: AtomicU64,
    last_us: AtomicU64,
}

/// One client's latencies, in microseconds (read once the run is over).
type Latencies = Arc<std::sync::Mutex<Vec<u32>>>;

fn record(latencies: &Latencies, now: u64, times_us: &[u64]) {
    let mut own = latencies.lock().expect("latencies");
    own.extend(
        times_us
            .iter()
            .map(|t| u32::try_from(now.saturating_sub(*t)).unwrap_or(u32::MAX)),
    );
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

async fn sse_client(
    addr: SocketAddr,
    path: &'static str,
    start: Instant,
    tally: Arc<Tally>,
    latencies: Latencies,
) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut seen = Vec::new();
    let mut pending: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    let mut ready = false;
    while let Ok(read) = stream.read(&mut buf).await {
        if read == 0 {
            break;
        }
        if !ready {
            ready = true;
            tally.ready.fetch_add(1, Ordering::Relaxed);
        }
        pending.extend_from_slice(&buf[..read]);
        let Some(end) = pending.windows(2).rposition(|w| w == b"\n\n") else {
            continue;
        };
        let now = since_start(start);
        seen.clear();
        times(&pending[..end], |t| seen.push(t));
        pending.drain(..end + 2);
        if !seen.is_empty() {
            record(&latencies, now, &seen);
            tally
                .delivered
                .fetch_add(seen.len() as u64, Ordering::Relaxed);
            tally.last_us.fetch_max(now, Ordering::Relaxed);
        }
    }
}

/// A WebSocket to the gateway that has sent its join of the bench topic.
async fn ws_join(
    addr: SocketAddr,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ours/ws"))
        .await
        .expect("connect");
    let join = r#"{"ref":"1","topic":"bench:live","event":"$join"}"#;
    ws.send(tokio_tungstenite::tungstenite::Message::text(join))
        .await
        .expect("join");
    ws
}

async fn ws_client(addr: SocketAddr, start: Instant, tally: Arc<Tally>, latencies: Latencies) {
    let mut ws = ws_join(addr).await;
    let mut seen = Vec::new();
    while let Some(Ok(message)) = ws.next().await {
        let tokio_tungstenite::tungstenite::Message::Text(text) = message else {
            continue;
        };
        if text.contains("\"$reply\"") {
            tally.ready.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let now = since_start(start);
        seen.clear();
        times(text.as_bytes(), |t| seen.push(t));
        record(&latencies, now, &seen);
        tally
            .delivered
            .fetch_add(seen.len() as u64, Ordering::Relaxed);
        tally.last_us.fetch_max(now, Ordering::Relaxed);
    }
}

struct Outcome {
    delivered_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    lost_percent: f64,
}

/// `connections` clients of `kind`; `messages` published at `rate` per second (0: as fast as
/// the publisher can).
async fn run(
    kind: Kind,
    app: &App,
    addr: SocketAddr,
    connections: usize,
    messages: u64,
    rate: u64,
) -> Outcome {
    let start = Instant::now();
    let tally = Arc::new(Tally::default());
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let mut handles = Vec::with_capacity(connections);
    let mut all: Vec<Latencies> = Vec::with_capacity(connections);
    for _ in 0..connections {
        let tally = Arc::clone(&tally);
        let latencies = Latencies::default();
        all.push(Arc::clone(&latencies));
        handles.push(clients.spawn(async move {
            match kind {
                Kind::OursSse => sse_client(addr, "/ours/sse", start, tally, latencies).await,
                Kind::NaiveSse => sse_client(addr, "/naive/sse", start, tally, latencies).await,
                Kind::OursWs => ws_client(addr, start, tally, latencies).await,
            }
        }));
    }
    // Ready: every client subscribed.
    let subscribed = || match kind {
        Kind::NaiveSse => app.naive.receiver_count(),
        _ => app.broker.subscriber_count(&TOPIC),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while (subscribed() < connections
        || (kind != Kind::NaiveSse && tally.ready.load(Ordering::Relaxed) < connections as u64))
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pad = "x".repeat(200); // about 256 bytes per event, as REALTIME.md's runs
    let published_at = since_start(start);
    let pace = (rate > 0).then(|| Duration::from_secs_f64(1.0 / rate as f64));
    let begun = Instant::now();
    for n in 0..messages {
        let note = Note {
            n,
            t: since_start(start),
            pad: pad.clone(),
        };
        match kind {
            Kind::NaiveSse => {
                let _ = app.naive.send(Arc::new(note));
            }
            _ => {
                let _ = app.broker.publish(&TOPIC, Message::new(note)).await;
            }
        }
        if let Some(pace) = pace {
            let next = begun + pace * u32::try_from(n + 1).unwrap_or(u32::MAX);
            tokio::time::sleep_until(next.into()).await;
        } else if n % 64 == 63 {
            tokio::task::yield_now().await;
        }
    }
    let expected = messages * connections as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = 0;
    let mut still = Instant::now();
    while tally.delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = tally.delivered.load(Ordering::Relaxed);
        if now != last {
            last = now;
            still = Instant::now();
        } else if still.elapsed() > Duration::from_secs(2) {
            break; // nothing more is coming: the rest was lost
        }
    }
    let delivered = tally.delivered.load(Ordering::Relaxed);
    let took_us = tally
        .last_us
        .load(Ordering::Relaxed)
        .saturating_sub(published_at)
        .max(1);
    for handle in &handles {
        handle.abort();
    }
    clients.shutdown_background();
    let mut latencies = Vec::with_capacity(usize::try_from(delivered).unwrap_or(0));
    for own in &all {
        latencies.append(&mut own.lock().expect("latencies"));
    }
    latencies.sort_unstable();
    let at = |per_mille: usize| {
        latencies
            .get(latencies.len().saturating_sub(1) * per_mille / 1000)
            .map_or(0.0, |us| f64::from(*us) / 1000.0)
    };
    Outcome {
        delivered_per_s: delivered as f64 / (took_us as f64 / 1e6),
        p50_ms: at(500),
        p99_ms: at(990),
        lost_percent: 100.0 * (expected.saturating_sub(delivered)) as f64 / expected as f64,
    }
}

/// The child process: `n` idle clients of `kind` on `addr`, until killed.
fn idle_clients(addr: SocketAddr, kind: &str, n: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    runtime.block_on(async {
        let mut held = Vec::with_capacity(n);
        for _ in 0..n {
            if kind == "ws" {
                let mut ws = ws_join(addr).await;
                let _ = ws.next().await; // the reply
                held.push(tokio::spawn(
                    async move { while ws.next().await.is_some() {} },
                ));
            } else {
                let path = if kind == "naive" {
                    "/naive/sse"
                } else {
                    "/ours/sse"
                };
                let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
                let request = format!("GET {path} HTTP/1.1\r\nhost: bench\r\n\r\n");
                stream.write_all(request.as_bytes()).await.expect("request");
                held.push(tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while stream.read(&mut buf).await.is_ok_and(|read| read > 0) {}
                }));
            }
        }
        println!("ready");
        std::future::pending::<()>().await;
    });
}

/// The server's heap bytes per idle connection of `kind` (`sse`, `naive`, `ws`).
fn heap_per_connection(app: &App, addr: SocketAddr, kind: &str, n: usize) -> f64 {
    let subscribed = || {
        if kind == "naive" {
            app.naive.receiver_count()
        } else {
            app.broker.subscriber_count(&TOPIC)
        }
    };
    let region = Region::new(GLOBAL);
    let mut child = Command::new(std::env::current_exe().expect("this binary"))
        .args(["--idle-clients", &addr.to_string(), kind, &n.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the client process");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    let deadline = Instant::now() + Duration::from_secs(30);
    while subscribed() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let change = region.change();
    // A reallocation's growth is already in `bytes_allocated` (stats_alloc also reports it in
    // `bytes_reallocated`: adding that would count it twice).
    let net = change.bytes_allocated as f64 - change.bytes_deallocated as f64;
    let _ = child.kill();
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while subscribed() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    net / n as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--idle-clients") {
        let addr = args[at + 1].parse().expect("an address");
        let n = args[at + 3].parse().expect("a count");
        idle_clients(addr, &args[at + 2], n);
        return;
    }
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let (naive, _) = broadcast::channel(1024);
    let app = App {
        broker: MemoryBroker::new(),
        sse: Sse::new(),
        channels: Channels::new(AllowAll).queue_capacity(1024),
        naive,
    };
    let router = Router::new()
        .route("/ours/sse", get(ours_sse))
        .route("/ours/ws", get(ours_ws))
        .route("/naive/sse", get(naive_sse))
        .with_state(app.clone());
    let addr = server.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    });

    let configs: Vec<(usize, u64, u64)> = if quick() {
        vec![(100, 200, 0), (100, 200, 100)]
    } else {
        vec![(1_000, 1_000, 0), (1_000, 1_000, 250)]
    };
    let mut table = String::from(
        "## pubsub-axum: N browsers on one topic\n\n| connections | offered | transport | delivered/s | p50 | p99 | lost |\n|---|---|---|---|---|---|---|\n",
    );
    println!("{}", table.trim_end());
    for (connections, messages, rate) in configs {
        for kind in [Kind::NaiveSse, Kind::OursSse, Kind::OursWs] {
            let outcome = server.block_on(run(kind, &app, addr, connections, messages, rate));
            let offered = if rate == 0 {
                format!("burst of {messages}")
            } else {
                format!("{rate} msg/s")
            };
            let line = format!(
                "| {connections} | {offered} | {} | {:.0}k | {:.1} ms | {:.1} ms | {:.2}% |",
                kind.label(),
                outcome.delivered_per_s / 1e3,
                outcome.p50_ms,
                outcome.p99_ms,
                outcome.lost_percent,
            );
            println!("{line}");
            table.push_str(&line);
            table.push('\n');
            // Let the previous run's connections close.
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    let idle = if quick() { 200 } else { 2_000 };
    let memory = format!(
        "\n## Server heap per idle connection ({idle} connections, clients in another process)\n\n| transport | bytes per connection |\n|---|---|\n"
    );
    print!("{memory}");
    table.push_str(&memory);
    for (kind, label) in [
        ("naive", Kind::NaiveSse.label()),
        ("sse", Kind::OursSse.label()),
        ("ws", Kind::OursWs.label()),
    ] {
        let bytes = heap_per_connection(&app, addr, kind, idle);
        let line = format!("| {label} | {:.1} KB |", bytes / 1000.0);
        println!("{line}");
        table.push_str(&line);
        table.push('\n');
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or(dir, |t| std::path::PathBuf::from(t).join("bench"));
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("gateway.md"), table);
    }
}
