//! The sending side: each publish numbers its envelope and queues it on the publisher
//! connection itself, with no task in between.
//!
//! Numbering and queuing happen in one step under one short lock: the sequence number is taken,
//! the `PUBLISH` command written, and the client's request future polled once, which puts the
//! command on the connection's queue (`redis`'s multiplexed connection writes its queue in
//! order and batches whatever is queued into one write, so concurrent publishes share a
//! round trip). That poll runs outside tokio's coop budget (the client's queue is a bounded
//! channel that would refuse a task whose budget is spent, after the number was taken). So
//! numbers follow the wire order, and only envelopes actually queued on a live
//! connection are numbered: a publish cancelled before that takes no number and leaves no
//! hole. Once queued, an envelope is always sent: a publish dropped while it waits for Redis's
//! answer hands its request to a task of its own (see [`Sending`]), since the client skips
//! queued commands whose answer nobody awaits, which would leave a numbered hole.
//!
//! Each connection admits at most [`MAX_IN_FLIGHT`] unanswered envelopes, fewer than its queue
//! holds, so the poll that queues never has to wait for room (which could let two waiting
//! publishes reach the wire in another order than their numbers); a cluster connection, at most
//! [`CLUSTER_IN_FLIGHT`](crate::admission::CLUSTER_IN_FLIGHT) per primary (`admission.rs`).
//! When the connection is down
//! the circuit (`circuit.rs`) opens: publishes fail at once while a probe reconnects in the
//! background.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use pubsub_core::Topic;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::admission::{Admission, MAX_IN_FLIGHT};
use crate::config::ChannelMode;
use crate::conn::{Client, Conn};
use crate::envelope::Tail;
use crate::error::{Error, bounded};
use crate::sequence::Sending as Sequences;
use crate::shard_circuit::Breaker;
use crate::shared::Shared;
use crate::stats::Counters;

/// The client's request queue per connection: more than [`MAX_IN_FLIGHT`], so queuing an
/// admitted envelope never waits (the connection's own `CLIENT SETNAME` fits beside them).
const QUEUE: usize = MAX_IN_FLIGHT + 64;

/// The publisher's connection (on a cluster: connections) and admission gates. A gate is
/// closed when the connection is lost (the client saw it close: a RESP3 `Disconnection` push;
/// or a publish on it failed), so a dead connection is replaced before it is written to.
#[derive(Debug)]
pub(crate) struct Connection {
    admission: Admission,
}

impl Connection {
    fn live(&self) -> bool {
        self.admission.live()
    }
}

/// One node's sending side, shared by every publish.
pub(crate) struct Publisher {
    shared: Arc<Shared>,
    client: Client,
    state: Mutex<State>,
    /// One connection attempt at a time (the connection closed while the circuit was shut).
    connecting: tokio::sync::Mutex<()>,
}

struct State {
    conn: Option<Connection>,
    sequences: Sequences,
}

/// What [`Publisher::queue`] did.
enum Queued {
    /// Numbered and queued: wait for the answer.
    Sending(Sending),
    /// No live connection: connect first.
    NoConnection,
    /// The live connection has no free admission slot: wait for one of these (on a cluster,
    /// tripping that connection's circuit if none comes in time).
    Full(Arc<Semaphore>, Option<Breaker>),
    /// Cluster: the circuit of the topic's shard's connection is open.
    ShardDown,
}

impl Publisher {
    pub(crate) fn new(shared: Arc<Shared>, client: Client, conn: Connection) -> Self {
        let idle = shared.config.sequence_idle;
        Publisher {
            shared,
            client,
            state: Mutex::new(State {
                conn: Some(conn),
                sequences: Sequences::new(idle),
            }),
            connecting: tokio::sync::Mutex::new(()),
        }
    }

