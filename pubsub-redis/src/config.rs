//! [`RedisConfig`] and [`ChannelMode`]: how a [`RedisBroker`](crate::RedisBroker) talks to Redis.

use std::time::Duration;

use pubsub_core::history::HistoryConfig;
use pubsub_core::{DEFAULT_CAPACITY, Topic};

use crate::error::Error;

/// Which Redis channels carry a namespace's messages.
///
/// Every node of one namespace must use the same mode.
///
/// ```
/// use pubsub_redis::{ChannelMode, RedisConfig};
/// let mut config = RedisConfig::new("redis://127.0.0.1:6379/");
/// assert_eq!(config.mode, ChannelMode::Namespace); // the default
/// config.mode = ChannelMode::PerTopic;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelMode {
    /// One channel per namespace (`<namespace>`); every node receives every message of the
    /// namespace and filters locally. `subscribe` needs no round trip. The faster mode while most
    /// nodes are interested in most topics (a few nodes behind a load balancer).
    #[default]
    Namespace,
    /// One channel per topic (`<namespace>:<topic>`); a node SUBSCRIBEs a topic's channel while it
    /// has at least one local subscriber to it, so it receives only topics it needs. `subscribe`
    /// returns after Redis confirmed the channel subscription. For sparse interest across many
    /// nodes; costs Redis about 200 bytes per (node, subscribed topic).
    PerTopic,
    /// A Redis Cluster (Redis 7 or later), reached through [`RedisConfig::url`] and
    /// [`RedisConfig::seeds`]: one *sharded* channel per topic (`<namespace>:c{:<topic>}`),
    /// written with `SPUBLISH` to the shard that owns the channel's hash slot and read with
    /// `SSUBSCRIBE` on that shard, reference counted as in [`PerTopic`](Self::PerTopic);
    /// `subscribe` returns after the shard confirmed the channel. The channel shares its hash
    /// tag `{:<topic>}` with the topic's history keys, so a topic's messages and history live
    /// on one shard. Each message costs only its own shard, so throughput grows with the
    /// shards, where a plain `PUBLISH` on a cluster is copied to every node.
    ///
    /// ```
    /// use pubsub_redis::{ChannelMode, RedisConfig};
    /// let config = RedisConfig::cluster(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"]);
    /// assert_eq!(config.mode, ChannelMode::Cluster);
    /// assert_eq!(config.channel_for(&pubsub_core::Topic::new("docs:doc:1")?), "pubsub:c{:docs:doc:1}");
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    Cluster,
}

