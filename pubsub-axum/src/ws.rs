//! WebSocket channels: one connection, many topics, joined and left with a reference and a
//! reply, each join authorized by the application.
//!
//! The frame format is in [`frames`]. Per connection:
//!
//! - **joins**: `$join` with an optional `since` (the last position the client saw) and
//!   `params`; the gateway refuses a topic of another tenant (when the app's [`Authorize`] names
//!   the session's tenant), then asks the app's [`Authorize::join`], then subscribes from
//!   `since` through the broker's history and replies `ok` with `recovered` (and the replayed
//!   messages follow, then the live ones) or `error` with a reason; a refused join gets nothing;
//! - **heartbeats and idle timeout**: any client frame (the client sends `$heartbeat` every
//!   25 s) keeps the connection; none for the [`idle_timeout`](Channels::idle_timeout) closes
//!   it (code 4000);
//! - **bounded outbound buffers**: replies and presence frames wait in a queue of
//!   [`queue_capacity`](Channels::queue_capacity) entries; pushes wait in each join's own
//!   bounded subscription buffer, which the connection's writer takes them from (up to 64
//!   frames per write), where a lag is recovered from the history or becomes a `$reload`; a
//!   write that does not finish within the [`write_timeout`](Channels::write_timeout) (a browser
//!   that stopped reading) closes the connection: memory is bounded, never an unbounded buffer;
//! - **limits**: a message above [`max_frame_size`](Channels::max_frame_size) closes the
//!   connection (code 1009); a malformed frame gets an `$error` frame and the connection keeps
//!   working; at most [`max_joins`](Channels::max_joins) topics at once, and joins within the
//!   connection's [`join_rate`](Channels::join_rate) (a burst, then so many a second): a join
//!   past it is refused (`too many joins, slow down`) before the app's authorization or the
//!   broker sees it;
//! - **shutdown**: when the [`shutdown`](Channels::shutdown) token is cancelled, every
//!   connection is closed with code 1001, and the client reconnects (elsewhere) and rejoins
//!   with its positions.

mod conn;
pub mod frames;
#[cfg(feature = "presence")]
mod presence;
mod rate;
mod ready;
mod writer;

pub use rate::JoinRate;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use pubsub_core::Broker;
use tokio_util::sync::CancellationToken;

use crate::auth::Authorize;

/// Close code for a connection that sent nothing for the idle timeout.
pub const CLOSE_IDLE: u16 = 4000;
/// Close code for a connection whose outbound writes stalled past the write timeout (sent when
/// the socket still takes it).
pub const CLOSE_SLOW: u16 = 4001;

/// Channel settings and the app's authorization, shared by every connection: cheap to clone,
/// kept in the app's state. `S` is what the app extracts from the upgrade request.
///
/// ```
/// use axum::extract::{State, WebSocketUpgrade};
/// use axum::response::Response;
/// use pubsub_axum::{AllowAll, Channels};
/// use pubsub_core::MemoryBroker;
///
/// #[derive(Clone)]
/// struct App { broker: MemoryBroker, channels: Channels<()> }
///
/// async fn socket(State(app): State<App>, ws: WebSocketUpgrade) -> Response {
///     app.channels.upgrade(ws, app.broker.clone(), ())
/// }
///
/// let app = App { broker: MemoryBroker::new(), channels: Channels::new(AllowAll) };
/// let router: axum::Router = axum::Router::new()
///     .route("/socket", axum::routing::get(socket))
///     .with_state(app);
/// ```
pub struct Channels<S> {
    config: Arc<Config<S>>,
}

pub(crate) struct Config<S> {
    pub(crate) authorize: Arc<dyn Authorize<S>>,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) max_frame_size: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) max_joins: usize,
    pub(crate) join_rate: JoinRate,
    pub(crate) shutdown: CancellationToken,
    #[cfg(feature = "presence")]
    pub(crate) presence: Option<Arc<pubsub_presence::Presence>>,
}

// By hand: `S` (the session) need not be `Clone`.
impl<S> Clone for Config<S> {
    fn clone(&self) -> Self {
        Config {
            authorize: Arc::clone(&self.authorize),
            idle_timeout: self.idle_timeout,
            write_timeout: self.write_timeout,
            max_frame_size: self.max_frame_size,
            queue_capacity: self.queue_capacity,
            max_joins: self.max_joins,
            join_rate: self.join_rate,
            shutdown: self.shutdown.clone(),
            #[cfg(feature = "presence")]
            presence: self.presence.clone(),
        }
    }
}

impl<S> Clone for Channels<S> {
    fn clone(&self) -> Self {
        Channels {
            config: Arc::clone(&self.config),
        }
    }
}

