//! Two nodes exchanging typed events, and the subscribe race across nodes.

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, BrokerExt, Delivery, Event, Topic, TypedTopic};
use pubsub_redis::ChannelMode;
use serde::{Deserialize, Serialize};

use crate::server::{Target, pair};

/// A second domain with a unit variant and a nested payload, to check shapes beyond the suite's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
enum Shop {
    OrderPlaced {
        order: u64,
        lines: Vec<(String, u32)>,
        note: Option<String>,
    },
    CatalogueReset,
}

impl Event for Shop {
    const DOMAIN: &'static str = "shop";
    fn name(&self) -> &'static str {
        match self {
            Shop::OrderPlaced { .. } => "order_placed",
            Shop::CatalogueReset => "catalogue_reset",
        }
    }
}

async fn typed_events_cross_both_ways(mode: ChannelMode) {
    let target = Target::new();
    let (a, b) = pair(target.url(), mode, 64).await;
    let shop = TypedTopic::<Shop>::new(Topic::new("shop:orders").expect("topic"));
    let tests = TypedTopic::<TestEvent>::new(unique_topic("typed"));
    let mut shop_on_a = a.subscribe_events(&shop).await.expect("subscribe");
    let mut shop_on_b = b.subscribe_events(&shop).await.expect("subscribe");
    let mut tests_on_b = b.subscribe_events(&tests).await.expect("subscribe");
    let order = Shop::OrderPlaced {
        order: 7,
        lines: vec![("tea \"green\"".to_owned(), 2), ("ümlaut ☕".to_owned(), 1)],
        note: None,
    };
    b.publish_event(&shop, order.clone())
        .await
        .expect("publish");
    a.publish_event(&shop, Shop::CatalogueReset)
        .await
        .expect("publish");
    a.publish_event(
        &tests,
        TestEvent::Numbered {
            seq: 1,
            label: "a→b".to_owned(),
        },
    )
    .await
    .expect("publish");
    let recv = |d: Option<Delivery<pubsub_core::EventRef<Shop>>>| match d {
        Some(Delivery::Message(e)) => (*e).clone(),
        other => panic!("expected an event, got {other:?}"),
    };
    // Each node: its own publish first (local, immediate), the other's after a round trip;
    // across publishers no order is promised.
    let mut on_a = vec![
        recv(
            tokio::time::timeout(crate::WAIT, shop_on_a.recv())
                .await
                .expect("in time"),
        ),
        recv(
            tokio::time::timeout(crate::WAIT, shop_on_a.recv())
                .await
                .expect("in time"),
        ),
    ];
    let mut on_b = vec![
        recv(
            tokio::time::timeout(crate::WAIT, shop_on_b.recv())
                .await
                .expect("in time"),
        ),
        recv(
            tokio::time::timeout(crate::WAIT, shop_on_b.recv())
                .await
                .expect("in time"),
        ),
    ];
    let key = |e: &Shop| e.name();
    on_a.sort_by_key(key);
    on_b.sort_by_key(key);
    assert_eq!(on_a, [Shop::CatalogueReset, order.clone()]);
    assert_eq!(on_b, [Shop::CatalogueReset, order]);
    match tokio::time::timeout(crate::WAIT, tests_on_b.recv())
        .await
        .expect("in time")
    {
        Some(Delivery::Message(e)) => {
            assert!(matches!(&*e, TestEvent::Numbered { label, .. } if label == "a→b"));
        }
        other => panic!("expected the test event, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_exchange_typed_events_in_namespace_mode() {
    typed_events_cross_both_ways(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_exchange_typed_events_in_per_topic_mode() {
    typed_events_cross_both_ways(ChannelMode::PerTopic).await;
}

/// Rule 1 across nodes: a publish on B that starts right after `subscribe` on A returned is
/// delivered, every time (each round uses a fresh topic, so per-topic mode SUBSCRIBEs anew).
async fn subscribe_race(mode: ChannelMode) {
    let target = Target::new();
    let (a, b) = pair(target.url(), mode, 8).await;
    for round in 0..200u64 {
        let topic = unique_topic("race");
        let mut sub = a.subscribe(&topic).await.expect("subscribe");
        b.publish(
            &topic,
            pubsub_core::Message::new(TestEvent::Numbered {
                seq: round,
                label: "race".to_owned(),
            }),
        )
        .await
        .expect("publish");
        match crate::next(&mut sub).await {
            Delivery::Message(m) => {
                assert!(
                    matches!(&*m.decode::<TestEvent>().expect("decodes"), TestEvent::Numbered { seq, .. } if *seq == round)
                );
            }
            other => panic!("round {round}: expected the message, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_right_after_subscribe_returns_is_delivered_in_namespace_mode() {
    subscribe_race(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_right_after_subscribe_returns_is_delivered_in_per_topic_mode() {
    subscribe_race(ChannelMode::PerTopic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_broker_works_behind_arc_dyn_broker() {
    let target = Target::new();
    let (a, b) = pair(target.url(), ChannelMode::Namespace, 8).await;
    let (a, b): (std::sync::Arc<dyn Broker>, std::sync::Arc<dyn Broker>) =
        (std::sync::Arc::new(a), std::sync::Arc::new(b));
    let topic = TypedTopic::<TestEvent>::new(unique_topic("dyn"));
    let mut sub = a.subscribe_events(&topic).await.expect("subscribe");
    let report = pubsub_core::broadcast(
        &*b,
        &[topic.topic().clone()],
        pubsub_core::Message::new(TestEvent::Numbered {
            seq: 1,
            label: "dyn".to_owned(),
        }),
    )
    .await;
    assert!(report.is_complete());
    assert!(matches!(
        tokio::time::timeout(crate::WAIT, sub.recv()).await,
        Ok(Some(Delivery::Message(_)))
    ));
}
