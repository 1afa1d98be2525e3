//! A real axum server on 127.0.0.1:0 and real clients: hyper for SSE, tokio-tungstenite for
//! WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use pubsub_axum::{Authorize, Channels, Join, Refusal, Resume, Sse, Tracking};
use pubsub_core::history::{HistoryConfig, HistoryPolicy};
use pubsub_core::{Broker, Event, MemoryBroker, Message, MultiTenant, TenantKey, Topic};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;

pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// The test event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Note {
    pub(crate) n: u64,
}

impl Event for Note {
    const DOMAIN: &'static str = "docs";
    fn name(&self) -> &'static str {
        "note"
    }
}

/// Counts its own serialisations.
#[derive(Debug)]
pub(crate) struct Counted(pub(crate) Arc<AtomicUsize>);

impl Serialize for Counted {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        serializer.serialize_u32(7)
    }
}

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u32::deserialize(deserializer).map(|_| Counted(Arc::default()))
    }
}

impl Event for Counted {
    const DOMAIN: &'static str = "docs";
    fn name(&self) -> &'static str {
        "counted"
    }
}

pub(crate) fn note(n: u64) -> Message {
    Message::new(Note { n })
}

/// Publishes `note(n)` on `topic`.
pub(crate) async fn publish(broker: &impl Broker, topic: &str, n: u64) {
    broker
        .publish(&Topic::new(topic).unwrap(), note(n))
        .await
        .unwrap();
}

/// A broker whose `docs:h:` topics keep `size` messages of history.
pub(crate) fn history_broker(size: usize) -> MemoryBroker {
    let history = HistoryConfig::new().prefix(
        "docs:h:",
        HistoryPolicy::new(size, Duration::from_secs(600)),
    );
    MemoryBroker::builder().history(history).build()
}

/// The session of a test connection: `?user=..&tenant=..`.
#[derive(Debug, Clone, Deserialize, Default)]
pub(crate) struct Session {
    #[serde(default)]
    pub(crate) user: String,
    pub(crate) tenant: Option<String>,
    /// SSE only: the comma-separated topics.
    #[serde(default)]
    pub(crate) topics: String,
}

/// `secret:` topics for `admin` only; a session with a tenant is held to it.
pub(crate) struct Rules;

pub(crate) struct Conn {
    user: String,
    tenant: Option<TenantKey>,
}

#[async_trait]
impl Authorize<Conn> for Rules {
    fn tenant<'s>(&self, session: &'s Conn) -> Option<&'s TenantKey> {
        session.tenant.as_ref()
    }

    async fn join(&self, session: &Conn, join: Join<'_>) -> Result<(), Refusal> {
        if join.topic.as_str().starts_with("secret:") && session.user != "admin" {
            return Err(Refusal::unauthorized());
        }
        if join.params["deny"] == Value::Bool(true) {
            return Err(Refusal::new("denied by params"));
        }
        Ok(())
    }

    /// `room:` topics track the connection's user (when it has one).
    fn presence(&self, session: &Conn, join: Join<'_>) -> Option<Tracking> {
        (join.topic.as_str().starts_with("room:") && !session.user.is_empty()).then(|| {
            Tracking::new(
                session.user.clone(),
                serde_json::json!({"name": session.user}),
            )
        })
    }
}

#[derive(Clone)]
struct App {
    broker: Arc<dyn Broker>,
    sse: Sse,
    channels: Channels<Conn>,
}

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: CancellationToken,
    pub(crate) task: tokio::task::JoinHandle<()>,
}

pub(crate) struct Options {
    pub(crate) keep_alive: Duration,
    pub(crate) channels: Box<dyn FnOnce(Channels<Conn>) -> Channels<Conn>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_alive: Duration::from_secs(15),
            channels: Box::new(|c| c),
        }
    }
}

pub(crate) async fn serve(broker: impl Broker + 'static) -> Server {
    serve_with(broker, Options::default()).await
}

/// A server whose channels are set up by `channels` (on top of the tests' defaults).
pub(crate) async fn serve_channels(
    broker: impl Broker + 'static,
    channels: impl FnOnce(Channels<Conn>) -> Channels<Conn> + 'static,
) -> Server {
    let options = Options {
        channels: Box::new(channels),
        ..Options::default()
    };
    serve_with(broker, options).await
}

pub(crate) async fn serve_with(broker: impl Broker + 'static, options: Options) -> Server {
    let shutdown = CancellationToken::new();
    let app = App {
        broker: Arc::new(broker),
        sse: Sse::new()
            .keep_alive(options.keep_alive)
            .shutdown(shutdown.clone()),
        channels: (options.channels)(Channels::new(Rules).shutdown(shutdown.clone())),
    };
    let router = Router::new()
        .route("/sse", get(sse))
        .route("/socket", get(socket))
        .route("/client.js", get(pubsub_axum::client::handler))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let token = shutdown.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(token.cancelled_owned())
            .await
            .unwrap();
    });
    Server {
        addr,
        shutdown,
        task,
    }
}

