//! [`RedisBroker`]: the [`Broker`] of many nodes, on Redis pub/sub.

use std::fmt;
use std::sync::Arc;

use pubsub_core::{Broker, MemoryBroker, Message, Subscription, Topic, async_trait};
use redis::{IntoConnectionInfo, ProtocolVersion};
use tokio::task::JoinHandle;

use crate::config::{ChannelMode, RedisConfig};
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
        let info = config
            .url
            .as_str()
            .into_connection_info()
            .map_err(|e| Error::InvalidUrl {
                reason: e.to_string(),
            })?;
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(settings)).map_err(|e| {
            Error::InvalidUrl {
                reason: e.to_string(),
            }
        })?;

        let interest = (config.mode == ChannelMode::PerTopic).then(Arc::<Interest>::default);
        let observer = interest
            .clone()
            .map(|i| i as Arc<dyn pubsub_core::backend::TopicObserver>);
        let shared = Arc::new(Shared::new(config, client.clone(), observer));

        let mut link = Link::new(Arc::clone(&shared), client.clone(), interest.clone());
        link.connect().await?;
        let conn =
            Publisher::connect(&client, &shared.node_id, shared.config.connect_timeout).await?;
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
}

#[async_trait]
impl Broker for RedisBroker {
    /// Delivers to this node's subscribers at once (they share the event value; the origin
    /// subscription is skipped), then sends one envelope to Redis for the other nodes, waiting
    /// at most [`RedisConfig::publish_timeout`].
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), pubsub_core::Error> {
        let shared = &self.inner.shared;
        let tail = Tail::new(topic, &message, shared.config.max_message_bytes)?;
        shared.deliver(topic, &message);
        Ok(self.send(topic, tail).await?)
    }

    /// Namespace mode: effective at once (the namespace channel is always subscribed).
    /// Per-topic mode: returns after Redis confirmed the topic's channel, at most
    /// [`RedisConfig::subscribe_timeout`] later.
    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, pubsub_core::Error> {
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
        shared.add_topic_now(subscription, topic)?;
        if let Err(error) = self.confirmed(topic).await {
            shared.remove_topic(subscription, topic);
            return Err(error.into());
        }
        Ok(())
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
