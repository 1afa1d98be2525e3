//! Many tasks publishing one topic at once: each envelope is numbered in the order it reaches
//! the wire, so the receiving node sees no hole and drops nothing as stale, however the
//! publishes interleave (on a cluster too, where they pass the client's routing task).

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, Delivery, Message};
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{Target, pair};

const TASKS: u64 = 200;
const EACH: u64 = 5;

async fn concurrent_publishers_of_one_topic_leave_no_hole(a: RedisBroker, b: RedisBroker) {
    let _heavy = crate::heavy().await; // 1,000 publishes at once
    let topic = unique_topic("concurrent");
    let mut sub = a.subscribe(&topic).await.expect("subscribe on a");
    let mut publishers = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let (b, topic) = (b.clone(), topic.clone());
        publishers.spawn(async move {
            for i in 0..EACH {
                let event = TestEvent::Numbered {
                    seq: task * EACH + i,
                    label: "concurrent".to_owned(),
                };
                b.publish(&topic, Message::new(event))
                    .await
                    .expect("publish on b");
            }
        });
    }
    while let Some(done) = publishers.join_next().await {
        done.expect("a publisher");
    }
    let mut seen = std::collections::HashSet::new();
    for _ in 0..TASKS * EACH {
        match crate::next(&mut sub).await {
            Delivery::Message(message) => match message.decode::<TestEvent>().as_deref() {
                Ok(TestEvent::Numbered { seq, .. }) => {
                    assert!(seen.insert(*seq), "message {seq} twice");
                }
                other => panic!("unexpected event {other:?}"),
            },
            notice => panic!("a notice among concurrent publishes: {notice:?}"),
        }
    }
    let stats = a.stats();
    assert_eq!(
        (stats.received, stats.sequence_gaps, stats.duplicates),
        (TASKS * EACH, 0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_of_one_topic_leave_no_hole_in_namespace_mode() {
    let target = Target::new();
    let (a, b) = pair(target.url(), ChannelMode::Namespace, 2048).await;
    concurrent_publishers_of_one_topic_leave_no_hole(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_of_one_topic_leave_no_hole_in_cluster_mode() {
    let urls = crate::cluster::urls().await;
    let (a, b) = crate::cluster::cluster_pair(&urls, 2048).await;
    concurrent_publishers_of_one_topic_leave_no_hole(a, b).await;
}
