//! The subscriber connection: one RESP3 connection per node, kept alive by one task.
//!
//! The task owns the connection and is the only one to send SUBSCRIBE/UNSUBSCRIBE, so the
//! channel set has a single writer. It replaces the connection when the client reports it lost
//! (a RESP3 `Disconnection` push, the same instant the socket closes) or when a health-check
//! PING fails or times out (a half-open connection); then it reconnects at once, with growing
//! delays while that fails, resubscribes every wanted channel, and only then sends every local
//! subscriber a gap notice, so a subscriber that reloads on the notice cannot miss a later
//! message.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;

use pubsub_core::Topic;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::MissedTickBehavior;

use crate::error::{Error, bounded};
use crate::inbound::{self, LinkEvent};
use crate::interest::Interest;
use crate::shared::{Shared, open};
use crate::stats::Counters;

/// Channels per SUBSCRIBE/UNSUBSCRIBE command.
const CHUNK: usize = 1024;
/// Extra ping timeouts granted while the reader is busy (see [`Link::ping`]).
const BUSY_PATIENCE: u32 = 8;

pub(crate) struct Link {
    shared: Arc<Shared>,
    client: redis::Client,
    interest: Option<Arc<Interest>>,
    events_tx: UnboundedSender<LinkEvent>,
    events: UnboundedReceiver<LinkEvent>,
    conn: Option<MultiplexedConnection>,
    generation: u64,
    /// Per-topic mode: the topics whose channels the current connection has subscribed.
    subscribed: HashSet<Topic>,
}

impl Link {
    pub(crate) fn new(
        shared: Arc<Shared>,
        client: redis::Client,
        interest: Option<Arc<Interest>>,
    ) -> Self {
        let (events_tx, events) = unbounded_channel();
        Link {
            shared,
            client,
            interest,
            events_tx,
            events,
            conn: None,
            generation: 0,
            subscribed: HashSet::new(),
        }
    }

    /// Connects and subscribes every wanted channel.
    pub(crate) async fn connect(&mut self) -> Result<(), Error> {
        self.drop_connection();
        let (shared, events, generation) = (
            Arc::clone(&self.shared),
            self.events_tx.clone(),
            self.generation,
        );
        let connection_config =
            AsyncConnectionConfig::new().set_push_sender(move |push: PushInfo| {
                inbound::handle(&shared, &events, generation, &push);
                Ok::<(), Infallible>(())
            });
        let conn = open(
            &self.client,
            connection_config,
            self.shared.config.connect_timeout,
            &format!("pubsub-redis:sub:{}", self.shared.node_id),
        )
        .await?;
        self.conn = Some(conn);
        match self.interest.clone() {
            None => {
                let channel = self.shared.config.namespace_channel();
                self.command(Subscribe::Subscribe, vec![channel]).await?;
            }
            Some(interest) => {
                let wanted = interest.wanted();
                self.subscribe_topics(&interest, &wanted).await?;
            }
        }
        Ok(())
    }

    /// Lets go of the connection. Its reader may still be draining what it had read; from
    /// here on those pushes are dropped (a new generation), so nothing the old connection
    /// carries can arrive after, or twice with, what the next one delivers.
    fn drop_connection(&mut self) {
        self.conn = None;
        self.subscribed.clear();
        self.generation += 1;
        let mut inbound = self.shared.inbound();
        inbound.generation = self.generation;
        inbound.received.clear();
    }

    async fn command(&mut self, what: Subscribe, channels: Vec<String>) -> Result<(), Error> {
        let after = self.shared.config.subscribe_timeout;
        let Some(conn) = self.conn.as_mut() else {
            return Err(Error::Closed);
        };
        match what {
            Subscribe::Subscribe => bounded(what.as_str(), after, conn.subscribe(channels)).await,
            Subscribe::Unsubscribe => {
                bounded(what.as_str(), after, conn.unsubscribe(channels)).await
            }
        }
    }

