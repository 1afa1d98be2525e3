//! Publishes from a task that has spent its tokio coop budget.
//!
//! A publish numbers its envelope and queues the command in one poll, under one lock, so that
//! numbers follow the wire order. Queuing goes through the `redis` client's bounded channel,
//! whose send consults tokio's coop budget: with the budget spent, the send would return
//! `Pending` after the number was taken, and a publish of the same topic from another task
//! could reach the wire first (the receiving node then sees a hole and a stale message).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, Delivery, Message, Topic};
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{Target, pair};

type Publish<'a> = Pin<Box<dyn Future<Output = Result<(), pubsub_core::Error>> + Send + 'a>>;

fn numbered(seq: u64) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: format!("m{seq}"),
    })
}

/// Spends the calling task's coop budget, then polls a publish of message 1 once.
async fn publish_with_no_budget<'a>(node: &'a RedisBroker, topic: &'a Topic) -> Publish<'a> {
    std::future::poll_fn(|cx| {
        while let Poll::Ready(progress) = tokio::task::coop::poll_proceed(cx) {
            progress.made_progress();
        }
        let mut publish: Publish<'a> = Box::pin(node.publish(topic, numbered(1)));
        let _ = publish.as_mut().poll(cx);
        Poll::Ready(publish)
    })
    .await
}

async fn a_publish_without_coop_budget_keeps_its_place_on_the_wire(mode: ChannelMode) {
    let target = Target::new();
    let (a, b) = pair(target.url(), mode, 64).await;
    keeps_its_place(&a, &b).await;
}

async fn keeps_its_place(a: &RedisBroker, b: &RedisBroker) {
    let topic = unique_topic("coop");
    // Confirmed on Redis before it returns.
    let mut on_b = b.subscribe(&topic).await.expect("subscribe");
    for _ in 0..20 {
        let first = publish_with_no_budget(a, &topic).await;
        // Another task publishes message 2 while the first publish waits for its next poll.
        let second = {
            let (a, topic) = (a.clone(), topic.clone());
            tokio::spawn(async move { a.publish(&topic, numbered(2)).await })
        };
        second.await.expect("task").expect("publish 2");
        first.await.expect("publish 1");
        let got: Vec<String> = [crate::next(&mut on_b).await, crate::next(&mut on_b).await]
            .into_iter()
            .map(|delivery| match delivery {
                Delivery::Message(message) => match message.decode::<TestEvent>().as_deref() {
                    Ok(TestEvent::Numbered { label, .. }) => label.clone(),
                    other => panic!("unexpected event {other:?}"),
                },
                notice => format!("{notice:?}"),
            })
            .collect();
        assert_eq!(got, ["m1", "m2"], "in the order of the numbers, no notice");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_publish_without_coop_budget_keeps_its_place_on_the_wire_in_namespace_mode() {
    a_publish_without_coop_budget_keeps_its_place_on_the_wire(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_publish_without_coop_budget_keeps_its_place_on_the_wire_in_per_topic_mode() {
    a_publish_without_coop_budget_keeps_its_place_on_the_wire(ChannelMode::PerTopic).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_publish_without_coop_budget_keeps_its_place_on_the_wire_in_cluster_mode() {
    let urls = crate::cluster::urls().await;
    let (a, b) = crate::cluster::cluster_pair(&urls, 64).await;
    keeps_its_place(&a, &b).await;
}
