//! The core's backend conformance suite, run across two nodes on one redis-server, in both
//! channel modes.

use std::time::Duration;

use pubsub_core::testing::BrokerFactory;
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{Target, pair};

/// Two `RedisBroker` nodes on one server; the server lives as long as the factory (one case).
#[derive(Debug)]
pub(crate) struct Nodes {
    mode: ChannelMode,
    target: Target,
}

impl Nodes {
    pub(crate) fn new(mode: ChannelMode) -> Self {
        Nodes {
            mode,
            target: Target::new(),
        }
    }
}

impl BrokerFactory for Nodes {
    type Broker = RedisBroker;

    async fn pair(&self, capacity: usize) -> (RedisBroker, RedisBroker) {
        pair(self.target.url(), self.mode, capacity).await
    }

    fn quiet_period(&self) -> Duration {
        Duration::from_millis(150)
    }

    fn topic_count(&self, broker: &RedisBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}

mod namespace {
    pubsub_core::conformance_suite!(super::Nodes::new(pubsub_redis::ChannelMode::Namespace));
}

mod per_topic {
    pubsub_core::conformance_suite!(super::Nodes::new(pubsub_redis::ChannelMode::PerTopic));
}