async fn sse(State(app): State<App>, Query(session): Query<Session>, resume: Resume) -> Response {
    let topics = session
        .topics
        .split(',')
        .filter_map(|t| Topic::new(t).ok())
        .collect();
    match session.tenant.and_then(|t| TenantKey::new(t).ok()) {
        Some(tenant) => {
            let scoped = pubsub_core::Scoped::new(Arc::clone(&app.broker), tenant);
            app.sse
                .stream(&scoped, topics, &resume)
                .await
                .into_response()
        }
        None => app
            .sse
            .stream(&*app.broker, topics, &resume)
            .await
            .into_response(),
    }
}

async fn socket(
    State(app): State<App>,
    Query(session): Query<Session>,
    ws: WebSocketUpgrade,
) -> Response {
    let conn = Conn {
        user: session.user,
        tenant: session.tenant.and_then(|t| TenantKey::new(t).ok()),
    };
    app.channels.upgrade(ws, Arc::clone(&app.broker), conn)
}

/// A multi-tenant broker for the tenant tests.
pub(crate) fn multi_tenant() -> MultiTenant<MemoryBroker> {
    MultiTenant::new(MemoryBroker::new())
}

// ---------------------------------------------------------------- SSE client

/// One parsed SSE event (or comment).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SseEvent {
    pub(crate) id: Option<String>,
    pub(crate) event: String,
    pub(crate) data: String,
    pub(crate) comment: bool,
}

impl SseEvent {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

pub(crate) struct SseClient {
    pub(crate) status: u16,
    body: Incoming,
    buf: String,
    _conn: tokio::task::JoinHandle<()>,
}

pub(crate) async fn sse_get(
    addr: SocketAddr,
    path: &str,
    last_event_id: Option<&str>,
) -> SseClient {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut request = hyper::Request::get(path).header("host", "test");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = sender
        .send_request(
            request
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .unwrap(),
        )
        .await
        .unwrap();
    SseClient {
        status: response.status().as_u16(),
        body: response.into_body(),
        buf: String::new(),
        _conn: conn,
    }
}

impl SseClient {
    /// The next event or comment; `None` when the body ended.
    pub(crate) async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                return Some(parse_block(&block));
            }
            let frame = tokio::time::timeout(WAIT, self.body.frame())
                .await
                .expect("an SSE frame in time")?;
            let frame = frame.ok()?;
            if let Ok(data) = frame.into_data() {
                self.buf.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }

    /// The next event that is not a comment.
    pub(crate) async fn event(&mut self) -> SseEvent {
        loop {
            let event = self.next().await.expect("the stream ended");
            if !event.comment {
                return event;
            }
        }
    }

    /// Whether the body ends (within [`WAIT`]).
    pub(crate) async fn ends(&mut self) -> bool {
        while self.next().await.is_some() {}
        true
    }
}

fn parse_block(block: &str) -> SseEvent {
    let mut event = SseEvent::default();
    let mut data = Vec::new();
    for line in block.lines() {
        if line.starts_with(':') {
            event.comment = true;
        } else if let Some(id) = line.strip_prefix("id: ") {
            event.id = Some(id.to_owned());
        } else if let Some(name) = line.strip_prefix("event: ") {
            name.clone_into(&mut event.event);
        } else if let Some(d) = line.strip_prefix("data: ") {
            data.push(d);
        } else if line == "data:" {
            data.push("");
        }
    }
    event.data = data.join("\n");
    event
}

// ---------------------------------------------------------------- WebSocket client

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

pub(crate) async fn ws_connect(addr: SocketAddr, query: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/socket?{query}"))
        .await
        .unwrap();
    ws
}

pub(crate) async fn send(ws: &mut Ws, frame: Value) {
    ws.send(WsMessage::text(frame.to_string())).await.unwrap();
}

/// The next text frame as JSON (`Value::Null` when the connection closed).
pub(crate) async fn recv(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
        {
            Some(Ok(WsMessage::Text(text))) => return serde_json::from_str(&text).unwrap(),
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
            _ => return Value::Null,
        }
    }
}

/// The close code the server sent, reading past everything else.
pub(crate) async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a close in time")
        {
            Some(Ok(WsMessage::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return None,
        }
    }
}

pub(crate) async fn join(ws: &mut Ws, reference: &str, topic: &str, since: Option<&str>) -> Value {
    let mut payload = serde_json::json!({});
    if let Some(since) = since {
        payload["since"] = since.into();
    }
    join_with(ws, reference, topic, payload).await
}

/// Joins `topic` with this join `payload`; the reply.
pub(crate) async fn join_with(ws: &mut Ws, reference: &str, topic: &str, payload: Value) -> Value {
    send(
        ws,
        serde_json::json!({"ref": reference, "topic": topic, "event": "$join", "payload": payload}),
    )
    .await;
    let reply = recv(ws).await;
    assert_eq!(reply["event"], "$reply", "{reply}");
    assert_eq!(reply["ref"], reference, "{reply}");
    reply
}

/// Sends a heartbeat and returns every frame that came before its reply.
pub(crate) async fn until_heartbeat(ws: &mut Ws, reference: &str) -> Vec<Value> {
    send(
        ws,
        serde_json::json!({"ref": reference, "event": "$heartbeat"}),
    )
    .await;
    let mut before = Vec::new();
    loop {
        let frame = recv(ws).await;
        assert!(!frame.is_null(), "closed before the heartbeat's reply");
        if frame["event"] == "$reply" && frame["ref"] == reference {
            assert_eq!(frame["payload"]["status"], "ok");
            return before;
        }
        before.push(frame);
    }
}