    /// Connects, for the first connection made by `RedisBroker::connect`, for the circuit's
    /// probe, and after the connection closed while idle. On a cluster: one cluster connection
    /// per primary the link last saw (at least one; see `admission.rs`).
    ///
    /// On a cluster, one shard's connection lost is not the connection lost: the client
    /// reconnects that shard by itself, and a publish that fails there replaces the whole
    /// connection as any failed publish does.
    pub(crate) async fn connect(client: &Client, shared: &Shared) -> Result<Connection, Error> {
        if matches!(client, Client::Cluster(_)) {
            let primaries = shared
                .cluster_topology()
                .map_or(1, |(_, topology)| topology.primaries().len().max(1));
            let mut conns = Vec::with_capacity(primaries);
            for _ in 0..primaries {
                conns.push(open_cluster(client, shared).await?);
            }
            return Ok(Connection {
                admission: Admission::cluster(conns),
            });
        }
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let lost = Arc::clone(&slots);
        let push = move |push: redis::PushInfo| {
            if push.kind == redis::PushKind::Disconnection {
                lost.close();
            }
            Ok::<(), std::convert::Infallible>(())
        };
        let after = shared.config.connect_timeout;
        let conn = client.open(push, Some(QUEUE), after, &name(shared)).await?;
        Ok(Connection {
            admission: Admission::single(conn, slots),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends one envelope and waits for Redis's answer, at most
    /// [`RedisConfig::publish_timeout`](crate::RedisConfig::publish_timeout) (plus as long
    /// again for an admission slot, when [`MAX_IN_FLIGHT`] envelopes are unanswered, on a
    /// cluster [`CLUSTER_IN_FLIGHT`](crate::admission::CLUSTER_IN_FLIGHT) to the topic's primary).
    pub(crate) async fn send(&self, topic: &Topic, tail: &Tail) -> Result<(), Error> {
        let after = self.shared.config.publish_timeout;
        let mut permit = None;
        // Everything but the number is written before the lock is taken, once: a publish that
        // waits for an admission slot or a connection keeps it.
        let config = &self.shared.config;
        let channel = config.namespace.len() + 5 + topic.len();
        let envelope = self.shared.head.len() + 20 + tail.len();
        let mut cmd = redis::Cmd::with_capacity(3, 8 + channel + envelope);
        cmd.arg(config.publish_command());
        config.write_channel_arg(topic, &mut cmd);
        let slot = self.slot_of(&cmd);
        loop {
            if self.shared.circuit_open() {
                // The publisher connection is down: fail now rather than wait for a timeout.
                return Err(self.failed(unavailable(&self.shared)));
            }
            let queued = std::future::poll_fn(|cx| {
                Poll::Ready(self.queue(topic, tail, slot, &mut cmd, &mut permit, cx))
            })
            .await;
            match queued {
                Queued::Sending(sending) => return sending.await,
                Queued::NoConnection => self.reconnect().await?,
                Queued::ShardDown => return Err(self.failed(unavailable(&self.shared))),
                Queued::Full(slots, shard) => {
                    match tokio::time::timeout(after, Arc::clone(&slots).acquire_owned()).await {
                        Ok(Ok(admitted)) => permit = Some(admitted),
                        Ok(Err(_closed)) => {} // the connection was replaced meanwhile
                        Err(_) => return Err(timed_out(&self.shared, shard, &slots)),
                    }
                }
            }
        }
    }

    /// Numbers the envelope, completes `cmd` with it and queues it on the live connection, in
    /// one step under the lock, so numbers follow the wire order; nothing is numbered unless
    /// it is queued. A lost connection is replaced with the circuit's probe's, if it made one.
    /// `permit` is a slot waited for earlier (used if it is of the gate of `slot`, the channel's
    /// hash slot on a cluster).
    fn queue(
        &self,
        topic: &Topic,
        tail: &Tail,
        slot: Option<u16>,
        cmd: &mut redis::Cmd,
        permit: &mut Option<OwnedSemaphorePermit>,
        cx: &mut Context<'_>,
    ) -> Queued {
        let mut state = self.lock();
        let State { conn, sequences } = &mut *state;
        let Some(live) = self.live(conn) else {
            return Queued::NoConnection;
        };
        let gate = live.admission.gate_mut(slot);
        if !gate.usable() {
            return Queued::ShardDown;
        }
        let shard = gate.breaker(slot);
        let permit = match permit.take() {
            Some(permit) if Arc::ptr_eq(permit.semaphore(), &gate.slots) => permit,
            _ => match Arc::clone(&gate.slots).try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => return Queued::Full(Arc::clone(&gate.slots), shard),
            },
        };
        // Taken only once admitted: a publish that waits keeps its written command (once
        // taken, the publish is sending and `send` does not queue again). An empty `Cmd`
        // allocates nothing.
        let mut cmd = std::mem::take(cmd);
        let now = Instant::now();
        let seq = sequences.next(topic, now);
        cmd.arg(tail.stamped(&self.shared.head, seq));
        let conn = gate.conn.clone();
        let mut request = request(Arc::clone(&self.shared), cmd, conn, permit, shard);
        // The first poll queues the command on the connection (there is room: see
        // `MAX_IN_FLIGHT`), before the lock lets the next envelope be numbered.
        let first = request.as_mut().poll(cx);
        sequences.sweep(now);
        drop(state);
        Queued::Sending(match first {
            Poll::Ready(result) => Sending::done(result),
            Poll::Pending => Sending::waiting(request),
        })
    }

    /// The live connection in `conn`, after replacing a lost one with the circuit's probe's (if
    /// it made one), its gates following the cluster's slots.
    fn live<'a>(&self, conn: &'a mut Option<Connection>) -> Option<&'a mut Connection> {
        if let Some(lost) = conn.take_if(|c| !c.live()) {
            lost.admission.close();
        }
        if conn.is_none() {
            *conn = self.shared.circuit.take_ready();
        }
        let live = conn.as_mut()?;
        live.admission.follow(&self.shared);
        Some(live)
    }

