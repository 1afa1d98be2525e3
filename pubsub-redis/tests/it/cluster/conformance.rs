//! The core's backend conformance suite, across two nodes on the shared cluster.

use std::time::Duration;

use pubsub_core::testing::BrokerFactory;
use pubsub_redis::RedisBroker;

use super::{cluster_pair, urls};

/// Two cluster-mode nodes on the shared cluster, each pair on a namespace of its own.
///
/// Each case holds the heavy tests' lock once it makes nodes (as the single-server history
/// cases do): a case on the cluster loads both cores with the six servers, and must not run
/// beside the timing assertions of the flood tests.
#[derive(Debug, Default)]
pub(crate) struct ClusterNodes {
    heavy: tokio::sync::Mutex<Option<tokio::sync::MutexGuard<'static, ()>>>,
}

impl ClusterNodes {
    pub(crate) async fn hold_heavy(&self) {
        let mut heavy = self.heavy.lock().await;
        if heavy.is_none() {
            *heavy = Some(crate::heavy().await);
        }
    }
}

impl BrokerFactory for ClusterNodes {
    type Broker = RedisBroker;

    async fn pair(&self, capacity: usize) -> (RedisBroker, RedisBroker) {
        let urls = urls().await;
        self.hold_heavy().await;
        cluster_pair(&urls, capacity).await
    }

    fn quiet_period(&self) -> Duration {
        Duration::from_millis(150)
    }

    fn topic_count(&self, broker: &RedisBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}

pubsub_core::conformance_suite!(ClusterNodes::default());
