//! [`RedisBroker`]: the [`Broker`] of many nodes, on Redis pub/sub.

use std::fmt;
use std::sync::Arc;

use pubsub_core::backend::Resume;
use pubsub_core::history::{HistoryPolicy, Recovery, Since, Unrecoverable};
use pubsub_core::{Broker, MemoryBroker, Message, Subscription, Topic, async_trait};
use redis::{IntoConnectionInfo, ProtocolVersion};
use tokio::task::JoinHandle;

use crate::config::{ChannelMode, RedisConfig};
use crate::conn::{Client, Side};
use crate::envelope::Tail;
use crate::error::Error;
use crate::interest::Interest;
use crate::link::Link;
use crate::publisher::Publisher;
use crate::shared::Shared;
use crate::stats::RedisStats;

/// A [`Broker`] whose subscribers on every node (every process connected to one Redis with one
/// namespace) receive what any node publishes.
///
/// Local subscribers are served by an in-memory [`MemoryBroker`] registry; Redis carries one
/// copy of each message per node. Cloning is cheap and gives another handle to the same node;
/// when every handle is dropped, the node's connections close and its subscriptions end.
///
/// ```no_run
/// use std::sync::Arc;
/// use pubsub_core::{Broker, BrokerExt, Delivery, Topic, TypedTopic};
/// use pubsub_redis::{RedisBroker, RedisConfig};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)]
/// # #[serde(tag = "event", content = "payload")] enum Doc { #[serde(rename = "saved")] Saved { id: u32 } }
/// # impl pubsub_core::Event for Doc { const DOMAIN: &'static str = "docs"; fn name(&self) -> &'static str { "saved" } }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Was: let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new());
/// let broker: Arc<dyn Broker> =
///     Arc::new(RedisBroker::connect(RedisConfig::new("redis://127.0.0.1:6379/")).await?);
///
/// let topic = TypedTopic::<Doc>::new(Topic::new("docs:doc:1")?);
/// let mut screen = broker.subscribe_events(&topic).await?;
/// broker.publish_event(&topic, Doc::Saved { id: 1 }).await?; // reaches every node
/// match screen.recv().await {
///     Some(Delivery::Message(doc)) => println!("refresh: {doc:?}"),
///     Some(_notice) => println!("messages may have been missed: reload"),
///     None => {}
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBroker {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    interest: Option<Arc<Interest>>,
    publisher: Publisher,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl RedisBroker {
    /// Connects a node: opens the subscriber and publisher connections, subscribes the
    /// namespace channel (namespace mode), and starts the background tasks on the current tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] or [`Error::InvalidUrl`] for a bad configuration; [`Error::Timeout`]
    /// or [`Error::Redis`] when the server cannot be reached. Later outages are not errors
    /// here: the node reconnects by itself.
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime.
    ///
    /// ```no_run
    /// # use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};
    /// # #[tokio::main] async fn main() -> Result<(), pubsub_redis::Error> {
    /// let mut config = RedisConfig::new("redis://127.0.0.1:6379/");
    /// config.mode = ChannelMode::PerTopic;
    /// let node = RedisBroker::connect(config).await?;
    /// println!("node {} connected", node.node_id());
    /// # Ok(()) }
    /// ```
    pub async fn connect(config: RedisConfig) -> Result<Self, Error> {
        config.validate()?;
        let subscriber = client(&config, Side::Subscriber)?;
        let client = client(&config, Side::Publisher)?;
        let interest = (config.mode != ChannelMode::Namespace).then(Arc::<Interest>::default);
        let observer = interest
            .clone()
            .map(|i| i as Arc<dyn pubsub_core::backend::TopicObserver>);
        let shared = Arc::new(Shared::new(config, client.clone(), observer));

        let mut link = Link::new(Arc::clone(&shared), subscriber, interest.clone());
        link.connect().await?;
        let conn = Publisher::connect(&client, &shared).await?;
        let publisher = Publisher::new(Arc::clone(&shared), client, conn);
        let tasks = vec![
            tokio::spawn(link.run()),
            tokio::spawn(crate::gaps::run(Arc::clone(&shared))),
        ];
        tracing::info!(
            node = shared.node_id.as_str(),
            namespace = shared.config.namespace.as_str(),
            mode = ?shared.config.mode,
            "redis broker connected"
        );
        Ok(RedisBroker {
            inner: Arc::new(Inner {
                shared,
                interest,
                publisher,
                tasks,
            }),
        })
    }

    /// This node's id, written into every envelope it sends (a UUID made at connect).
    pub fn node_id(&self) -> &str {
        &self.inner.shared.node_id
    }

    /// The configuration this node runs with.
    pub fn config(&self) -> &RedisConfig {
        &self.inner.shared.config
    }

    /// The local registry that serves this node's subscribers (topic and subscriber counts).
    pub fn local(&self) -> &MemoryBroker {
        self.inner.shared.local()
    }

    /// Topics with at least one subscriber on this node.
    pub fn topic_count(&self) -> usize {
        self.inner.shared.local().topic_count()
    }

    /// A snapshot of the counters: local deliveries, sends, receipts, skipped bad input,
    /// sequence holes, reconnects, and the memory spent on remote nodes' sequence numbers.
    pub fn stats(&self) -> RedisStats {
        self.inner.shared.stats()
    }

    async fn confirmed(&self, topic: &Topic) -> Result<(), Error> {
        match &self.inner.interest {
            Some(interest) => {
                interest
                    .confirmed(topic, self.inner.shared.config.subscribe_timeout)
                    .await
            }
            None => Ok(()),
        }
    }

    async fn send(&self, topic: &Topic, tail: Tail) -> Result<(), Error> {
        self.inner.publisher.send(topic, &tail).await
    }

    /// Finishes a subscription started from `since` on `topic` (already confirmed): on a topic
    /// with history, reads the topic's history from Redis, replays what `since` asks for, and
    /// starts the live stream right after the latest message Redis held at the read, whatever
    /// the outcome. So a message published before the subscription and still on its way to
    /// this node is not delivered, and positions start where every node's do.
    ///
    /// Redis is asked even when the node's copy of the history could answer: that copy cannot
    /// know whether it missed messages while nobody here listened (per-topic mode follows a
    /// topic only while it has local subscribers) or while the connection was down, and a
    /// recovery must never look complete when it is not. The copy serves the lag recoveries,
    /// where it is the very stream the subscription reads.
    async fn start(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
        resume: Resume,
    ) -> Recovery {
        let shared = &self.inner.shared;
        let done = match resume {
            Resume::Done(recovery) => recovery,
            Resume::Fetch(_) => Recovery::Live,
        };
        let Some(policy) = shared.history_policy(topic) else {
            return done;
        };
        let from = match since {
            Since::After(after) => crate::history::From::Offset(after.offset + 1),
            // A live start needs the position only, not the latest envelope.
            Since::Now => crate::history::From::Position,
            Since::Latest => crate::history::From::Latest,
        };
        let snapshot = match self.read(topic, from, &policy).await {
            Ok(snapshot) => snapshot,
            Err(_) if since == Since::Now => return Recovery::Live,
            Err(why) => return Recovery::Unrecoverable(why),
        };
        let latest = snapshot.latest_position();
        if let Some(latest) = latest {
            shared.note_start(topic, latest);
        }
        let (after, fetched) = match since {
            Since::Now => (latest, Ok(Vec::new())),
            Since::Latest => {
                let messages = snapshot.latest(&policy);
                (
                    if messages.is_empty() { latest } else { None },
                    Ok(messages),
                )
            }
            Since::After(after) => (Some(after), snapshot.after(after, &policy)),
        };
        match fetched {
            Ok(messages) => {
                let recovery = shared.replay(subscription, topic, after, Ok(messages));
                if since == Since::Now {
                    Recovery::Live
                } else {
                    recovery
                }
            }
            Err(why) => {
                // Live from Redis's latest message on.
                if latest.is_some() {
                    shared.replay(subscription, topic, latest, Ok(Vec::new()));
                }
                Recovery::Unrecoverable(why)
            }
        }
    }

    /// Reads `topic`'s history from Redis, bounded by [`RedisConfig::subscribe_timeout`].
    async fn read(
        &self,
        topic: &Topic,
        from: crate::history::From,
        policy: &HistoryPolicy,
    ) -> Result<crate::history::Snapshot, Unrecoverable> {
        let shared = &self.inner.shared;
        let timeout = shared.config.subscribe_timeout;
        let read = async {
            let slot = self.inner.publisher.topic_slot(topic);
            let (mut conn, _slots, _breaker) = self.inner.publisher.connection(slot).await?;
            let read = crate::history::read(&mut conn, shared, topic, from, policy);
            crate::error::bounded("read history", timeout, read).await
        };
        read.await
            .map_err(|error| unavailable(shared, topic, &error))
    }
}

/// The client for `config`'s `side`: one server at [`RedisConfig::url`], or, in
/// [`ChannelMode::Cluster`], the cluster behind every seed node (with the side's TCP settings:
/// [`cluster_tcp`](crate::conn::cluster_tcp)); RESP3 either way (pub/sub messages arrive as
/// pushes).
fn client(config: &RedisConfig, side: Side) -> Result<Client, Error> {
    let invalid = |e: redis::RedisError| Error::InvalidUrl {
        reason: e.to_string(),
    };
    if config.mode == ChannelMode::Cluster {
        let seeds = config
            .seed_urls()
            .filter(|url| !url.is_empty())
            .map(IntoConnectionInfo::into_connection_info)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let mut builder = redis::cluster::ClusterClientBuilder::new(seeds)
            .use_protocol(ProtocolVersion::RESP3)
            .tcp_settings(crate::conn::cluster_tcp(config, side));
        if !config.cluster_addresses.is_empty() {
            let address = |a: &String| redis::cluster::NodeAddress::try_from(a.as_str());
            let map = config
                .cluster_addresses
                .iter()
                .map(|(announced, reached)| Ok((address(announced)?, address(reached)?)))
                .collect::<Result<_, redis::RedisError>>()
                .map_err(invalid)?;
            builder = builder.node_address_map(map);
        }
        let client = builder.build().map_err(invalid)?;
        return Ok(Client::Cluster(Box::new(client)));
    }
    let info = config
        .url
        .as_str()
        .into_connection_info()
        .map_err(invalid)?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    let client = redis::Client::open(info.set_redis_settings(settings)).map_err(invalid)?;
    Ok(Client::Single(client))
}

/// Logs a history read that failed (at most a line a second); the recovery is refused as
/// unavailable.
fn unavailable(shared: &Shared, topic: &Topic, error: &Error) -> Unrecoverable {
    if let Some(held_back) = shared.history_log.allow() {
        tracing::warn!(
            %error,
            held_back,
            topic = topic.as_str(),
            "reading a topic's history from redis failed; the subscription starts live"
        );
    }
    Unrecoverable::Unavailable
}

#[async_trait]
impl Broker for RedisBroker {
    /// Delivers to this node's subscribers at once (they share the event value; the origin
    /// subscription is skipped), then sends one envelope to Redis for the other nodes, waiting
    /// at most [`RedisConfig::publish_timeout`].
    ///
    /// On a topic with history ([`RedisConfig::history`]), one script appends the envelope to
    /// the topic's history and publishes it, atomically, and this node's subscribers get it
    /// like every other node's do, from Redis, so everyone sees the topic's offsets in one
    /// order. A publish that fails is then delivered nowhere.
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), pubsub_core::Error> {
        let shared = &self.inner.shared;
        let max = shared.config.max_message_bytes;
        let policy = shared.history_policy(topic);
        let tail = Tail::new(topic, &message, max, policy.is_some())?;
        if let Some(policy) = policy {
            self.inner.publisher.append(topic, &tail, &policy).await?;
            return Ok(());
        }
        shared.deliver(topic, &message);
        Ok(self.send(topic, tail).await?)
    }

    /// Namespace mode: effective at once (the namespace channel is always subscribed).
    /// Per-topic mode: returns after Redis confirmed the topic's channel, at most
    /// [`RedisConfig::subscribe_timeout`] later.
    ///
    /// On a topic with history, also reads the topic's latest position from Redis (one round
    /// trip, bounded by the same timeout), so the subscription starts right after the latest
    /// message published anywhere before it returned.
    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, pubsub_core::Error> {
        if self.inner.shared.history_policy(topic).is_some() {
            return Ok(self.subscribe_from(topic, Since::Now).await?.0);
        }
        let subscription = self.inner.shared.subscribe_now(topic)?;
        self.confirmed(topic).await?;
        Ok(subscription)
    }

    async fn add_topic(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
    ) -> Result<(), pubsub_core::Error> {
        if subscription.contains(topic) {
            return Ok(());
        }
        let shared = &self.inner.shared;
        if shared.history_policy(topic).is_some() {
            return self
                .add_topic_from(subscription, topic, Since::Now)
                .await
                .map(drop);
        }
        shared.add_topic_now(subscription, topic)?;
        if let Err(error) = self.confirmed(topic).await {
            shared.remove_topic(subscription, topic);
            return Err(error.into());
        }
        Ok(())
    }

    /// As [`subscribe`](Broker::subscribe), then, on a topic with history, reads what `since`
    /// asks for from Redis (after the channel is confirmed, so the history read and the live
    /// stream overlap rather than leave a hole) and replays it before the live messages. A
    /// read that fails or takes longer than [`RedisConfig::subscribe_timeout`] answers
    /// [`Unrecoverable::Unavailable`] (logged); the subscription is live either way.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use pubsub_core::history::{HistoryConfig, HistoryPolicy, Recovery, Since};
    /// use pubsub_core::{Broker, Topic};
    /// use pubsub_redis::{RedisBroker, RedisConfig};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut config = RedisConfig::new("redis://127.0.0.1:6379/");
    /// config.history = HistoryConfig::new()
    ///     .prefix("docs:", HistoryPolicy::new(200, Duration::from_secs(300)));
    /// let node = RedisBroker::connect(config).await?;
    /// let doc = Topic::new("docs:doc:1")?;
    /// # let last_seen: pubsub_core::history::Position = "1.0000000000000001".parse()?;
    /// // `last_seen`: the position of the last message a screen got (an SSE Last-Event-ID).
    /// let (mut screen, recovery) = node.subscribe_from(&doc, Since::After(last_seen)).await?;
    /// if !recovery.is_recovered() {
    ///     // reload the screen from the database
    /// }
    /// # let _ = screen.recv().await; Ok(()) }
    /// ```
    async fn subscribe_from(
        &self,
        topic: &Topic,
        since: Since,
    ) -> Result<(Subscription, Recovery), pubsub_core::Error> {
        let (mut subscription, resume) = self.inner.shared.subscribe_from_now(topic, since)?;
        self.confirmed(topic).await?;
        let recovery = self.start(&mut subscription, topic, since, resume).await;
        Ok((subscription, recovery))
    }

    /// As [`add_topic`](Broker::add_topic), then recovers `topic` from `since` as
    /// [`subscribe_from`](Broker::subscribe_from) does. A topic the subscription already holds
    /// is left as it is ([`Recovery::Live`]).
    async fn add_topic_from(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<Recovery, pubsub_core::Error> {
        if subscription.contains(topic) {
            return Ok(Recovery::Live);
        }
        let shared = &self.inner.shared;
        let (new, resume) = shared.add_topic_from_now(subscription, topic, since)?;
        if !new {
            return Ok(Recovery::Live);
        }
        if let Err(error) = self.confirmed(topic).await {
            shared.remove_topic(subscription, topic);
            return Err(error.into());
        }
        Ok(self.start(subscription, topic, since, resume).await)
    }

    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        self.inner.shared.remove_topic(subscription, topic)
    }
}

impl fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.inner.shared;
        f.debug_struct("RedisBroker")
            .field("node_id", &shared.node_id)
            .field("namespace", &shared.config.namespace)
            .field("mode", &shared.config.mode)
            .finish_non_exhaustive()
    }
}