    /// Cluster mode: the hash slot of the channel `cmd` publishes on (its second argument).
    fn slot_of(&self, cmd: &redis::Cmd) -> Option<u16> {
        if self.shared.config.mode != ChannelMode::Cluster {
            return None;
        }
        match cmd.args_iter().nth(1) {
            Some(redis::Arg::Simple(channel)) => Some(crate::cluster::slot_of_key(channel)),
            _ => None,
        }
    }

    /// Appends the envelope to `topic`'s history and publishes it, in one script run by Redis
    /// (see `history.rs`); returns its position. Bounded as [`send`](Self::send) is, and
    /// subject to the same circuit. Sequence numbers are not involved: Redis numbers the
    /// topic's messages itself, so this needs no lock around the write, and a caller that gives
    /// up leaves no hole (the script ran entirely, or not at all).
    pub(crate) async fn append(
        &self,
        topic: &Topic,
        tail: &Tail,
        policy: &pubsub_core::history::HistoryPolicy,
    ) -> Result<pubsub_core::history::Position, Error> {
        let after = self.shared.config.publish_timeout;
        let (mut conn, slots, breaker) = self.connection(self.topic_slot(topic)).await?;
        let permit = match tokio::time::timeout(after, Arc::clone(&slots).acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_closed)) => return Err(self.failed(Error::Closed)),
            Err(_) => return Err(timed_out(&self.shared, breaker, &slots)),
        };
        let run = crate::history::append(&mut conn, &self.shared, topic, tail, policy);
        let result = tokio::time::timeout(after, run).await;
        drop(permit);
        match result {
            Ok(Ok(position)) => {
                Counters::add(&self.shared.counters.sent, 1);
                Ok(position)
            }
            Ok(Err(error)) => {
                if error.is_io_error() || error.is_connection_dropped() || error.is_timeout() {
                    slots.close(); // replaced before the next envelope
                }
                Err(self.failed(Error::redis("publish", error)))
            }
            Err(_) => Err(timed_out(&self.shared, breaker, &slots)),
        }
    }

    /// Cluster mode: the hash slot of `topic`'s channel (its history keys share it).
    pub(crate) fn topic_slot(&self, topic: &Topic) -> Option<u16> {
        (self.shared.config.mode == ChannelMode::Cluster)
            .then(|| crate::cluster::slot_of(&self.shared.config.cluster_channel(topic)))
    }

    /// The live publisher connection (reconnecting first if it is gone and the circuit is
    /// shut), with the admission gate of hash slot `slot` (on a cluster; `None`: the first)
    /// and, on a cluster, that connection's circuit (which fails this at once while open): for
    /// the history script and history reads.
    pub(crate) async fn connection(
        &self,
        slot: Option<u16>,
    ) -> Result<(Conn, Arc<Semaphore>, Option<Breaker>), Error> {
        for _ in 0..2 {
            if self.shared.circuit_open() {
                return Err(self.failed(unavailable(&self.shared)));
            }
            {
                let mut state = self.lock();
                if let Some(live) = self.live(&mut state.conn) {
                    let gate = live.admission.gate_mut(slot);
                    if !gate.usable() {
                        return Err(self.failed(unavailable(&self.shared)));
                    }
                    let breaker = gate.breaker(slot);
                    return Ok((gate.conn.clone(), Arc::clone(&gate.slots), breaker));
                }
            }
            self.reconnect().await?;
        }
        Err(self.failed(Error::Closed))
    }

    /// No live connection and the circuit shut (the connection closed while idle): one attempt
    /// to connect now, shared by the publishes that need it, which opens the circuit if it
    /// fails.
    async fn reconnect(&self) -> Result<(), Error> {
        let _one = self.connecting.lock().await;
        if self.lock().conn.as_ref().is_some_and(Connection::live) {
            return Ok(()); // another publish reconnected meanwhile
        }
        if self.shared.circuit_open() {
            return Err(self.failed(unavailable(&self.shared)));
        }
        match Self::connect(&self.client, &self.shared).await {
            Ok(conn) => {
                if let Some(old) = self.lock().conn.replace(conn) {
                    old.admission.close();
                }
                tracing::info!("redis publisher connection re-established");
                Ok(())
            }
            Err(error) => {
                self.shared.trip();
                Err(self.failed(error))
            }
        }
    }

    fn failed(&self, error: Error) -> Error {
        failed(&self.shared, error)
    }
}

