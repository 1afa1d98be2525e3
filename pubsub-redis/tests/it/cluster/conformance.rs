//! The core's backend conformance suite, across two nodes on the shared cluster.

use std::time::Duration;

use pubsub_core::testing::BrokerFactory;
use pubsub_redis::RedisBroker;

use super::cluster_pair;
use crate::cluster_server::shared as shared_cluster;

/// Two cluster-mode nodes on the shared cluster, each pair on a namespace of its own.
#[derive(Debug)]
pub(crate) struct ClusterNodes;

impl BrokerFactory for ClusterNodes {
    type Broker = RedisBroker;

    async fn pair(&self, capacity: usize) -> (RedisBroker, RedisBroker) {
        let urls = tokio::task::spawn_blocking(|| shared_cluster().urls())
            .await
            .expect("the cluster");
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