/// Settings of a [`RedisBroker`](crate::RedisBroker): a Redis URL and a few knobs with sensible
/// defaults.
///
/// ```
/// use std::time::Duration;
/// use pubsub_redis::{ChannelMode, RedisConfig};
///
/// let mut config = RedisConfig::new("redis://127.0.0.1:6379/");
/// config.namespace = "myapp".to_owned();
/// config.mode = ChannelMode::PerTopic;
/// config.publish_timeout = Duration::from_millis(250);
/// assert_eq!(config.namespace_channel(), "myapp");
/// assert_eq!(config.topic_channel(&pubsub_core::Topic::new("staff:teams")?), "myapp:staff:teams");
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisConfig {
    /// The server, as a `redis://[user:password@]host:port[/db]` URL; in
    /// [`ChannelMode::Cluster`], the first seed node of the cluster.
    pub url: String,
    /// [`ChannelMode::Cluster`] only: more seed nodes besides [`url`](Self::url) (the client
    /// learns the whole cluster from any one that answers). Default: none.
    pub seeds: Vec<String>,
    /// [`ChannelMode::Cluster`] only: the address to connect to (`"host:port"`) for a node that
    /// announces another one in `CLUSTER SLOTS` (also `"host:port"`): a cluster behind NAT, in
    /// containers, or announcing hostnames only its own network resolves. A node not in the map
    /// is reached at the address it announces. Default: none.
    ///
    /// ```
    /// use pubsub_redis::RedisConfig;
    /// let mut config = RedisConfig::cluster(["redis://127.0.0.1:7000/"]);
    /// config.cluster_addresses.insert("redis-0.internal:6379".into(), "127.0.0.1:7000".into());
    /// ```
    pub cluster_addresses: std::collections::HashMap<String, String>,
    /// The prefix of every channel name; nodes sharing a namespace (and a server) form one
    /// logical broker. Default `"pubsub"`. Must be non-empty, without whitespace.
    pub namespace: String,
    /// Which channels carry messages. Default [`ChannelMode::Namespace`].
    pub mode: ChannelMode,
    /// Messages each local subscription buffers before the oldest is dropped and reported as lag.
    pub capacity: usize,
    /// Local subscribers at which a topic switches to a shared ring on this node (see
    /// `pubsub_core::MemoryBrokerBuilder::hot_threshold`). Default
    /// [`DEFAULT_HOT_THRESHOLD`](pubsub_core::DEFAULT_HOT_THRESHOLD).
    pub hot_threshold: usize,
    /// How long `publish` waits for Redis before it fails. Default 1 s.
    pub publish_timeout: Duration,
    /// How long `subscribe` waits for Redis to confirm a channel subscription (per-topic and
    /// cluster mode) before it fails. Default 2 s.
    pub subscribe_timeout: Duration,
    /// How long one connection attempt may take. Default 1 s.
    pub connect_timeout: Duration,
    /// How often the subscriber connection is sent a `PING`, to detect half-open connections
    /// (one server), or the cluster's slots are read, to follow a failover ([`ChannelMode::Cluster`]).
    /// On a cluster (Linux) it is also the TCP keepalive's idle time (whole seconds, at least
    /// one), and `ping_interval + 3 x ping_timeout` the `TCP_USER_TIMEOUT` after which the kernel
    /// drops a subscriber connection whose peer acknowledges nothing (cut on the network).
    /// Default 1 s.
    pub ping_interval: Duration,
    /// How long a PING may take before the connection is deemed dead and replaced; on a cluster
    /// also the keepalive probes' interval. Default 1 s.
    pub ping_timeout: Duration,
    /// The first delay between reconnection attempts after one failed; it doubles on each
    /// failure up to [`reconnect_max_delay`](Self::reconnect_max_delay). Default 20 ms. The first
    /// attempt after a connection is lost is immediate.
    pub reconnect_min_delay: Duration,
    /// The longest delay between reconnection attempts. Default 50 ms: an attempt against a
    /// server that refuses connections costs one round trip, and a long delay would leave the
    /// node deaf (and its publishes failing) that long after the server is back.
    pub reconnect_max_delay: Duration,
    /// The largest envelope sent or accepted, in bytes; larger ones are refused on publish and
    /// skipped (and counted) on receipt. Default 1 MiB.
    pub max_message_bytes: usize,
    /// A node forgets its sequence counter for a topic it has not published to for this long
    /// (the next envelope on that topic starts a new stream at 1). Default 10 min.
    pub sequence_idle: Duration,
    /// The most memory, in bytes, the receiving side spends on remembering other nodes'
    /// sequence numbers (about 150 bytes plus the topic's length per (node, topic) stream).
    /// When full, the streams not seen for longest are forgotten. Default 8 MiB.
    pub sequence_memory: usize,
    /// The most senders remembered per topic; when another one appears, the oldest is
    /// forgotten. Default 64.
    pub sequence_nodes_per_topic: usize,
    /// Gap notices for holes in remote nodes' sequence numbers are sent by a background task,
    /// the first one at once, then at most once per this interval, each topic's subscribers
    /// once per interval however many holes there were. Default 50 ms.
    pub gap_interval: Duration,
    /// The topics that keep history in Redis (see the crate docs, "History and recovery"):
    /// their messages get positions, `subscribe_from` recovers from them, and a reconnect
    /// recovers their subscribers instead of giving them a gap notice. Default: none, which
    /// sends and costs exactly what a broker without history does. Every node of one
    /// namespace should use the same configuration. With history, the namespace must not
    /// contain `{` or `}` (see [`history_keys`](Self::history_keys)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy};
    /// use pubsub_redis::RedisConfig;
    ///
    /// let mut config = RedisConfig::new("redis://127.0.0.1:6379/");
    /// assert!(config.history.is_empty());
    /// config.history = HistoryConfig::new()
    ///     .prefix("docs:", HistoryPolicy::new(200, Duration::from_secs(300)));
    /// assert_eq!(config.history_keys(&pubsub_core::Topic::new("docs:doc:1")?),
    ///     ("pubsub:h{:docs:doc:1}:s".to_owned(), "pubsub:h{:docs:doc:1}:m".to_owned()));
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub history: HistoryConfig,
}