impl<S> fmt::Debug for Channels<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Channels")
            .field("idle_timeout", &c.idle_timeout)
            .field("write_timeout", &c.write_timeout)
            .field("max_frame_size", &c.max_frame_size)
            .field("queue_capacity", &c.queue_capacity)
            .field("max_joins", &c.max_joins)
            .field("join_rate", &c.join_rate)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync + 'static> Channels<S> {
    /// Channels authorized by `authorize`, with the defaults: idle timeout 60 s, write timeout
    /// 15 s, frames up to 64 KiB, 256 queued entries, 100 topics per connection, joins at a
    /// burst of 100 then 10 a second.
    pub fn new(authorize: impl Authorize<S>) -> Self {
        Channels {
            config: Arc::new(Config {
                authorize: Arc::new(authorize),
                idle_timeout: Duration::from_secs(60),
                write_timeout: Duration::from_secs(15),
                max_frame_size: 64 * 1024,
                queue_capacity: 256,
                max_joins: 100,
                join_rate: JoinRate::new(10, 100),
                shutdown: CancellationToken::new(),
                #[cfg(feature = "presence")]
                presence: None,
            }),
        }
    }

    fn with(mut self, change: impl FnOnce(&mut Config<S>)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }

    /// Closes a connection that sent no frame for `timeout` (at least 1 ms).
    #[must_use]
    pub fn idle_timeout(self, timeout: Duration) -> Self {
        self.with(|c| c.idle_timeout = timeout.max(Duration::from_millis(1)))
    }

    /// Closes a connection whose outbound write (a batch of frames) does not finish in
    /// `timeout` (at least 1 ms): a browser that stopped reading.
    #[must_use]
    pub fn write_timeout(self, timeout: Duration) -> Self {
        self.with(|c| c.write_timeout = timeout.max(Duration::from_millis(1)))
    }

    /// The largest client message accepted, in bytes (at least 256); a larger one closes the
    /// connection with code 1009.
    #[must_use]
    pub fn max_frame_size(self, bytes: usize) -> Self {
        self.with(|c| c.max_frame_size = bytes.max(256))
    }

    /// How many outbound entries one connection queues (at least 1): replies, error and
    /// presence frames, and joins and leaves on their way to the connection's writer. Pushes
    /// do not wait here but in their join's bounded subscription buffer, which the writer
    /// takes them from.
    #[must_use]
    pub fn queue_capacity(self, entries: usize) -> Self {
        self.with(|c| c.queue_capacity = entries.max(1))
    }

    /// How many topics one connection holds at once (at least 1).
    #[must_use]
    pub fn max_joins(self, joins: usize) -> Self {
        self.with(|c| c.max_joins = joins.max(1))
    }

    /// How fast one connection may join: `rate.burst()` joins at once (a page reconnecting
    /// rejoins all its topics), then `rate.per_second()` more each second. A join past it gets
    /// an `error` reply with the reason `too many joins, slow down`, before the app's
    /// [`Authorize::join`] or the broker is asked: a client looping over joins of fresh topics
    /// costs the server a bounded number of authorizations, subscriptions and presence syncs a
    /// second. Refused joins (by the app, the broker or the limits) spend their token too.
    ///
    /// ```
    /// use pubsub_axum::{AllowAll, Channels, JoinRate};
    /// let channels: Channels<()> = Channels::new(AllowAll).join_rate(JoinRate::new(5, 50));
    /// ```
    #[must_use]
    pub fn join_rate(self, rate: JoinRate) -> Self {
        self.with(|c| c.join_rate = rate)
    }

    /// Presence on joins, through `presence` (feature `presence`): a join with
    /// `"presence": true` gets the topic's `$presence_state` then `$presence_diff` frames, and
    /// what [`Authorize::presence`] names for the session is tracked while the join lasts.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
    /// use std::sync::Arc;
    /// use pubsub_axum::{AllowAll, Channels};
    /// use pubsub_presence::{Presence, PresenceConfig};
    ///
    /// let broker = pubsub_core::MemoryBroker::new();
    /// let presence = Arc::new(Presence::start(broker.clone(), PresenceConfig::default()).await?);
    /// let channels: Channels<()> = Channels::new(AllowAll).presence(presence);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "presence")]
    #[must_use]
    pub fn presence(self, presence: Arc<pubsub_presence::Presence>) -> Self {
        self.with(|c| c.presence = Some(presence))
    }

    /// Closes every connection (code 1001) when `token` is cancelled.
    #[must_use]
    pub fn shutdown(self, token: CancellationToken) -> Self {
        self.with(|c| c.shutdown = token)
    }

    /// Upgrades the request to a channel connection that joins topics through `broker` (a
    /// tenant's scoped handle, for a tenant's session) on behalf of `session`.
    pub fn upgrade<B: Broker + 'static>(
        &self,
        ws: WebSocketUpgrade,
        broker: B,
        session: S,
    ) -> Response {
        let config = Arc::clone(&self.config);
        let max = config.max_frame_size;
        ws.max_message_size(max)
            .max_frame_size(max)
            // The read buffer is allocated up front: its 128 KiB default made an idle socket
            // cost about 146 KB of heap, 19 KB with 4 KiB (client frames are small; a larger
            // one is still read whole). The write buffer grows up to this size plus a frame
            // and keeps its capacity: at 64 KiB a connection still held 88 KiB of heap after a
            // burst, 21 KiB at 8 KiB, with burst throughput the same within the bench's noise
            // (the writer flushes each batch of queued frames anyway, see `conn`).
            .read_buffer_size(4 * 1024)
            .write_buffer_size(8 * 1024)
            .on_upgrade(move |socket| conn::run(socket, Arc::new(broker), session, config))
    }
}
