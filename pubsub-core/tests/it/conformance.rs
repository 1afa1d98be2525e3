//! The backend conformance suite, run against the in-memory broker.

use pubsub_core::MemoryBroker;
use pubsub_core::history::HistoryConfig;
use pubsub_core::testing::{BrokerFactory, HistoryFactory};

#[derive(Debug)]
struct Memory;

impl BrokerFactory for Memory {
    type Broker = MemoryBroker;

    async fn pair(&self, capacity: usize) -> (MemoryBroker, MemoryBroker) {
        let broker = MemoryBroker::with_capacity(capacity);
        (broker.clone(), broker)
    }

    fn topic_count(&self, broker: &MemoryBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}

pubsub_core::conformance_suite!(Memory);

/// The same suite with every topic hot from its first subscriber: the shared-ring path.
#[derive(Debug)]
struct MemoryHot;

impl BrokerFactory for MemoryHot {
    type Broker = MemoryBroker;

    async fn pair(&self, capacity: usize) -> (MemoryBroker, MemoryBroker) {
        let broker = MemoryBroker::builder()
            .capacity(capacity)
            .hot_threshold(1)
            .build();
        (broker.clone(), broker)
    }

    fn topic_count(&self, broker: &MemoryBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}

mod hot {
    pubsub_core::conformance_suite!(super::MemoryHot);
}

/// The history cases, on a broker whose `conformance:` topics keep history.
#[derive(Debug)]
struct MemoryHistory;

impl BrokerFactory for MemoryHistory {
    type Broker = MemoryBroker;

    async fn pair(&self, capacity: usize) -> (MemoryBroker, MemoryBroker) {
        Memory.pair(capacity).await
    }

    fn topic_count(&self, broker: &MemoryBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}

impl HistoryFactory for MemoryHistory {
    async fn history_pair(
        &self,
        capacity: usize,
        config: HistoryConfig,
    ) -> (MemoryBroker, MemoryBroker) {
        let broker = MemoryBroker::builder()
            .capacity(capacity)
            .history(config)
            .build();
        (broker.clone(), broker)
    }

    async fn lose_history(
        &self,
        _pair: (MemoryBroker, MemoryBroker),
        _topic: &pubsub_core::Topic,
        capacity: usize,
        config: HistoryConfig,
    ) -> (MemoryBroker, MemoryBroker) {
        // A restarted process: a new broker, a new epoch.
        self.history_pair(capacity, config).await
    }
}

mod history {
    pubsub_core::history_suite!(super::MemoryHistory);
    // With history configured, topics without it keep every promise of the main suite.
    pubsub_core::conformance_suite!(super::MemoryWithUnrelatedHistory);
}

/// The main suite on a broker that keeps history for other topics only.
#[derive(Debug)]
struct MemoryWithUnrelatedHistory;

impl BrokerFactory for MemoryWithUnrelatedHistory {
    type Broker = MemoryBroker;

    async fn pair(&self, capacity: usize) -> (MemoryBroker, MemoryBroker) {
        let config = HistoryConfig::new().prefix(
            "elsewhere:",
            pubsub_core::history::HistoryPolicy::new(10, std::time::Duration::from_secs(60)),
        );
        let broker = MemoryBroker::builder()
            .capacity(capacity)
            .history(config)
            .build();
        (broker.clone(), broker)
    }

    fn topic_count(&self, broker: &MemoryBroker) -> Option<usize> {
        Some(broker.topic_count())
    }
}
