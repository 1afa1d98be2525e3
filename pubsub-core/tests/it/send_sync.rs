//! Every public type is Send and Sync where it should be (after tokio's `async_send_sync.rs`).

use pubsub_core::testing::TestEvent;
use pubsub_core::*;

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<Topic>();
    send_sync::<TopicError>();
    send_sync::<TopicPattern>();
    send_sync::<TypedTopic<TestEvent>>();
    send_sync::<Message>();
    send_sync::<EventRef<TestEvent>>();
    send_sync::<MemoryBroker>();
    send_sync::<MemoryBrokerBuilder>();
    send_sync::<Subscription>();
    send_sync::<TypedSubscription<TestEvent>>();
    send_sync::<SubscriptionId>();
    send_sync::<Delivery<Message>>();
    send_sync::<Error>();
    send_sync::<DecodeError>();
    send_sync::<Stats>();
    send_sync::<BroadcastReport>();
    send_sync::<std::sync::Arc<dyn Broker>>();
    send_sync::<Box<dyn backend::TopicObserver>>();
    send_sync::<backend::Node>();
    send_sync::<backend::NodeBuilder>();
    send_sync::<Scoped<MultiTenant<MemoryBroker>>>();
}

#[test]
fn broker_futures_are_send() {
    fn assert_send<F: std::future::Future + Send>(_: F) {}
    let broker = MemoryBroker::new();
    let dynamic: &dyn Broker = &broker;
    let topic = Topic::new("t").unwrap();
    let typed = TypedTopic::<TestEvent>::new(topic.clone());
    assert_send(dynamic.subscribe(&topic));
    assert_send(dynamic.publish(&topic, Message::from_json("d", "n", "{}")));
    assert_send(dynamic.subscribe_events(&typed));
    assert_send(broadcast(
        dynamic,
        std::slice::from_ref(&topic),
        Message::from_json("d", "n", "{}"),
    ));
    send::<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>();
}
