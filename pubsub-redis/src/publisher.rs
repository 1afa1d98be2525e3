//! The sending side: one task per node writes every envelope to Redis.
//!
//! Publishing tasks queue their envelope (built in the caller, minus its head) and wait for the
//! outcome with a bounded timeout. This task takes whatever is queued, numbers the envelopes in
//! queue order, and writes them as one pipeline, so sequence numbers follow the wire order and
//! one round trip carries a whole burst. When the connection is down it reconnects lazily, with
//! growing delays; while a delay runs, publishes fail at once instead of waiting.

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
    retry_at: Option<Instant>,
    delay: Duration,
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
        let config = &shared.config;
        let (delay, idle) = (config.reconnect_min_delay, config.sequence_idle);
        Publisher {
            shared,
            client,
            conn,
            retry_at: None,
            delay,
            sequences: Sending::new(idle),
            channel: String::new(),
        }
    }

    /// Connects, for the first connection made by `RedisBroker::connect`.
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

    async fn connection(&mut self) -> Result<&Connection, Error> {
        if self
            .conn
            .as_ref()
            .is_some_and(|c| c.lost.load(Ordering::Relaxed))
        {
            self.conn = None; // closed while idle: reconnect now, no delay
        }
        if self.conn.is_none() {
            let now = Instant::now();
            if let Some(at) = self.retry_at
                && at > now
            {
                return Err(Error::Unavailable { retry_in: at - now });
            }
            let connecting = Self::connect(
                &self.client,
                &self.shared.node_id,
                self.shared.config.connect_timeout,
            );
            match connecting.await {
                Ok(conn) => {
                    self.conn = Some(conn);
                    self.retry_at = None;
                    self.delay = self.shared.config.reconnect_min_delay;
                    tracing::info!("redis publisher connection re-established");
                }
                Err(error) => {
                    self.failed();
                    return Err(error);
                }
            }
        }
        self.conn.as_ref().ok_or(Error::Closed)
    }

    /// Connecting failed: wait before the next attempt.
    fn failed(&mut self) {
        self.conn = None;
        self.retry_at = Some(Instant::now() + self.delay);
        self.delay = (self.delay * 2).min(self.shared.config.reconnect_max_delay);
    }

    /// Sends until the broker is dropped.
    pub(crate) async fn run(mut self, mut queue: UnboundedReceiver<Outgoing>) {
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let (pipe, replies) = self.pipeline(&mut batch);
            if replies.is_empty() {
                continue; // every publisher of the batch gave up (and counted its failure)
            }
            let mut sending = match self.start(pipe).await {
                Ok(sending) => sending,
                Err(error) => {
                    finish(&self.shared, replies, &Err(error));
                    continue;
                }
            };
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
    /// and the replies of the publishers still waiting.
    fn pipeline(&mut self, batch: &mut Vec<Outgoing>) -> (redis::Pipeline, Vec<Reply>) {
        // Every attempt gets its number, sent or not: a publish that fails leaves a hole the
        // receivers see, and they tell their subscribers.
        let now = Instant::now();
        let config = &self.shared.config;
        let mut pipe = redis::pipe();
        let mut replies = Vec::with_capacity(batch.len());
        for outgoing in batch.drain(..) {
            let seq = self.sequences.next(config.stream_of(&outgoing.topic), now);
            if outgoing.reply.is_closed() {
                continue; // its publisher gave up (timed out): not sent, a hole
            }
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

    /// Makes the future that sends `pipe`.
    async fn start(&mut self, pipe: redis::Pipeline) -> Result<InFlight, Error> {
        let after = self.shared.config.publish_timeout;
        let connection = self.connection().await?;
        let (mut conn, lost) = (connection.conn.clone(), Arc::clone(&connection.lost));
        Ok(Box::pin(async move {
            let result = bounded("publish", after, pipe.exec_async(&mut conn)).await;
            if result.is_err() {
                lost.store(true, Ordering::Relaxed); // replace the connection before the next
            }
            result
        }))
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
