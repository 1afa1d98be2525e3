//! The sending side: one task per node writes every envelope to Redis.
//!
//! Publishing tasks queue their envelope (built in the caller, minus its head) and wait for the
//! outcome with a bounded timeout. This task takes whatever is queued, numbers the envelopes in
//! queue order, and writes them as one pipeline, so sequence numbers follow the wire order and
//! one round trip carries a whole burst. Publishers that gave up are dropped before numbering.
//! When the connection is down the circuit (`circuit.rs`) opens: publishes fail at once while a
//! probe reconnects in the background.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use pubsub_core::Topic;
use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::{Semaphore, oneshot};

use crate::envelope::Tail;
use crate::error::{Error, bounded};
use crate::sequence::Sending;
use crate::shared::{Shared, open};
use crate::stats::Counters;

/// Envelopes per pipeline, at most.
const MAX_BATCH: usize = 512;
/// Pipelines awaiting Redis's reply, at most.
const MAX_IN_FLIGHT: usize = 64;

/// Where a publisher waits for its envelope's outcome.
type Reply = oneshot::Sender<Result<(), Error>>;

/// One queued publish.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) topic: Topic,
    pub(crate) tail: Tail,
    pub(crate) reply: Reply,
}

/// A connection and its "the client saw it close" flag (set by a RESP3 `Disconnection` push),
/// so a connection that died while idle is replaced before it is written to.
#[derive(Debug)]
pub(crate) struct Connection {
    conn: MultiplexedConnection,
    lost: Arc<AtomicBool>,
}

pub(crate) struct Publisher {
    shared: Arc<Shared>,
    client: redis::Client,
    conn: Option<Connection>,
    sequences: Sending,
    /// The channel name being written, reused from one envelope to the next.
    channel: String,
}

impl Publisher {
    pub(crate) fn new(
        shared: Arc<Shared>,
        client: redis::Client,
        conn: Option<Connection>,
    ) -> Self {
        let idle = shared.config.sequence_idle;
        Publisher {
            shared,
            client,
            conn,
            sequences: Sending::new(idle),
            channel: String::new(),
        }
    }

