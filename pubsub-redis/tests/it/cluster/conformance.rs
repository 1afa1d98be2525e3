//! The core's backend conformance suite, across two nodes on the shared cluster.

use std::time::Duration;

use pubsub_core::testing::BrokerFactory;
use pubsub_redis::RedisBroker;

use super::{cluster_pair, urls};

/// Two cluster-mode nodes on the shared cluster, each pair on a namespace of its own.
#[derive(Debug)]
pub(crate) struct ClusterNodes;

impl BrokerFactory for ClusterNodes {
    type Broker = RedisBroker;

    async fn pair(&self, capacity: usize) -> (RedisBroker, RedisBroker) {
        let urls = urls().await;
        cluster_pair(&urls, capacity).await
    }

    fn quiet_period(&self) -> Duration {
        Duration::from_millis(150)
    }

    fn topic_count(&self, broker: &RedisBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}

pubsub_core::conformance_suite!(ClusterNodes);
