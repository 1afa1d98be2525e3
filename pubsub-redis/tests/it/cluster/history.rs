//! The core's history conformance cases on the shared cluster: the append script runs on the
//! topic's shard and publishes there with `SPUBLISH`, the reads go to the same shard.

use pubsub_core::Topic;
use pubsub_core::history::HistoryConfig;
use pubsub_core::testing::HistoryFactory;
use pubsub_redis::RedisBroker;

use super::conformance::ClusterNodes;
use super::{cluster_config, urls};
use crate::server::unique_namespace;

/// The conformance suite's nodes, with history (the same heavy-lock hold).
impl HistoryFactory for ClusterNodes {
    async fn history_pair(
        &self,
        capacity: usize,
        history: HistoryConfig,
    ) -> (RedisBroker, RedisBroker) {
        let urls = urls().await;
        self.hold_heavy().await;
        let mut config = cluster_config(&urls, &unique_namespace());
        config.capacity = capacity;
        config.history = history;
        let a = RedisBroker::connect(config.clone()).await.expect("node a");
        let b = RedisBroker::connect(config).await.expect("node b");
        (a, b)
    }

    /// As a restart of the topic's shard without persistence does: its keys are gone.
    async fn lose_history(
        &self,
        pair: (RedisBroker, RedisBroker),
        topic: &Topic,
        _capacity: usize,
        _config: HistoryConfig,
    ) -> (RedisBroker, RedisBroker) {
        let (stream, meta) = pair.0.config().history_keys(topic);
        let client = redis::cluster::ClusterClient::new(urls().await).expect("cluster client");
        let mut conn = client
            .get_async_connection()
            .await
            .expect("cluster connection");
        // One command for both keys: they share a slot.
        let deleted: u64 = redis::cmd("DEL")
            .arg(&stream)
            .arg(&meta)
            .query_async(&mut conn)
            .await
            .expect("DEL");
        assert_eq!(deleted, 2, "the topic had a stream and a meta hash");
        pair
    }
}

pubsub_core::history_suite!(ClusterNodes::default());
