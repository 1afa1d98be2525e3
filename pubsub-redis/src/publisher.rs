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

use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::{Semaphore, oneshot};
use tokio::time::timeout;

use crate::config::ChannelMode;
use crate::envelope::Tail;
use crate::error::Error;
use crate::sequence::Sending;
use crate::shared::Shared;
use crate::stats::Counters;

/// Envelopes per pipeline, at most.
const MAX_BATCH: usize = 512;
/// Pipelines awaiting Redis's reply, at most.
const MAX_IN_FLIGHT: usize = 64;

/// One queued publish.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) channel: Arc<str>,
    pub(crate) tail: Tail,
    pub(crate) reply: Option<oneshot::Sender<Result<(), Error>>>,
    /// Set when the reply is taken: whether its publisher had already given up.
    pub(crate) abandoned: bool,
}

impl Outgoing {
    fn take_reply(&mut self) -> Option<oneshot::Sender<Result<(), Error>>> {
        let reply = self.reply.take().filter(|r| !r.is_closed());
        self.abandoned = reply.is_none();
        reply
    }
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
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(after))
            .set_response_timeout(None)
            .set_push_sender(move |push: redis::PushInfo| {
                if push.kind == redis::PushKind::Disconnection {
                    flag.store(true, Ordering::Relaxed);
                }
                Ok::<(), std::convert::Infallible>(())
            });
        let mut conn = timeout(
            after,
            client.get_multiplexed_async_connection_with_config(&config),
        )
        .await
        .map_err(|_| Error::Timeout {
            operation: "connect",
            after,
        })?
        .map_err(|e| Error::redis("connect", e))?;
        let mut setname = redis::cmd("CLIENT");
        setname
            .arg("SETNAME")
            .arg(format!("pubsub-redis:pub:{node}"));
        timeout(after, setname.query_async::<()>(&mut conn))
            .await
            .map_err(|_| Error::Timeout {
                operation: "connect",
                after,
            })?
            .map_err(|e| Error::redis("connect", e))?;
        Ok(Connection { conn, lost })
    }

    async fn connection(&mut self) -> Result<&mut MultiplexedConnection, Error> {
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
        self.conn.as_mut().map(|c| &mut c.conn).ok_or(Error::Closed)
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
            let replies: Vec<_> = batch.iter_mut().map(Outgoing::take_reply).collect();
            let mut sending = match self.start(&batch).await {
                Ok(sending) => sending,
                Err(error) => {
                    finish(&self.shared, replies, &Err(error));
                    batch.clear();
                    continue;
                }
            };
            batch.clear();
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

    /// Numbers the batch and makes the future that sends it.
    async fn start(&mut self, batch: &[Outgoing]) -> Result<InFlight, Error> {
        // Every attempt gets its number, sent or not: a publish that fails leaves a hole the
        // receivers see, and they tell their subscribers.
        let now = Instant::now();
        let node = self.shared.node_id.as_str();
        let mut pipe = redis::pipe();
        let mut any = false;
        for outgoing in batch {
            let scope: &str = match self.shared.config.mode {
                ChannelMode::Namespace => "",
                ChannelMode::PerTopic => &outgoing.channel,
            };
            let seq = self.sequences.next(scope, now);
            if outgoing.abandoned {
                continue; // its publisher gave up (timed out): not sent, a hole
            }
            any = true;
            pipe.cmd("PUBLISH")
                .arg(&*outgoing.channel)
                .arg(outgoing.tail.finish(node, seq))
                .ignore();
        }
        self.sequences.sweep(now);
        let after = self.shared.config.publish_timeout;
        if !any {
            return Err(Error::Timeout {
                operation: "publish",
                after,
            });
        }
        self.connection().await?;
        let Some(connection) = self.conn.as_ref() else {
            return Err(Error::Closed);
        };
        let (mut conn, lost) = (connection.conn.clone(), Arc::clone(&connection.lost));
        Ok(Box::pin(async move {
            let outcome = timeout(after, pipe.exec_async(&mut conn)).await;
            let result = match outcome {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Error::redis("publish", e)),
                Err(_) => Err(Error::Timeout {
                    operation: "publish",
                    after,
                }),
            };
            if result.is_err() {
                lost.store(true, Ordering::Relaxed); // replace the connection before the next
            }
            result
        }))
    }
}

/// A pipeline on its way.
type InFlight = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'static>>;

fn finish(
    shared: &Shared,
    replies: Vec<Option<oneshot::Sender<Result<(), Error>>>>,
    result: &Result<(), Error>,
) {
    let n = replies.len() as u64;
    match result {
        Ok(()) => Counters::add(&shared.counters.sent, n),
        Err(error) => {
            Counters::add(&shared.counters.send_failures, n);
            tracing::warn!(%error, messages = n, "publishing to redis failed");
        }
    }
    for reply in replies.into_iter().flatten() {
        let _ = reply.send(result.clone());
    }
}
