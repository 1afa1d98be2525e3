//! The presence conformance suite on each backend: nodes on one in-memory broker, and nodes on
//! one real Redis in both channel modes.

use std::sync::OnceLock;

use pubsub_core::MemoryBroker;
use pubsub_presence::Presence;
use pubsub_presence::testing::PresenceFactory;
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};

use crate::redis::Server;

mod memory {
    use super::*;

    pub(crate) struct Memory(pub(crate) OnceLock<MemoryBroker>);

    impl PresenceFactory for Memory {
        async fn node(&self) -> Presence {
            let broker = self.0.get_or_init(MemoryBroker::new).clone();
            crate::harness::fast_node(broker).await
        }
    }

    // One broker per case: each expansion makes its own factory.
    pubsub_presence::presence_suite!(Memory(OnceLock::new()));
}

/// Nodes on their own connections to one server (started by the first node of a case).
pub(crate) struct OnRedis {
    mode: ChannelMode,
    server: OnceLock<Server>,
}

impl OnRedis {
    pub(crate) const fn new(mode: ChannelMode) -> Self {
        Self {
            mode,
            server: OnceLock::new(),
        }
    }
}

impl PresenceFactory for OnRedis {
    async fn node(&self) -> Presence {
        let url = self.server.get_or_init(Server::start).url();
        let mut config = RedisConfig::new(url);
        config.mode = self.mode;
        let broker = RedisBroker::connect(config).await.expect("connect");
        crate::harness::fast_node(broker).await
    }
}

mod redis_namespace {
    use super::*;
    pubsub_presence::presence_suite!(OnRedis::new(ChannelMode::Namespace));
}

mod redis_per_topic {
    use super::*;
    pubsub_presence::presence_suite!(OnRedis::new(ChannelMode::PerTopic));
}
