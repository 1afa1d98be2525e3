//! The subscriber connection: one RESP3 connection per node, kept alive by one task.
//!
//! The task owns the connection and is the only one to send SUBSCRIBE/UNSUBSCRIBE, so the
//! channel set has a single writer. It replaces the connection when the client reports it lost
//! (a RESP3 `Disconnection` push, the same instant the socket closes) or when a health-check
//! PING fails or times out (a half-open connection); then it reconnects at once, with growing
//! delays while that fails, resubscribes every wanted channel, and only then sends every local
//! subscriber a gap notice, so a subscriber that reloads on the notice cannot miss a later
//! message. Topics with history are recovered instead (`recovery.rs`): from the moment the old
//! connection is let go of, their live messages are held back until their missed ones were
//! read from Redis and delivered.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use pubsub_core::Topic;
use redis::PushInfo;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::{Instant, MissedTickBehavior};

use crate::cluster::{self, Topology};
use crate::config::ChannelMode;
use crate::conn::{Client, Conn, Subscribe};
use crate::error::{Error, bounded};
use crate::hold::Hold;
use crate::inbound::{self, LinkEvent};
use crate::interest::Interest;
use crate::shared::Shared;
use crate::stats::Counters;

/// Channels per SUBSCRIBE/UNSUBSCRIBE command.
const CHUNK: usize = 1024;
/// Extra ping timeouts granted while the reader is busy (see [`Link::ping`]).
const BUSY_PATIENCE: u32 = 8;
/// Cluster mode: how soon the slots are read again after an `sunsubscribe` nobody asked for,
/// when the first read did not show the channel's slot moved yet (the node asked had not
/// heard); doubled each time, up to one ping interval in all.
const LEFT_RECHECK: Duration = Duration::from_millis(25);

pub(crate) struct Link {
    shared: Arc<Shared>,
    client: Client,
    interest: Option<Arc<Interest>>,
    events_tx: UnboundedSender<LinkEvent>,
    events: UnboundedReceiver<LinkEvent>,
    conn: Option<Conn>,
    generation: u64,
    /// Per-topic mode: the topics whose channels the current connection has subscribed.
    subscribed: HashSet<Topic>,
    /// Cluster mode: how many of [`subscribed`](Self::subscribed) lie in each hash slot (kept
    /// as they are added and removed, so the shard check counts per primary without going
    /// through the topics).
    per_slot: HashMap<u16, u64>,
    /// A lost connection's recovery is due (topics with history configured): set when a live
    /// connection is let go of, cleared once the next one recovered every topic.
    recovering: bool,
    /// Per-topic mode, while recovering: the topics whose channels the lost connection had
    /// subscribed (their mirrors were up to date when it was lost).
    recoverable: HashSet<Topic>,
    /// Cluster mode: which primary owned each slot when the link last looked.
    topology: Option<Topology>,
    /// Cluster mode: subscribed topics whose channel Redis dropped by itself (an `sunsubscribe`
    /// nobody here asked for: the slot left the shard), not yet seen moved in the slots.
    left: HashSet<Topic>,
    /// Cluster mode: when to read the slots again for [`left`](Self::left).
    recheck: Option<Recheck>,
}

/// The next look at the slots for channels Redis dropped.
#[derive(Debug, Clone, Copy)]
struct Recheck {
    at: Instant,
    delay: Duration,
    /// Past this, the ping interval's regular look (and the shard check) takes over.
    until: Instant,
}

