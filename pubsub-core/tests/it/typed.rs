//! Typed topics, typed subscriptions and messages from the wire.

use pubsub_core::testing::TestEvent;
use pubsub_core::{BrokerExt, Delivery, MemoryBroker, Message, Topic, TypedTopic};

fn typed(name: &str) -> TypedTopic<TestEvent> {
    TypedTopic::new(Topic::new(name).unwrap())
}

fn event(seq: u64) -> TestEvent {
    TestEvent::Numbered {
        seq,
        label: "t".to_owned(),
    }
}

#[tokio::test]
async fn local_subscribers_share_the_publishers_one_value() {
    let broker = MemoryBroker::new();
    let t = typed("typed:share");
    let mut a = broker.subscribe_events(&t).await.unwrap();
    let mut b = broker.subscribe_events(&t).await.unwrap();
    broker.publish_event(&t, event(1)).await.unwrap();
    let (Some(Delivery::Message(x)), Some(Delivery::Message(y))) = (a.recv().await, b.recv().await)
    else {
        panic!("both should receive");
    };
    assert!(std::ptr::eq(&*x, &*y));
    assert_eq!(*x, event(1));
}

#[tokio::test]
async fn a_wire_message_is_decoded_once_per_node() {
    let broker = MemoryBroker::new();
    let t = typed("typed:wire");
    let mut a = broker.subscribe_events(&t).await.unwrap();
    let mut b = broker.subscribe_events(&t).await.unwrap();
    let json = serde_json::to_string(&event(2)).unwrap();
    broker
        .publish(
            t.topic(),
            Message::from_json("conformance", "numbered", json),
        )
        .await
        .unwrap();
    let (Some(Delivery::Message(x)), Some(Delivery::Message(y))) = (a.recv().await, b.recv().await)
    else {
        panic!("both should receive");
    };
    assert_eq!(*x, event(2));
    assert!(
        std::ptr::eq(&*x, &*y),
        "the second subscriber reuses the first decode"
    );
}

#[tokio::test]
async fn undecodable_messages_are_counted_and_skipped_and_the_subscriber_keeps_running() {
    let broker = MemoryBroker::new();
    let t = typed("typed:bad");
    let mut sub = broker.subscribe_events(&t).await.unwrap();
    let bad = [
        Message::from_json("conformance", "numbered", "not json"),
        Message::from_json(
            "conformance",
            "numbered",
            r#"{"event":"numbered","payload":{}}"#,
        ),
        Message::from_json(
            "conformance",
            "unknown",
            r#"{"event":"unknown","payload":{}}"#,
        ),
        Message::from_json("crm", "interaction_created", "{}"),
    ];
    for message in bad {
        broker.publish(t.topic(), message).await.unwrap();
    }
    broker.publish_event(&t, event(3)).await.unwrap();
    match sub.recv().await {
        Some(Delivery::Message(e)) => assert_eq!(*e, event(3)),
        other => panic!("expected the good event, got {other:?}"),
    }
    assert_eq!(broker.stats().decode_errors, 4);
}

#[test]
fn json_is_made_lazily_once_and_round_trips() {
    let message = Message::new(event(4));
    let first = message.json().unwrap().as_ptr();
    assert_eq!(message.json().unwrap().as_ptr(), first, "cached");
    assert_eq!(
        message.json().unwrap(),
        r#"{"event":"numbered","payload":{"seq":4,"label":"t"}}"#
    );
    let back = Message::from_json(message.domain(), message.name(), message.json().unwrap());
    assert_eq!(*back.decode::<TestEvent>().unwrap(), event(4));
}

#[tokio::test]
async fn typed_subscription_can_grow_and_shrink() {
    let broker = MemoryBroker::new();
    let (one, two) = (typed("typed:1"), typed("typed:2"));
    let mut sub = broker.subscribe_events(&one).await.unwrap();
    broker.add_event_topic(&mut sub, &two).await.unwrap();
    assert!(sub.contains(&two));
    broker.publish_event(&two, event(5)).await.unwrap();
    assert!(matches!(sub.recv().await, Some(Delivery::Message(e)) if *e == event(5)));
    assert!(broker.remove_event_topic(&mut sub, &two));
    broker.publish_event(&two, event(6)).await.unwrap();
    assert!(sub.try_recv().is_err());
}
