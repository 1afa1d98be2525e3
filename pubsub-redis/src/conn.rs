//! One Redis server or a Redis Cluster behind one type: [`Client`] opens connections, [`Conn`]
//! is one (a multiplexed connection to the server, or the `redis` crate's cluster connection,
//! which routes each command to the shard of its key or channel and follows the cluster's
//! topology). Everything above this module sends commands through [`Conn`] and does not care
//! which it is.

use std::time::Duration;

use redis::aio::AsyncPushSender;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::io::tcp::TcpSettings;
#[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
use redis::io::tcp::socket2::TcpKeepalive;
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, Value};

use crate::config::RedisConfig;
use crate::error::{Error, bounded};

/// Keepalive probes sent to a silent peer before the kernel drops the connection.
#[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
const KEEPALIVE_PROBES: u32 = 3;

/// Which side of a node a client's connections serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The link's subscriber connection(s).
    Subscriber,
    /// Publishing, history reads and scripts, and the circuits' probes.
    Publisher,
}

/// The TCP settings of a cluster's connections (Linux; elsewhere the system's defaults).
///
/// The subscriber's have keepalive and `TCP_USER_TIMEOUT`, so that the kernel drops a
/// connection whose peer stopped acknowledging (a network cut, a peer host gone without a
/// reset) within about `ping_interval + 3 x ping_timeout` (4 s by default; keepalive counts
/// whole seconds, at least one). The client then reconnects that shard by itself, and the
/// link's shard check subscribes its topics again, with a gap notice or a recovery. Without it
/// a shard's half-open subscriber connection stayed silent until the kernel's own retransmission
/// limit (about 15 minutes) or for good when nothing was sent on it: the link does not `PING` a
/// cluster connection (one shard's silence must not replace them all), and the `redis` crate
/// does not replace a shard's connection on a timeout. A subscriber connection only carries
/// small commands, so a peer that is only slow or stopped (its kernel still acknowledges) is
/// not dropped.
///
/// The publisher's have keepalive only: a Redis that stops reading (a fork, a slow script)
/// can fill the window of a publisher's in-flight envelopes, and `TCP_USER_TIMEOUT` also gives
/// up on a window that stays closed that long, which would reset a connection that is only
/// slow. A publisher's cut connection is found by the publish timeout and its circuit instead.
pub(crate) fn cluster_tcp(config: &RedisConfig, side: Side) -> TcpSettings {
    let settings = TcpSettings::default();
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    let settings = {
        let whole_seconds = |d: std::time::Duration| {
            let up = u64::from(d.subsec_nanos() > 0);
            std::time::Duration::from_secs((d.as_secs() + up).max(1))
        };
        let keepalive = TcpKeepalive::new()
            .with_time(whole_seconds(config.ping_interval))
            .with_interval(whole_seconds(config.ping_timeout))
            .with_retries(KEEPALIVE_PROBES);
        let settings = settings.set_keepalive(keepalive);
        match side {
            Side::Subscriber => settings
                .set_user_timeout(config.ping_interval + config.ping_timeout * KEEPALIVE_PROBES),
            Side::Publisher => settings,
        }
    };
    #[cfg(not(any(target_os = "android", target_os = "fuchsia", target_os = "linux")))]
    let _ = (config, side);
    settings
}

/// Whether a channel command subscribes or unsubscribes (`SUBSCRIBE` / `UNSUBSCRIBE` on one
/// server, `SSUBSCRIBE` / `SUNSUBSCRIBE` on a cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subscribe {
    Subscribe,
    Unsubscribe,
}

impl Subscribe {
    /// The command's name on one server.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Subscribe::Subscribe => "subscribe",
            Subscribe::Unsubscribe => "unsubscribe",
        }
    }

    /// The sharded command's name (a cluster).
    pub(crate) fn sharded(self) -> &'static str {
        match self {
            Subscribe::Subscribe => "ssubscribe",
            Subscribe::Unsubscribe => "sunsubscribe",
        }
    }
}

/// The text of a string answer (bulk, simple or verbatim, valid UTF-8); `None` for anything
/// else.
pub(crate) fn text(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(b) => std::str::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        Value::VerbatimString { text, .. } => Some(text),
        _ => None,
    }
}

/// How a node reaches Redis: one server, or a cluster through its seed nodes.
#[derive(Debug, Clone)]
pub(crate) enum Client {
    Single(redis::Client),
    Cluster(Box<ClusterClient>),
}

/// A connection made by a [`Client`]; cheap to clone (clones share it).
#[derive(Clone)]
pub(crate) enum Conn {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Single(_) => "Conn::Single",
            Conn::Cluster(_) => "Conn::Cluster",
        })
    }
}

impl Client {
    /// Opens a connection whose pushes go to `push` (the cluster connection's come from every
    /// shard), named `name` in `CLIENT LIST` (single server only); each step bounded by `after`.
    pub(crate) async fn open(
        &self,
        push: impl AsyncPushSender,
        pipeline_buffer: Option<usize>,
        after: Duration,
        name: &str,
    ) -> Result<Conn, Error> {
        match self {
            Client::Single(client) => {
                let mut config = AsyncConnectionConfig::new()
                    .set_push_sender(push)
                    .set_connection_timeout(Some(after))
                    .set_response_timeout(None);
                if let Some(size) = pipeline_buffer {
                    config = config.set_pipeline_buffer_size(size);
                }
                let mut conn = bounded(
                    "connect",
                    after,
                    client.get_multiplexed_async_connection_with_config(&config),
                )
                .await?;
                let mut setname = redis::cmd("CLIENT");
                setname.arg("SETNAME").arg(name);
                bounded("connect", after, setname.query_async::<()>(&mut conn)).await?;
                Ok(Conn::Single(conn))
            }
            Client::Cluster(client) => {
                let config = redis::cluster::ClusterConfig::new()
                    .set_push_sender(push)
                    .set_connection_timeout(after);
                let conn = bounded(
                    "connect",
                    after,
                    client.get_async_connection_with_config(config),
                )
                .await?;
                Ok(Conn::Cluster(conn))
            }
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(conn) => conn.req_packed_command(cmd),
            Conn::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(conn) => conn.get_db(),
            Conn::Cluster(conn) => conn.get_db(),
        }
    }
}