    /// Connects, for the first connection made by `RedisBroker::connect` and for the circuit's
    /// probe.
    pub(crate) async fn connect(
        client: &redis::Client,
        node: &str,
        after: Duration,
    ) -> Result<Connection, Error> {
        let lost = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&lost);
        let config =
            redis::AsyncConnectionConfig::new().set_push_sender(move |push: redis::PushInfo| {
                if push.kind == redis::PushKind::Disconnection {
                    flag.store(true, Ordering::Relaxed);
                }
                Ok::<(), std::convert::Infallible>(())
            });
        let conn = open(client, config, after, &format!("pubsub-redis:pub:{node}")).await?;
        Ok(Connection { conn, lost })
    }

    /// The connection to write to: the current one, or one the circuit's probe made; while
    /// the circuit is open, an error at once; otherwise (the connection closed while idle) one
    /// attempt to connect now, which opens the circuit if it fails.
    async fn connection(&mut self) -> Result<&Connection, Error> {
        if self
            .conn
            .as_ref()
            .is_some_and(|c| c.lost.load(Ordering::Relaxed))
        {
            self.conn = None;
        }
        if self.conn.is_none() {
            self.conn = self.shared.circuit.take_ready();
        }
        if self.conn.is_none() {
            if self.shared.circuit_open() {
                return Err(unavailable(&self.shared));
            }
            let connecting = Self::connect(
                &self.client,
                &self.shared.node_id,
                self.shared.config.connect_timeout,
            );
            match connecting.await {
                Ok(conn) => {
                    self.conn = Some(conn);
                    tracing::info!("redis publisher connection re-established");
                }
                Err(error) => {
                    self.shared.trip();
                    return Err(error);
                }
            }
        }
        self.conn.as_ref().ok_or(Error::Closed)
    }

    /// Sends until the broker is dropped.
    pub(crate) async fn run(mut self, mut queue: UnboundedReceiver<Outgoing>) {
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
            // A publisher that gave up (timed out or was cancelled) is not sent: no number, so
            // no hole that other nodes would read as loss.
            batch.retain(|outgoing| !outgoing.reply.is_closed());
            if batch.is_empty() {
                continue;
            }
            let (conn, lost) = match self.connection().await {
                Ok(c) => (c.conn.clone(), Arc::clone(&c.lost)),
                Err(error) => {
                    let replies = batch.drain(..).map(|o| o.reply).collect();
                    finish(&self.shared, replies, &Err(error));
                    continue;
                }
            };
            let (pipe, replies) = self.pipeline(&mut batch);
            if replies.is_empty() {
                continue;
            }
            let mut sending = self.start(pipe, conn, lost);
            let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
                return;
            };
            // The first poll queues the pipeline on the connection, so pipelines reach Redis
            // in the order their numbers were given; the rest completes on its own task, and
            // the next pipeline need not wait for this one's reply.
            let first = std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await;
            match first {
                Poll::Ready(result) => finish(&self.shared, replies, &result),
                Poll::Pending => {
                    let shared = Arc::clone(&self.shared);
                    tokio::spawn(async move {
                        let result = sending.await;
                        drop(permit);
                        finish(&shared, replies, &result);
                    });
                }
            }
        }
    }

    /// Numbers the batch (emptying it) and writes it into one pipeline; returns the pipeline
    /// and the replies of the publishers still waiting. Numbers are given only here, to
    /// envelopes about to be written to a live connection: a hole then means an envelope that
    /// was written but may not have reached Redis.
    fn pipeline(&mut self, batch: &mut Vec<Outgoing>) -> (redis::Pipeline, Vec<Reply>) {
        let now = Instant::now();
        let config = &self.shared.config;
        let mut pipe = redis::pipe();
        let mut replies = Vec::with_capacity(batch.len());
        for outgoing in batch.drain(..) {
            if outgoing.reply.is_closed() {
                continue; // its publisher gave up meanwhile: not sent, not numbered
            }
            let seq = self.sequences.next(&outgoing.topic, now);
            config.write_channel(&outgoing.topic, &mut self.channel);
            pipe.cmd("PUBLISH")
                .arg(self.channel.as_str())
                .arg(outgoing.tail.stamped(&self.shared.head, seq))
                .ignore();
            replies.push(outgoing.reply);
        }
        self.sequences.sweep(now);
        (pipe, replies)
    }

    /// Makes the future that sends `pipe` on `conn`. A timeout opens the circuit (the server
    /// is frozen or overloaded: the next publishes fail at once); any failure replaces the
    /// connection before the next write.
    fn start(
        &self,
        pipe: redis::Pipeline,
        mut conn: MultiplexedConnection,
        lost: Arc<AtomicBool>,
    ) -> InFlight {
        let after = self.shared.config.publish_timeout;
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let result = bounded("publish", after, pipe.exec_async(&mut conn)).await;
            if let Err(error) = &result {
                lost.store(true, Ordering::Relaxed);
                if matches!(error, Error::Timeout { .. }) {
                    shared.trip();
                }
            }
            result
        })
    }
}

/// The error of a publish while the circuit is open.
pub(crate) fn unavailable(shared: &Shared) -> Error {
    Error::Unavailable {
        retry_in: shared.config.reconnect_max_delay,
    }
}

/// A pipeline on its way.
type InFlight = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'static>>;

fn finish(shared: &Shared, replies: Vec<Reply>, result: &Result<(), Error>) {
    let n = replies.len() as u64;
    match result {
        Ok(()) => Counters::add(&shared.counters.sent, n),
        Err(error) => {
            Counters::add(&shared.counters.send_failures, n);
            tracing::warn!(%error, messages = n, "publishing to redis failed");
        }
    }
    for reply in replies {
        let _ = reply.send(result.clone());
    }
}
