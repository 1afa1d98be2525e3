//! Many tasks publishing one topic at once: each envelope is numbered in the order it reaches
//! the wire, so the receiving node sees no hole and drops nothing as stale, however the
//! publishes interleave (on a cluster too, where they pass the client's routing task, and with
//! every primary's pipeline full at once).

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, Delivery, Message, Topic};
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{Target, pair};

const TASKS: u64 = 200;
const EACH: u64 = 5;

/// [`TASKS`] tasks per topic publish [`EACH`] messages each to it, all at once.
async fn concurrent_publishers_leave_no_hole(a: RedisBroker, b: RedisBroker, topics: Vec<Topic>) {
    let _heavy = crate::heavy().await; // 1,000 publishes at once per topic
    let mut subs = Vec::new();
    for topic in &topics {
        subs.push(a.subscribe(topic).await.expect("subscribe on a"));
    }
    let mut publishers = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        for topic in &topics {
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
    }
    while let Some(done) = publishers.join_next().await {
        done.expect("a publisher");
    }
    for sub in &mut subs {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..TASKS * EACH {
            match crate::next(sub).await {
                Delivery::Message(message) => match message.decode::<TestEvent>().as_deref() {
                    Ok(TestEvent::Numbered { seq, .. }) => {
                        assert!(seen.insert(*seq), "message {seq} twice");
                    }
                    other => panic!("unexpected event {other:?}"),
                },
                notice => panic!("a notice among concurrent publishes: {notice:?}"),
            }
        }
    }
    let stats = a.stats();
    let all = TASKS * EACH * topics.len() as u64;
    assert_eq!(
        (stats.received, stats.sequence_gaps, stats.duplicates),
        (all, 0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_of_one_topic_leave_no_hole_in_namespace_mode() {
    let target = Target::new();
    let (a, b) = pair(target.url(), ChannelMode::Namespace, 2048).await;
    concurrent_publishers_leave_no_hole(a, b, vec![unique_topic("concurrent")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_of_one_topic_leave_no_hole_in_cluster_mode() {
    let urls = crate::cluster::urls().await;
    let (a, b) = crate::cluster::cluster_pair(&urls, 2048).await;
    concurrent_publishers_leave_no_hole(a, b, vec![unique_topic("concurrent")]).await;
}

/// One topic on each primary: every primary's pipeline full at once (more in flight than the
/// client's routing channel holds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_of_a_topic_on_each_shard_leave_no_hole() {
    let urls = crate::cluster::urls().await;
    let (a, b) = crate::cluster::cluster_pair(&urls, 2048).await;
    let ranges = crate::cluster::slot_owners(&urls[0]).await;
    let topics = crate::cluster::topics_on_every_shard(&urls[0], &b, &ranges, "concurrent", 1)
        .await
        .into_iter()
        .map(|(topic, _)| topic)
        .collect();
    concurrent_publishers_leave_no_hole(a, b, topics).await;
}