/// Counts a publish that did not reach Redis, logging at most one line a second (during an
/// outage every publish in flight fails at once).
fn failed(shared: &Shared, error: Error) -> Error {
    Counters::add(&shared.counters.send_failures, 1);
    if let Some(held_back) = shared.publish_log.allow() {
        tracing::warn!(
            %error,
            similar_lines_held_back = held_back,
            "publishing to redis failed"
        );
    }
    error
}

/// A publish (or history script) that timed out, waiting for an admission slot of `slots` or
/// for Redis's answer: on a cluster (`breaker` given) it opens its shard's circuit only; on one
/// server the connection is marked lost (replaced before the next envelope) and the node's
/// circuit opens (the server is frozen or overloaded: the next publishes fail at once).
fn timed_out(shared: &Arc<Shared>, breaker: Option<Breaker>, slots: &Semaphore) -> Error {
    if let Some((circuit, slot)) = breaker {
        circuit.trip(shared, slot);
    } else {
        slots.close();
        shared.trip();
    }
    let after = shared.config.publish_timeout;
    failed(
        shared,
        Error::Timeout {
            operation: "publish",
            after,
        },
    )
}

/// The name of the publisher's connections in `CLIENT LIST`.
fn name(shared: &Shared) -> String {
    format!("pubsub-redis:pub:{}", shared.node_id)
}

