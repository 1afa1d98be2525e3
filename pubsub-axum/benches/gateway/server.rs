//! The four servers under test, all in the bench process on one 2-worker runtime: pubsub-axum's
//! SSE and WebSocket channels, a naive axum SSE fan-out, and socketioxide. Each run gets a
//! listener of its own (a fresh port, so the clients' ephemeral ports of an earlier run, in
//! `TIME_WAIT`, are no obstacle).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::sse::{Event as SseEvent, KeepAlive};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use pubsub_axum::{AllowAll, Channels, Resume, Sse};
use pubsub_core::{MemoryBroker, Message, Topic};
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::{Kind, Note};

const TOPIC: Topic = Topic::from_static("bench:live");

/// The socket.io room every client joins (the same one topic).
const ROOM: &str = "bench:live";

/// Per-connection queue bound for every contender that has one: pubsub-axum's channel queue,
/// the naive `broadcast` channel, socketioxide's per-socket packet buffer (its default, 128,
/// would drop most of a burst of 1,000).
const QUEUE: usize = 1024;

/// Everything the handlers share.
#[derive(Clone)]
pub(crate) struct Servers {
    broker: MemoryBroker,
    sse: Sse,
    channels: Channels<()>,
    naive: broadcast::Sender<Arc<Note>>,
    io: SocketIo,
    sio_layer: socketioxide::layer::SocketIoLayer,
}

impl Servers {
    pub(crate) fn new() -> Self {
        let (naive, _) = broadcast::channel(QUEUE);
        let (sio_layer, io) = SocketIo::builder().max_buffer_size(QUEUE).build_layer();
        io.ns("/", async |socket: SocketRef| socket.join(ROOM));
        Servers {
            broker: MemoryBroker::new(),
            sse: Sse::new(),
            channels: Channels::new(AllowAll).queue_capacity(QUEUE),
            naive,
            io,
            sio_layer,
        }
    }

    fn router(&self, kind: Kind) -> Router {
        let router = match kind {
            Kind::OursSse => Router::new().route("/ours/sse", get(ours_sse)),
            Kind::OursWs => Router::new().route("/ours/ws", get(ours_ws)),
            Kind::NaiveSse => Router::new().route("/naive/sse", get(naive_sse)),
            Kind::SocketIo => return Router::new().layer(self.sio_layer.clone()),
        };
        router.with_state(self.clone())
    }

    /// Serves `kind` on a new loopback port (a backlog of 4,096: 10,000 clients connect in
    /// waves) through `serve`; the task ends the listener when aborted, not the open
    /// connections.
    pub(crate) fn listen(
        &self,
        runtime: &tokio::runtime::Runtime,
        kind: Kind,
        serve: Serve,
    ) -> (SocketAddr, JoinHandle<()>) {
        let _inside = runtime.enter();
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("an address"))
            .expect("bind");
        let listener = socket.listen(4096).expect("listen");
        let addr = listener.local_addr().expect("addr");
        let router = self.router(kind);
        let task = match serve {
            Serve::Axum => tokio::spawn(async move {
                let _ = axum::serve(listener, router).await;
            }),
            Serve::Tuned => tokio::spawn(tuned(listener, router)),
        };
        (addr, task)
    }

    /// How many connections of `kind` are subscribed now.
    pub(crate) fn subscribed(&self, kind: Kind) -> usize {
        match kind {
            Kind::NaiveSse => self.naive.receiver_count(),
            Kind::OursSse | Kind::OursWs => self.broker.subscriber_count(&TOPIC),
            Kind::SocketIo => self.io.to(ROOM).sockets().len(),
        }
    }

    /// One message to every connection of `kind`.
    pub(crate) async fn publish(&self, kind: Kind, note: Note) {
        match kind {
            Kind::NaiveSse => {
                let _ = self.naive.send(Arc::new(note));
            }
            Kind::OursSse | Kind::OursWs => {
                let _ = self.broker.publish(&TOPIC, Message::new(note)).await;
            }
            Kind::SocketIo => {
                let _ = self.io.to(ROOM).emit("note", &note).await;
            }
        }
    }
}

/// How the server accepts connections and runs HTTP.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Serve {
    /// `axum::serve`: hyper-util's auto (HTTP/1 and HTTP/2) builder with hyper's defaults.
    Axum,
    /// The same builder, HTTP/1 with the smallest read buffer limit hyper allows
    /// ([`MAX_BUF`]), for every contender alike.
    Tuned,
}

/// hyper's smallest `max_buf_size`: a request head (and a WebSocket upgrade's) fits in it.
pub(crate) const MAX_BUF: usize = 8 * 1024;

/// An accept loop like `axum::serve`'s, with hyper-util's builder configured.
async fn tuned(listener: tokio::net::TcpListener, router: Router) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().max_buf_size(MAX_BUF);
    // Off by default, as with `axum::serve`; `GATEWAY_NODELAY=1` to measure it.
    let nodelay = std::env::var_os("GATEWAY_NODELAY").is_some();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if nodelay {
            let _ = stream.set_nodelay(true);
        }
        let service = TowerToHyperService::new(router.clone());
        let builder = builder.clone();
        tokio::spawn(async move {
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn ours_sse(State(app): State<Servers>, resume: Resume) -> Response {
    app.sse
        .stream(&app.broker, vec![TOPIC], &resume)
        .await
        .into_response()
}

async fn ours_ws(State(app): State<Servers>, ws: WebSocketUpgrade) -> Response {
    app.channels.upgrade(ws, app.broker.clone(), ())
}

/// What `shared/REALTIME.md` calls the naive fan-out: a `broadcast` receiver per connection
/// and a `serde_json::to_string` per connection per message.
async fn naive_sse(State(app): State<Servers>) -> impl IntoResponse {
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