impl RedisConfig {
    /// A configuration for the server at `url` with every other setting at its default.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            seeds: Vec::new(),
            cluster_addresses: std::collections::HashMap::new(),
            namespace: "pubsub".to_owned(),
            mode: ChannelMode::Namespace,
            capacity: DEFAULT_CAPACITY,
            hot_threshold: pubsub_core::DEFAULT_HOT_THRESHOLD,
            publish_timeout: Duration::from_secs(1),
            subscribe_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
            ping_interval: Duration::from_secs(1),
            ping_timeout: Duration::from_secs(1),
            reconnect_min_delay: Duration::from_millis(20),
            reconnect_max_delay: Duration::from_millis(50),
            max_message_bytes: 1 << 20,
            sequence_idle: Duration::from_secs(600),
            sequence_memory: 8 << 20,
            sequence_nodes_per_topic: 64,
            gap_interval: Duration::from_millis(50),
            history: HistoryConfig::new(),
        }
    }

    /// A configuration for the Redis Cluster reached through `seeds` (at least one), in
    /// [`ChannelMode::Cluster`], with every other setting at its default. An empty `seeds` is
    /// refused when connecting.
    ///
    /// ```
    /// use pubsub_redis::{ChannelMode, RedisConfig};
    /// let config = RedisConfig::cluster(["redis://127.0.0.1:7000/", "redis://127.0.0.1:7001/"]);
    /// assert_eq!((config.url.as_str(), config.seeds.len()), ("redis://127.0.0.1:7000/", 1));
    /// ```
    pub fn cluster<S: Into<String>>(seeds: impl IntoIterator<Item = S>) -> Self {
        let mut seeds = seeds.into_iter().map(Into::into);
        let mut config = RedisConfig::new(seeds.next().unwrap_or_default());
        config.seeds = seeds.collect();
        config.mode = ChannelMode::Cluster;
        config
    }

    /// Every seed node of [`ChannelMode::Cluster`]: [`url`](Self::url), then
    /// [`seeds`](Self::seeds).
    pub(crate) fn seed_urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.url.as_str()).chain(self.seeds.iter().map(String::as_str))
    }

    /// The Redis keys of `topic`'s history: its stream (`<namespace>:h{:<topic>}:s`, the
    /// envelopes by offset) and its meta hash (`<namespace>:h{:<topic>}:m`: epoch and latest
    /// offset). Both keys are `<namespace>:h{:<topic>}` plus a suffix without braces, so they
    /// share one Redis Cluster hash slot even when the topic holds `{` or `}`: Redis hashes
    /// the text between a key's first `{` and the first `}` after it, if not empty; the first
    /// `{` is ours (a namespace with braces is refused when history is configured), and the
    /// text after it starts with `:`, so it is never empty and lies in the shared part.
    pub fn history_keys(&self, topic: &Topic) -> (String, String) {
        let key = |suffix| self.history_key(topic, suffix).to_string();
        (key('s'), key('m'))
    }

    /// One of [`history_keys`](Self::history_keys) (`suffix` `s` or `m`), written where it is
    /// needed (the append script's command takes it with no string of its own).
    pub(crate) fn history_key<'a>(&'a self, topic: &'a Topic, suffix: char) -> HistoryKey<'a> {
        HistoryKey {
            namespace: &self.namespace,
            topic,
            suffix,
        }
    }

    /// The one channel of [`ChannelMode::Namespace`]: the namespace itself.
    pub fn namespace_channel(&self) -> String {
        self.namespace.clone()
    }

    /// The channel of `topic` in [`ChannelMode::PerTopic`]: `<namespace>:<topic>`.
    pub fn topic_channel(&self, topic: &Topic) -> String {
        format!("{}:{}", self.namespace, topic.as_str())
    }

    /// The sharded channel of `topic` in [`ChannelMode::Cluster`]: `<namespace>:c{:<topic>}`,
    /// whose hash tag `{:<topic>}` is that of the topic's
    /// [`history_keys`](Self::history_keys), so both hash to one slot, hence one shard.
    ///
    /// ```
    /// # use pubsub_redis::RedisConfig;
    /// let config = RedisConfig::cluster(["redis://127.0.0.1:7000/"]);
    /// let topic = pubsub_core::Topic::new("docs:doc:1")?;
    /// assert_eq!(config.cluster_channel(&topic), "pubsub:c{:docs:doc:1}");
    /// assert_eq!(config.history_keys(&topic).0, "pubsub:h{:docs:doc:1}:s"); // same hash tag
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn cluster_channel(&self, topic: &Topic) -> String {
        format!("{}:c{{:{}}}", self.namespace, topic.as_str())
    }

    /// The channel a message to `topic` is published on, in this configuration's mode.
    ///
    /// ```
    /// # use pubsub_redis::RedisConfig;
    /// let config = RedisConfig::new("redis://127.0.0.1/");
    /// assert_eq!(config.channel_for(&pubsub_core::Topic::new("a:b")?), "pubsub");
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn channel_for(&self, topic: &Topic) -> String {
        match self.mode {
            ChannelMode::Namespace => self.namespace_channel(),
            ChannelMode::PerTopic => self.topic_channel(topic),
            ChannelMode::Cluster => self.cluster_channel(topic),
        }
    }

    /// The command that publishes on [`channel_for`](Self::channel_for): `SPUBLISH` in
    /// [`ChannelMode::Cluster`], else `PUBLISH`.
    pub(crate) fn publish_command(&self) -> &'static str {
        match self.mode {
            ChannelMode::Cluster => "SPUBLISH",
            ChannelMode::Namespace | ChannelMode::PerTopic => "PUBLISH",
        }
    }

    /// [`channel_for`](Self::channel_for) written as the next argument of `cmd`, with no
    /// string of its own (the publish path writes one per message).
    pub(crate) fn write_channel_arg(&self, topic: &Topic, cmd: &mut redis::Cmd) {
        use redis::RedisWrite as _;
        use std::io::Write as _;
        let mut arg = cmd.writer_for_next_arg();
        // Infallible: the writer appends to the command's buffer.
        let _ = arg.write_all(self.namespace.as_bytes());
        let _ = match self.mode {
            ChannelMode::Namespace => Ok(()),
            ChannelMode::PerTopic => arg
                .write_all(b":")
                .and_then(|()| arg.write_all(topic.as_str().as_bytes())),
            ChannelMode::Cluster => arg
                .write_all(b":c{:")
                .and_then(|()| arg.write_all(topic.as_str().as_bytes()))
                .and_then(|()| arg.write_all(b"}")),
        };
    }

    /// The topic part of a per-topic or cluster channel name, if `channel` belongs to this
    /// namespace.
    pub(crate) fn topic_of_channel<'a>(&self, channel: &'a str) -> Option<&'a str> {
        let rest = channel
            .strip_prefix(self.namespace.as_str())
            .and_then(|rest| rest.strip_prefix(':'))?;
        match self.mode {
            ChannelMode::Cluster => rest.strip_prefix("c{:").and_then(|t| t.strip_suffix('}')),
            ChannelMode::Namespace | ChannelMode::PerTopic => Some(rest),
        }
    }

    /// Checks the settings that can be wrong.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |reason: &str| Err(Error::Config(reason.to_owned()));
        if self.namespace.is_empty() {
            return bad("namespace is empty");
        }
        if self
            .namespace
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return bad("namespace has whitespace or a control character");
        }
        if self.publish_timeout.is_zero()
            || self.subscribe_timeout.is_zero()
            || self.connect_timeout.is_zero()
            || self.ping_timeout.is_zero()
            || self.ping_interval.is_zero()
            || self.gap_interval.is_zero()
        {
            return bad("timeouts and the ping and gap intervals must be longer than zero");
        }
        if self.mode == ChannelMode::Cluster && self.namespace.contains(['{', '}']) {
            return bad(
                "in cluster mode, the namespace must not contain `{` or `}` (it would break the channels' hash tags)",
            );
        }
        if self.mode == ChannelMode::Cluster && self.seed_urls().all(str::is_empty) {
            return bad("cluster mode needs at least one seed node");
        }
        if !self.history.is_empty() && self.namespace.contains(['{', '}']) {
            return bad(
                "with history configured, the namespace must not contain `{` or `}` (it would break the keys' hash tags)",
            );
        }
        for (announced, reached) in &self.cluster_addresses {
            for address in [announced, reached] {
                if redis::cluster::NodeAddress::try_from(address.as_str()).is_err() {
                    return Err(Error::Config(format!(
                        "cluster_addresses: {address:?} is not a \"host:port\" address"
                    )));
                }
            }
        }
        if self.max_message_bytes < 256 {
            return bad("max_message_bytes must be at least 256");
        }
        Ok(())
    }
}

/// A history key (see [`RedisConfig::history_key`]): `<namespace>:h{:<topic>}:<suffix>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HistoryKey<'a> {
    namespace: &'a str,
    topic: &'a Topic,
    suffix: char,
}

impl std::fmt::Display for HistoryKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:h{{:{}}}:{}",
            self.namespace,
            self.topic.as_str(),
            self.suffix
        )
    }
}
