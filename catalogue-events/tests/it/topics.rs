//! The exact topic string and the subscribe helpers.

use std::sync::Arc;

use catalogue_events::{TOPIC, subscribe, topic, unsubscribe};
use pubsub_core::{Broker, MemoryBroker};

#[test]
fn the_topic_is_phoenix_kit_catalogue() {
    assert_eq!(topic().as_str(), "phoenix_kit_catalogue");
    assert_eq!(TOPIC.as_str(), "phoenix_kit_catalogue");
    assert_eq!(topic(), TOPIC);
}

#[tokio::test]
async fn subscribe_and_unsubscribe_work_through_any_broker_handle() {
    let broker = MemoryBroker::new();
    let shared: Arc<dyn Broker> = Arc::new(broker.clone());
    let dynamic: &dyn Broker = &broker;

    let mut a = subscribe(&shared).await.expect("subscribe");
    let mut b = subscribe(dynamic).await.expect("subscribe");
    assert_eq!(broker.subscriber_count(&TOPIC), 2);

    assert!(unsubscribe(&shared, &mut a));
    assert!(!unsubscribe(&shared, &mut a), "second time is a no-op");
    assert!(unsubscribe(dynamic, &mut b));
    assert_eq!(broker.topic_count(), 0);
}