    async fn subscribe_topics(
        &mut self,
        interest: &Interest,
        topics: &[Topic],
    ) -> Result<(), Error> {
        for chunk in topics.chunks(CHUNK) {
            let channels = chunk
                .iter()
                .map(|t| self.shared.config.topic_channel(t))
                .collect();
            self.command(Subscribe::Subscribe, channels).await?;
            self.subscribed.extend(chunk.iter().cloned());
            interest.confirm(chunk);
        }
        Ok(())
    }

    /// Per-topic mode: brings Redis's channel set in line with the wanted topics.
    async fn sync(&mut self) -> Result<(), Error> {
        let Some(interest) = self.interest.clone() else {
            return Ok(());
        };
        let (to_add, to_remove) = interest.changes(&self.subscribed);
        for chunk in to_remove.chunks(CHUNK) {
            let channels = chunk
                .iter()
                .map(|t| self.shared.config.topic_channel(t))
                .collect();
            self.command(Subscribe::Unsubscribe, channels).await?;
            for topic in chunk {
                self.subscribed.remove(topic);
            }
        }
        self.subscribe_topics(&interest, &to_add).await
    }

    /// Health check. A PING whose reply is late while the reader keeps handing over messages
    /// (the reply waits behind them) is given up to [`BUSY_PATIENCE`] more timeouts: a busy
    /// connection is not a dead one, and replacing it would lose its backlog. A silent one
    /// fails after one timeout.
    async fn ping(&mut self) -> Result<(), Error> {
        let after = self.shared.config.ping_timeout;
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let counters = &self.shared.counters;
        let ping = redis::cmd("PING");
        let mut request = std::pin::pin!(ping.query_async::<redis::Value>(conn));
        for _ in 0..=BUSY_PATIENCE {
            let read_before = counters.pushes.load(std::sync::atomic::Ordering::Relaxed);
            match tokio::time::timeout(after, &mut request).await {
                Ok(result) => return result.map(drop).map_err(|e| Error::redis("ping", e)),
                Err(_)
                    if counters.pushes.load(std::sync::atomic::Ordering::Relaxed) > read_before =>
                {
                    Counters::add(&counters.slow_pings, 1);
                }
                Err(_) => break,
            }
        }
        Err(Error::Timeout {
            operation: "ping",
            after,
        })
    }

    /// Keeps the connection alive until the broker is dropped (which aborts this task).
    pub(crate) async fn run(mut self) {
        let config = self.shared.config.clone();
        let mut ping = tokio::time::interval(config.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ping.tick().await;
        let mut delay = config.reconnect_min_delay;
        loop {
            if self.conn.is_none() {
                match self.connect().await {
                    Ok(()) => {
                        delay = config.reconnect_min_delay;
                        self.shared.record_reconnect();
                        let told = self.shared.notify_gap_all();
                        tracing::info!(
                            told,
                            "redis subscriber connection re-established; gap notice sent"
                        );
                    }
                    Err(error) => {
                        self.drop_connection();
                        tracing::warn!(%error, retry_in = ?delay, "redis reconnection failed");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(config.reconnect_max_delay);
                        continue;
                    }
                }
            }
            let interest = self.interest.clone();
            let changed = async move {
                match interest {
                    Some(interest) => interest.changed.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = self.events.recv() => {
                    if let Some(LinkEvent::Lost(generation)) = event
                        && generation == self.generation
                    {
                        tracing::warn!("redis subscriber connection lost; reconnecting");
                        self.drop_connection();
                    }
                }
                () = changed => {
                    if let Err(error) = self.sync().await {
                        tracing::warn!(%error, "redis channel update failed; reconnecting");
                        self.drop_connection();
                    }
                }
                _ = ping.tick() => {
                    if let Err(error) = self.ping().await {
                        Counters::add(&self.shared.counters.ping_failures, 1);
                        tracing::warn!(%error, "redis health check failed; reconnecting");
                        self.drop_connection();
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Subscribe {
    Subscribe,
    Unsubscribe,
}

impl Subscribe {
    fn as_str(self) -> &'static str {
        match self {
            Subscribe::Subscribe => "subscribe",
            Subscribe::Unsubscribe => "unsubscribe",
        }
    }
}