impl Link {
    pub(crate) fn new(
        shared: Arc<Shared>,
        client: Client,
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
            per_slot: HashMap::new(),
            recovering: false,
            recoverable: HashSet::new(),
            topology: None,
            left: HashSet::new(),
            recheck: None,
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
        let push = move |push: PushInfo| {
            inbound::handle(&shared, &events, generation, &push);
            Ok::<(), Infallible>(())
        };
        let name = format!("pubsub-redis:sub:{}", self.shared.node_id);
        let after = self.shared.config.connect_timeout;
        let conn = self.client.open(push, None, after, &name).await?;
        self.conn = Some(conn);
        match self.interest.clone() {
            None => {
                let channel = self.shared.config.namespace_channel();
                self.command(Subscribe::Subscribe, &[], vec![channel])
                    .await?;
            }
            Some(interest) => {
                let wanted = interest.wanted();
                self.subscribe_topics(&interest, &wanted).await?;
            }
        }
        // Cluster mode: the slots as they are now, so that an `sunsubscribe` push before the
        // first ping interval already finds its slot moved. If this fails, the first regular
        // look records them.
        if let Some(Conn::Cluster(conn)) = &self.conn {
            self.topology = Topology::read(conn, self.shared.config.ping_timeout)
                .await
                .ok();
            if let Some(topology) = &self.topology {
                self.shared.set_cluster_topology(topology);
            }
        }
        Ok(())
    }

    /// Lets go of the connection. Its reader may still be draining what it had read; from
    /// here on those pushes are dropped (a new generation), so nothing the old connection
    /// carries can arrive after, or twice with, what the next one delivers.
    ///
    /// With history configured, letting go of a live connection starts a recovery: from here
    /// on, live messages of topics with history are held back (`hold.rs`) until
    /// [`recover`](Self::recover) ran on the next connection. A connection that fails before
    /// that leaves the recovery due, and what it delivered is dropped from the hold (the
    /// recovery's reads, made after the next connection is subscribed, cover it).
    fn drop_connection(&mut self) {
        let was_live = self.conn.take().is_some();
        if was_live && !self.recovering && !self.shared.config.history.is_empty() {
            self.recovering = true;
            self.recoverable = std::mem::take(&mut self.subscribed);
        }
        self.subscribed.clear();
        self.per_slot.clear();
        self.topology = None;
        self.left.clear();
        self.recheck = None;
        self.shared.confirmations.clear();
        self.shared.departures.clear();
        self.generation += 1;
        let mut inbound = self.shared.inbound();
        inbound.generation = self.generation;
        inbound.received.clear();
        if self.recovering {
            inbound.hold.get_or_insert_default().clear();
        }
    }

    /// After a reconnect: recovers the topics with history (when due), and gives the
    /// subscribers of the others a gap notice.
    async fn recover(&mut self) {
        if !self.recovering {
            let told = self.shared.notify_gap_all();
            tracing::info!(
                told,
                "redis subscriber connection re-established; gap notice sent"
            );
            return;
        }
        let recoverable = std::mem::take(&mut self.recoverable);
        let per_topic = self.interest.is_some();
        let current = |topic: &Topic| !per_topic || recoverable.contains(topic);
        let outcome = crate::recovery::run(&self.shared, self.conn.clone(), &current).await;
        self.recovering = false;
        tracing::info!(
            told = outcome.plain_told,
            recovered = outcome.recovered,
            unrecovered = outcome.unrecovered,
            "redis subscriber connection re-established; topics with history recovered, \
             gap notices sent for the others"
        );
    }

