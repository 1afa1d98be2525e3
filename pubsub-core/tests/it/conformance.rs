//! The backend conformance suite, run against the in-memory broker.

use pubsub_core::MemoryBroker;
use pubsub_core::testing::BrokerFactory;

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
