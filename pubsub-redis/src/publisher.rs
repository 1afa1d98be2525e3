//! The sending side: one task per node writes every envelope to Redis.
//!
//! Publishing tasks queue their envelope (built in the caller, minus its head) and wait for the
//! outcome with a bounded timeout. This task takes whatever is queued, numbers the envelopes in
//! queue order, and writes them as one pipeline, so sequence numbers follow the wire order and
//! one round trip carries a whole burst. When the connection is down it reconnects lazily, with
//! growing delays; while a delay runs, publishes fail at once instead of waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;
use tokio::time::timeout;

use crate::config::ChannelMode;
use crate::envelope::Tail;
use crate::error::Error;
use crate::sequence::Sending;
use crate::shared::Shared;
use crate::stats::Counters;

/// Envelopes per pipeline, at most.
const MAX_BATCH: usize = 512;

/// One queued publish.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) channel: Arc<str>,
    pub(crate) tail: Tail,
    pub(crate) reply: oneshot::Sender<Result<(), Error>>,
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

    /// The connection failed: drop it and wait before the next attempt.
    fn failed(&mut self) {
        self.conn = None;
        self.retry_at = Some(Instant::now() + self.delay);
        self.delay = (self.delay * 2).min(self.shared.config.reconnect_max_delay);
    }

    /// Sends until the broker is dropped.
    pub(crate) async fn run(mut self, mut queue: UnboundedReceiver<Outgoing>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let result = self.send(&batch).await;
            let n = batch.len() as u64;
            match &result {
                Ok(()) => Counters::add(&self.shared.counters.sent, n),
                Err(error) => {
                    Counters::add(&self.shared.counters.send_failures, n);
                    tracing::warn!(%error, messages = n, "publishing to redis failed");
                }
            }
            for outgoing in batch.drain(..) {
                let _ = outgoing.reply.send(result.clone());
            }
        }
    }

    async fn send(&mut self, batch: &[Outgoing]) -> Result<(), Error> {
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
            if outgoing.reply.is_closed() {
                continue; // its publisher gave up (timed out): not sent, a hole
            }
            any = true;
            pipe.cmd("PUBLISH")
                .arg(&*outgoing.channel)
                .arg(outgoing.tail.finish(node, seq))
                .ignore();
        }
        self.sequences.sweep(now);
        if !any {
            return Err(Error::Timeout {
                operation: "publish",
                after: self.shared.config.publish_timeout,
            });
        }
        let after = self.shared.config.publish_timeout;
        let conn = self.connection().await?;
        match timeout(after, pipe.exec_async(conn)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                self.failed();
                Err(Error::redis("publish", e))
            }
            Err(_) => {
                self.failed();
                Err(Error::Timeout {
                    operation: "publish",
                    after,
                })
            }
        }
    }
}