    /// Sends `what` for `channels` (those of `topics`). On a cluster the confirmations it asks
    /// for are noted as due first, and those a failed command will not give taken back, so that
    /// the receiving side tells our own from a re-subscription the client makes by itself (which
    /// would otherwise hide a loss) and from Redis dropping a channel whose slot left the shard.
    async fn command(
        &mut self,
        what: Subscribe,
        topics: &[Topic],
        channels: Vec<String>,
    ) -> Result<(), Error> {
        let after = self.shared.config.subscribe_timeout;
        match self.conn.as_mut() {
            None => Err(Error::Closed),
            Some(Conn::Cluster(conn)) => {
                let due = match what {
                    Subscribe::Subscribe => &self.shared.confirmations,
                    Subscribe::Unsubscribe => &self.shared.departures,
                };
                due.expect(topics);
                let done = cluster::command(conn, what, channels, after).await;
                if done.is_err() {
                    due.cancel(topics);
                }
                done
            }
            Some(Conn::Single(conn)) => match what {
                Subscribe::Subscribe => {
                    bounded(what.as_str(), after, conn.subscribe(channels)).await
                }
                Subscribe::Unsubscribe => {
                    bounded(what.as_str(), after, conn.unsubscribe(channels)).await
                }
            },
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
                .map(|t| self.shared.config.channel_for(t))
                .collect();
            self.command(Subscribe::Subscribe, chunk, channels).await?;
            let cluster = self.shared.config.mode == ChannelMode::Cluster;
            for topic in chunk {
                if self.subscribed.insert(topic.clone()) && cluster {
                    let slot = cluster::slot_of(&self.shared.config.cluster_channel(topic));
                    *self.per_slot.entry(slot).or_default() += 1;
                }
            }
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
        for topic in &to_add {
            // Not received while its channel was not subscribed: the node's copy of its
            // history may lack messages, so it starts again with the next one.
            if self.shared.history_policy(topic).is_some() {
                self.shared.forget_history(topic);
            }
        }
        for chunk in to_remove.chunks(CHUNK) {
            let channels = chunk
                .iter()
                .map(|t| self.shared.config.channel_for(t))
                .collect();
            self.command(Subscribe::Unsubscribe, chunk, channels)
                .await?;
            let cluster = self.shared.config.mode == ChannelMode::Cluster;
            for topic in chunk {
                if self.subscribed.remove(topic) && cluster {
                    let slot = cluster::slot_of(&self.shared.config.cluster_channel(topic));
                    if let Some(count) = self.per_slot.get_mut(&slot) {
                        *count -= 1;
                        if *count == 0 {
                            self.per_slot.remove(&slot);
                        }
                    }
                }
                self.left.remove(topic);
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
        // A cluster connection is not pinged as one: the client watches and reconnects each
        // shard's connection by itself (`check_shards` sees that its subscriptions are back),
        // and one shard's silence must not replace them all.
        let Some(Conn::Single(conn)) = self.conn.as_mut() else {
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

    /// Cluster mode: reads the cluster's slots; the subscribed topics whose slot has another
    /// primary than at the last look are subscribed again (the client sends that to the new
    /// owner) and then get a gap notice or a recovery ([`resubscribe`](Self::resubscribe)):
    /// what was published to them meanwhile did not reach this node. The first look only
    /// records the slots.
    async fn follow_topology(&mut self) -> Result<(), Error> {
        let Some(Conn::Cluster(conn)) = &self.conn else {
            return Ok(());
        };
        let now = Topology::read(conn, self.shared.config.ping_timeout).await?;
        self.shared.set_cluster_topology(&now);
        let Some(before) = self.topology.replace(now.clone()) else {
            return Ok(());
        };
        if before == now {
            return Ok(());
        }
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let moved: Vec<Topic> = self
            .subscribed
            .iter()
            .filter(|topic| before.moved(&now, &config.cluster_channel(topic)))
            .cloned()
            .collect();
        if !moved.is_empty() {
            tracing::info!(
                moved = moved.len(),
                "redis cluster slots changed owner; subscribing their topics on the new owners"
            );
        }
        let (promoted, migrated): (Vec<Topic>, Vec<Topic>) = moved
            .iter()
            .cloned()
            .partition(|topic| before.promoted(&now, &config.cluster_channel(topic)));
        let mut done = self.resubscribe(&promoted, History::Untrusted).await;
        if done.is_ok() {
            done = self.resubscribe(&migrated, History::Continues).await;
        }
        if let Err(error) = done {
            // Looked at again next time, from the same slots (the client may not have caught
            // up with the new owner yet); the topics done so far get a second notice then,
            // which merges with the first in their queues.
            self.topology = Some(before);
            return Err(error);
        }
        for topic in &moved {
            self.left.remove(topic);
        }
        Counters::add(&self.shared.counters.moved_topics, moved.len() as u64);
        Ok(())
    }

    /// Cluster mode: Redis dropped `topic`'s channel by itself (`LinkEvent::Left`): the slots
    /// are read again at once rather than at the next ping interval.
    fn on_left(&mut self, topic: Topic) {
        if !self.subscribed.contains(&topic) {
            return;
        }
        self.left.insert(topic);
        let now = Instant::now();
        self.recheck.get_or_insert(Recheck {
            at: now,
            delay: LEFT_RECHECK,
            until: now + self.shared.config.ping_interval,
        });
    }

    /// Cluster mode: reads the slots for the channels Redis dropped
    /// ([`follow_topology`](Self::follow_topology) subscribes the moved topics on their new
    /// owner). While some were not seen moved (the node asked had not heard yet), it looks
    /// again soon, with doubling delays, for up to one ping interval; after that the regular
    /// look and [`check_shards`](Self::check_shards) (which finds a shard connection that holds
    /// fewer of this node's channels than it should) take over.
    async fn follow_left(&mut self) {
        if let Err(error) = self.follow_topology().await {
            self.cluster_warn(&error, "following the redis cluster's slots failed");
        }
        let subscribed = &self.subscribed;
        self.left.retain(|topic| subscribed.contains(topic));
        let now = Instant::now();
        match self.recheck {
            Some(mut recheck) if !self.left.is_empty() && now + recheck.delay < recheck.until => {
                recheck.at = now + recheck.delay;
                recheck.delay *= 2;
                self.recheck = Some(recheck);
            }
            _ => {
                self.left.clear();
                self.recheck = None;
            }
        }
    }

    /// A failed look at the cluster (its slots, its shards), logged at most once a second:
    /// it is tried again each interval and at each push that asks for it.
    fn cluster_warn(&self, error: &Error, what: &'static str) {
        if let Some(held_back) = self.shared.cluster_log.allow() {
            tracing::warn!(%error, held_back, "{what}");
        }
    }

    /// Cluster mode: asks each primary whether the connection the client holds to it still
    /// has this node's subscriptions there (`shards.rs`): the topics of a primary whose
    /// connection holds fewer sharded channels than this node has subscribed topics on it (by
    /// the slots) are subscribed again and get a gap notice or a recovery. Needs the slots read
    /// by [`follow_topology`](Self::follow_topology) first.
    ///
    /// The count is taken while none of this node's own `SSUBSCRIBE`s or `SUNSUBSCRIBE`s is
    /// under way: they are sent by this task only, and it is here.
    async fn check_shards(&mut self) -> Result<(), Error> {
        let (Some(Conn::Cluster(conn)), Some(topology)) = (&self.conn, &self.topology) else {
            return Ok(());
        };
        if self.subscribed.is_empty() {
            return Ok(());
        }
        let wanted = topology.per_primary(&self.per_slot);
        let held = crate::shards::held(conn, topology, self.shared.config.ping_timeout).await;
        let short = crate::shards::short(&held, &wanted);
        if short.is_empty() {
            return Ok(());
        }
        let config = &self.shared.config;
        let lost: Vec<Topic> = self
            .subscribed
            .iter()
            .filter(|topic| {
                topology
                    .owner_of(&config.cluster_channel(topic))
                    .is_some_and(|owner| short.contains(&owner))
            })
            .cloned()
            .collect();
        if lost.is_empty() {
            return Ok(());
        }
        tracing::warn!(
            topics = lost.len(),
            primaries = ?short,
            "a redis cluster shard's subscriber connection lost subscriptions; \
             subscribing its topics again"
        );
        self.resubscribe(&lost, History::Continues).await?;
        Counters::add(&self.shared.counters.lost_shard_topics, lost.len() as u64);
        Ok(())
    }

    /// Cluster mode: subscribes `topics` again (on whatever connection the client now holds to
    /// their slots' primaries); what was published to them meanwhile did not reach this node.
    /// When their `history` continues, topics with history and local subscribers are held back
    /// from the first moment and then recovered from it (`recovery.rs`); the others'
    /// subscribers get a gap notice once their chunk is subscribed.
    async fn resubscribe(&mut self, topics: &[Topic], history: History) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        let mut kept: HashSet<Topic> = topics
            .iter()
            .filter(|_| history == History::Continues)
            .filter(|t| shared.history_policy(t).is_some() && shared.has_subscribers(t))
            .cloned()
            .collect();
        {
            let mut inbound = shared.inbound();
            if inbound.hold.is_some() {
                kept.clear(); // a reconnect's recovery is under way (not seen): notices
            } else if !kept.is_empty() {
                inbound.hold = Some(Hold::only(kept.clone()));
            }
        }
        for chunk in topics.chunks(CHUNK) {
            let channels: Vec<String> = chunk
                .iter()
                .map(|t| shared.config.cluster_channel(t))
                .collect();
            // Unsubscribed first: an `ssubscribe` of channels the client still counts as
            // subscribed was confirmed without reaching the new owner for most slots (seen in
            // `tests/it/cluster/failover.rs`); after an `sunsubscribe` it is sent there.
            let _ = self
                .command(Subscribe::Unsubscribe, chunk, channels.clone())
                .await;
            if let Err(error) = self.command(Subscribe::Subscribe, chunk, channels).await {
                // What was held is delivered; a hole in it gives its topic a notice.
                crate::recovery::finish(&shared);
                return Err(error);
            }
            for topic in chunk.iter().filter(|t| !kept.contains(*t)) {
                crate::inbound::resubscribed(&shared, topic);
            }
        }
        if !kept.is_empty() {
            let kept: Vec<Topic> = kept.into_iter().collect();
            let outcome = crate::recovery::run_some(&shared, self.conn.clone(), &kept).await;
            tracing::info!(
                recovered = outcome.recovered,
                unrecovered = outcome.unrecovered,
                "redis cluster topics with history subscribed again; recovered from history"
            );
        }
        Ok(())
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
                        self.recover().await;
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
            let recheck = self.recheck.map(|recheck| recheck.at);
            let recheck = async move {
                match recheck {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = recheck => self.follow_left().await,
                event = self.events.recv() => match event {
                    Some(LinkEvent::Lost(generation)) if generation == self.generation => {
                        tracing::warn!("redis subscriber connection lost; reconnecting");
                        self.drop_connection();
                    }
                    Some(LinkEvent::Left(generation, topic)) if generation == self.generation => {
                        self.on_left(topic);
                    }
                    Some(LinkEvent::ShardLost(generation)) => {
                        // Taken: the next lost connection is told again. The client may have
                        // reconnected the shard already; if not, the next health check finds it.
                        self.shared
                            .shard_lost_told
                            .store(false, std::sync::atomic::Ordering::Release);
                        if generation == self.generation
                            && let Err(error) = self.check_shards().await
                        {
                            self.cluster_warn(&error, "resubscribing a redis cluster shard failed");
                        }
                    }
                    _ => {}
                },
                () = changed => {
                    if let Err(error) = self.sync().await {
                        tracing::warn!(%error, "redis channel update failed; reconnecting");
                        self.drop_connection();
                    }
                }
                _ = ping.tick() => {
                    if let Err(error) = self.follow_topology().await {
                        // The client reconnects shards by itself: look again next time.
                        self.cluster_warn(&error, "following the redis cluster's slots failed");
                    } else if let Err(error) = self.check_shards().await {
                        self.cluster_warn(&error, "resubscribing a redis cluster shard failed");
                    }
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

/// Cluster mode: whether the history of topics subscribed again is known to continue what
/// this node delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum History {
    /// The same primary's, or a slot migrated whole (`MIGRATE`): recovered from it.
    Continues,
    /// A promoted replica's ([`Topology::promoted`]): gap notices.
    Untrusted,
}