/// A cluster connection for publishing (its pushes, none expected, ignored), bounded by the
/// connect timeout: one per primary at connect, and a shard circuit's replacement.
pub(crate) async fn open_cluster(client: &Client, shared: &Shared) -> Result<Conn, Error> {
    let ignore = |_: redis::PushInfo| Ok::<(), std::convert::Infallible>(());
    let after = shared.config.connect_timeout;
    client.open(ignore, None, after, &name(shared)).await
}

/// The error of a publish while the circuit is open.
pub(crate) fn unavailable(shared: &Shared) -> Error {
    Error::Unavailable {
        retry_in: shared.config.reconnect_max_delay,
    }
}

/// An envelope's request, queued on the connection: Redis's answer, bounded by the publish
/// timeout, counted as sent or failed. A timeout opens the circuit (the server is frozen or
/// overloaded: the next publishes fail at once); on a cluster (`breaker` given) only the circuit
/// of the shard's connection (`shard_circuit.rs`). Any other failure marks the connection lost,
/// so it is replaced before the next envelope. The admission slot is held until the answer.
fn request(
    shared: Arc<Shared>,
    cmd: redis::Cmd,
    mut conn: Conn,
    permit: OwnedSemaphorePermit,
    breaker: Option<Breaker>,
) -> Request {
    let after = shared.config.publish_timeout;
    // Unconstrained by tokio's coop budget: the client's queue is a bounded channel whose send
    // consults the budget, and a send refused for a spent budget would leave the numbered
    // envelope off the wire while another task's later number goes first (`queue` polls this
    // once, under its lock, to put the command on the connection in the order of the numbers).
    Box::pin(tokio::task::coop::unconstrained(async move {
        let result = match &mut conn {
            Conn::Single(conn) => bounded("publish", after, cmd.query_async::<()>(conn)).await,
            Conn::Cluster(conn) => {
                // Routed by the channel's slot here, and the command handed over as it is: the
                // client's own routing of a `Cmd` parses its name and copies it whole, per
                // message.
                use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
                let channel = match cmd.args_iter().nth(1) {
                    Some(redis::Arg::Simple(channel)) => channel,
                    _ => &[],
                };
                let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(
                    Route::with_key(channel, SlotAddr::Master),
                ));
                bounded("publish", after, conn.route_command(cmd, route))
                    .await
                    .map(drop)
            }
        };
        match result {
            Ok(()) => {
                Counters::add(&shared.counters.sent, 1);
                Ok(())
            }
            Err(Error::Timeout { .. }) => Err(timed_out(&shared, breaker, permit.semaphore())),
            Err(error) => {
                // The connection is lost: replaced before the next envelope.
                permit.semaphore().close();
                Err(failed(&shared, error))
            }
        }
    }))
}

/// A request on its way.
type Request = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'static>>;

/// A publish waiting for its envelope's answer. Dropped before the answer (its caller gave up
/// or was cancelled), the request finishes on a task of its own: the envelope is numbered and
/// queued, and the client would skip a queued command nobody awaits, leaving a hole in the
/// stream that every receiving node would report as loss.
struct Sending {
    state: SendingState,
}

enum SendingState {
    Waiting(Request),
    Done(Option<Result<(), Error>>),
}

impl Sending {
    fn done(result: Result<(), Error>) -> Self {
        Sending {
            state: SendingState::Done(Some(result)),
        }
    }

    fn waiting(request: Request) -> Self {
        Sending {
            state: SendingState::Waiting(request),
        }
    }
}

impl Future for Sending {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            SendingState::Waiting(request) => {
                let result = std::task::ready!(request.as_mut().poll(cx));
                self.state = SendingState::Done(None);
                Poll::Ready(result)
            }
            SendingState::Done(result) => Poll::Ready(result.take().unwrap_or(Err(Error::Closed))),
        }
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        let SendingState::Waiting(request) =
            std::mem::replace(&mut self.state, SendingState::Done(None))
        else {
            return;
        };
        // Outside a runtime (it is being shut down) nothing can run it: dropped.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = request.await;
            });
        }
    }
}
