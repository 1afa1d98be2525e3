//! The wire format from outside: hand-written envelopes reach Rust subscribers, what Rust sends
//! is readable JSON, and bad input is logged, counted and skipped without harm.

use std::time::Duration;

use pubsub_core::testing::{TestEvent, unique_topic};
use pubsub_core::{Broker, BrokerExt, Delivery, Message, Topic, TypedTopic};
use pubsub_redis::{ChannelMode, RedisBroker};
use redis::AsyncCommands;

use crate::next;
use crate::server::{Target, pair, raw};

fn numbered(seq: u64, label: &str) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: label.to_owned(),
    })
}

async fn publish_raw(url: &str, channel: &str, payload: &str) {
    let mut conn = raw(url).await;
    let _: i64 = conn.publish(channel, payload).await.expect("raw publish");
}

fn hand_written(topic: &Topic, label: &str) -> String {
    format!(
        r#"{{"v":1,"topic":"{topic}","domain":"conformance","event":"numbered","payload":{{"seq":1,"label":"{label}"}}}}"#
    )
}

async fn a_hand_written_envelope_reaches_a_typed_subscriber(mode: ChannelMode) {
    let target = Target::new();
    let (node, _) = pair(target.url(), mode, 64).await;
    let topic = TypedTopic::<TestEvent>::new(unique_topic("cli"));
    let mut sub = node.subscribe_events(&topic).await.expect("subscribe");
    let channel = node.config().channel_for(topic.topic());
    publish_raw(
        target.url(),
        &channel,
        &hand_written(topic.topic(), "from redis-cli"),
    )
    .await;
    match tokio::time::timeout(crate::WAIT, sub.recv()).await {
        Ok(Some(Delivery::Message(event))) => assert_eq!(
            *event,
            TestEvent::Numbered {
                seq: 1,
                label: "from redis-cli".to_owned()
            }
        ),
        other => panic!("expected the hand-written event, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_written_envelope_reaches_a_rust_subscriber_in_namespace_mode() {
    a_hand_written_envelope_reaches_a_typed_subscriber(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_written_envelope_reaches_a_rust_subscriber_in_per_topic_mode() {
    a_hand_written_envelope_reaches_a_typed_subscriber(ChannelMode::PerTopic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_redis_subscriber_reads_the_envelope_as_json() {
    let target = Target::new();
    let (node, _) = pair(target.url(), ChannelMode::PerTopic, 64).await;
    let topic = unique_topic("readable");
    let channel = node.config().channel_for(&topic);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let client = redis::Client::open(format!("{}?protocol=resp3", target.url())).expect("url");
    let config = redis::AsyncConnectionConfig::new().set_push_sender(tx);
    let mut listener = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .expect("listener");
    listener.subscribe(&channel).await.expect("subscribe");
    let local = node.subscribe(&topic).await.expect("subscribe");
    node.publish_from(local.id(), &topic, numbered(5, "readable"))
        .await
        .expect("publish");
    let payload = tokio::time::timeout(crate::WAIT, async {
        loop {
            let push = rx.recv().await.expect("push");
            if let Some(msg) = redis::Msg::from_push_info(push) {
                return msg.get_payload::<String>().expect("utf-8");
            }
        }
    })
    .await
    .expect("the envelope arrives");
    let json: serde_json::Value = serde_json::from_str(&payload).expect("JSON");
    assert_eq!(json["v"], pubsub_redis::ENVELOPE_VERSION);
    assert_eq!(json["topic"], topic.as_str());
    assert_eq!(json["domain"], "conformance");
    assert_eq!(json["event"], "numbered");
    assert_eq!(
        json["payload"],
        serde_json::json!({"seq": 5, "label": "readable"})
    );
    assert_eq!(json["node"], node.node_id());
    assert_eq!(json["seq"], 1);
    assert_eq!(json["from"], local.id().as_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_foreign_messages_are_counted_and_skipped() {
    let target = Target::new();
    let (node, other) = pair(target.url(), ChannelMode::Namespace, 64).await;
    let topic = TypedTopic::<TestEvent>::new(unique_topic("bad"));
    let mut typed = node.subscribe_events(&topic).await.expect("subscribe");
    let mut untyped = node.subscribe(topic.topic()).await.expect("subscribe");
    let channel = node.config().channel_for(topic.topic());
    let t = topic.topic().as_str();
    let big = format!(
        r#"{{"v":1,"topic":"{t}","domain":"conformance","event":"numbered","payload":"{}"}}"#,
        "x".repeat(node.config().max_message_bytes)
    );
    let bad = [
        "not json at all".to_owned(),
        r#"{"hello":"another app's JSON on our channel"}"#.to_owned(),
        format!(r#"{{"v":99,"topic":"{t}","domain":"conformance","event":"numbered"}}"#),
        format!(
            r#"{{"v":1,"topic":"{t}","domain":"conformance","event":"numbered","seq":"nine"}}"#
        ),
        r#"{"v":1,"topic":"has whitespace","domain":"conformance","event":"numbered"}"#.to_owned(),
        big,
    ];
    for payload in &bad {
        publish_raw(target.url(), &channel, payload).await;
    }
    // Valid envelopes the typed subscriber cannot decode: an unknown domain, an unknown event,
    // a payload of the wrong shape. The untyped subscriber gets them as messages.
    let undecodable = [
        format!(
            r#"{{"v":1,"topic":"{t}","domain":"elsewhere","event":"numbered","payload":{{}}}}"#
        ),
        format!(
            r#"{{"v":1,"topic":"{t}","domain":"conformance","event":"exploded","payload":{{}}}}"#
        ),
        format!(
            r#"{{"v":1,"topic":"{t}","domain":"conformance","event":"numbered","payload":{{"seq":"x"}}}}"#
        ),
    ];
    for payload in &undecodable {
        publish_raw(target.url(), &channel, payload).await;
    }
    // Then a good message from the other node: both subscribers are still running.
    other
        .publish_event(
            &topic,
            TestEvent::Numbered {
                seq: 9,
                label: "good".to_owned(),
            },
        )
        .await
        .expect("publish");
    match tokio::time::timeout(crate::WAIT, typed.recv()).await {
        Ok(Some(Delivery::Message(event))) => {
            assert!(matches!(&*event, TestEvent::Numbered { seq: 9, .. }));
        }
        other => panic!("expected the good event, got {other:?}"),
    }
    for _ in &undecodable {
        assert!(matches!(next(&mut untyped).await, Delivery::Message(_)));
    }
    let Delivery::Message(good) = next(&mut untyped).await else {
        panic!("expected a message")
    };
    assert!(good.decode::<TestEvent>().is_ok());

    let stats = node.stats();
    assert_eq!(stats.rejected_not_json, 1, "{stats:?}");
    assert_eq!(stats.rejected_malformed, 2, "{stats:?}");
    assert_eq!(stats.rejected_version, 1, "{stats:?}");
    assert_eq!(stats.rejected_topic, 1, "{stats:?}");
    assert_eq!(stats.rejected_oversized, 1, "{stats:?}");
    assert_eq!(stats.rejected(), 6);
    assert_eq!(stats.local.decode_errors, 3, "{stats:?}");
    assert_eq!(stats.received, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_on_the_wrong_topic_channel_is_skipped() {
    let target = Target::new();
    let (node, _) = pair(target.url(), ChannelMode::PerTopic, 64).await;
    let (wanted, other) = (unique_topic("wanted"), unique_topic("other"));
    let mut sub = node.subscribe(&wanted).await.expect("subscribe");
    let _other_sub = node.subscribe(&other).await.expect("subscribe");
    // On `wanted`'s channel, but claiming to be for `other`.
    publish_raw(
        target.url(),
        &node.config().channel_for(&wanted),
        &hand_written(&other, "x"),
    )
    .await;
    publish_raw(
        target.url(),
        &node.config().channel_for(&wanted),
        &hand_written(&wanted, "y"),
    )
    .await;
    let Delivery::Message(m) = next(&mut sub).await else {
        panic!("expected a message")
    };
    assert!(
        matches!(&*m.decode::<TestEvent>().expect("decodes"), TestEvent::Numbered { label, .. } if label == "y")
    );
    assert_eq!(node.stats().rejected_topic, 1);
}

/// A pretend remote node's id (node ids on the wire are UUIDs).
pub(crate) const REMOTE: &str = "5b0c1e2a-8f7d-4c3b-9a6e-1d2f3a4b5c6d";

/// Envelopes from a pretend remote node, numbered by hand.
pub(crate) fn from_node(topic: &Topic, node: &str, seq: u64) -> String {
    format!(
        r#"{{"v":1,"node":"{node}","seq":{seq},"topic":"{topic}","domain":"conformance","event":"numbered","payload":{{"seq":{seq},"label":"n"}}}}"#
    )
}

async fn expect_seq(sub: &mut pubsub_core::Subscription, seq: u64) {
    match next(sub).await {
        Delivery::Message(m) => {
            let TestEvent::Numbered { seq: got, .. } = &*m.decode::<TestEvent>().expect("decodes");
            assert_eq!(*got, seq);
        }
        other => panic!("expected message {seq}, got {other:?}"),
    }
}

/// Receives `before`, then `after` in order, with exactly one gap notice somewhere after the
/// last of `before` (the hole collector sends it off the reader, so it may come after some of
/// `after`).
async fn expect_seqs_with_one_gap(
    sub: &mut pubsub_core::Subscription,
    before: &[u64],
    after: &[u64],
) {
    for &seq in before {
        expect_seq(sub, seq).await;
    }
    let (mut got, mut gaps) = (Vec::new(), 0);
    while got.len() < after.len() || gaps == 0 {
        match next(sub).await {
            Delivery::Message(m) => {
                let TestEvent::Numbered { seq, .. } = &*m.decode::<TestEvent>().expect("decodes");
                got.push(*seq);
            }
            Delivery::Gap => gaps += 1,
            other @ Delivery::Lagged(_) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, after);
    assert_eq!(gaps, 1);
    crate::faults::assert_quiet(sub, Duration::from_millis(100)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hole_in_a_remote_nodes_sequence_numbers_is_a_gap_notice_in_namespace_mode() {
    let target = Target::new();
    let (node, _) = pair(target.url(), ChannelMode::Namespace, 64).await;
    let (topic, bystander_topic) = (unique_topic("seq"), unique_topic("bystander"));
    let mut sub = node.subscribe(&topic).await.expect("subscribe");
    let mut bystander = node.subscribe(&bystander_topic).await.expect("subscribe");
    let channel = node.config().channel_for(&topic);
    for seq in [1, 2, 5, 6] {
        publish_raw(target.url(), &channel, &from_node(&topic, REMOTE, seq)).await;
    }
    // 3 and 4 were lost.
    expect_seqs_with_one_gap(&mut sub, &[1, 2], &[5, 6]).await;
    // Numbers are per (node, topic) in both modes, so the lost messages were for this topic:
    // other topics' subscribers are not told to reload.
    crate::faults::assert_quiet(&mut bystander, Duration::from_millis(100)).await;
    assert_eq!(node.stats().sequence_gaps, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hole_in_one_topics_stream_is_a_gap_notice_for_that_topic_only_in_per_topic_mode() {
    let target = Target::new();
    let (node, _) = pair(target.url(), ChannelMode::PerTopic, 64).await;
    let (topic, bystander_topic) = (unique_topic("seq"), unique_topic("bystander"));
    let mut sub = node.subscribe(&topic).await.expect("subscribe");
    let mut bystander = node.subscribe(&bystander_topic).await.expect("subscribe");
    let channel = node.config().channel_for(&topic);
    for seq in [7, 8, 10] {
        publish_raw(target.url(), &channel, &from_node(&topic, REMOTE, seq)).await;
    }
    // The same remote node's stream on another topic is separate: starting at 3 is no hole.
    publish_raw(
        target.url(),
        &node.config().channel_for(&bystander_topic),
        &from_node(&bystander_topic, REMOTE, 3),
    )
    .await;
    expect_seqs_with_one_gap(&mut sub, &[7, 8], &[10]).await;
    expect_seq(&mut bystander, 3).await;
    crate::faults::assert_quiet(&mut bystander, Duration::from_millis(100)).await;
    assert_eq!(node.stats().sequence_gaps, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_skips_its_own_echo_and_publishes_one_copy_per_node() {
    let target = Target::new();
    let (node, other) = pair(target.url(), ChannelMode::Namespace, 64).await;
    let topic = unique_topic("echo");
    let mut local: Vec<_> = Vec::new();
    for _ in 0..3 {
        local.push(node.subscribe(&topic).await.expect("subscribe"));
    }
    let mut remote = other.subscribe(&topic).await.expect("subscribe");
    node.publish(&topic, numbered(1, "once"))
        .await
        .expect("publish");
    for sub in &mut local {
        expect_seq(sub, 1).await;
        crate::faults::assert_quiet(sub, Duration::from_millis(100)).await;
    }
    expect_seq(&mut remote, 1).await;
    assert_eq!(
        node.stats().sent,
        1,
        "one envelope, whatever the number of subscribers"
    );
    assert_eq!(node.stats().own_echoes, 1);
    assert_eq!(other.stats().received, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_too_large_for_the_wire_is_refused_before_anyone_gets_it() {
    let target = Target::new();
    let (node, _) = pair(target.url(), ChannelMode::Namespace, 64).await;
    let topic = unique_topic("large");
    let mut sub = node.subscribe(&topic).await.expect("subscribe");
    let label = "x".repeat(node.config().max_message_bytes);
    let err = node.publish(&topic, numbered(1, &label)).await.unwrap_err();
    assert!(err.to_string().contains("larger than the maximum"), "{err}");
    assert!(sub.try_recv().is_err());
    let _ = RedisBroker::stats(&node);
}
