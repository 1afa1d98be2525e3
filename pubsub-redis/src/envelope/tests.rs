use pubsub_core::testing::TestEvent;
use pubsub_core::{Message, Topic};

use pubsub_core::history::{Epoch, Position};

use super::{Reject, Tail, decode, head, history_head, node_id, positioned};

fn numbered() -> Message {
    Message::new(TestEvent::Numbered {
        seq: 7,
        label: "a \"quoted\" label".to_owned(),
    })
}

#[test]
fn an_encoded_envelope_decodes_to_the_same_event() {
    let topic = Topic::new("demo:doc:1").unwrap();
    let tail = Tail::new(&topic, &numbered(), 1 << 20, false).unwrap();
    let node = "7f1c0c52-5d5e-4b8e-9a51-2b8f0e6c1d10";
    let wire = tail.stamped(&head(node), 42).to_string();
    let value: serde_json::Value = serde_json::from_str(&wire).unwrap();
    assert_eq!(value["v"], 1);
    assert_eq!(value["node"], node);
    assert_eq!(value["seq"], 42);
    assert_eq!(value["topic"], "demo:doc:1");
    assert_eq!(value["domain"], "conformance");
    assert_eq!(value["event"], "numbered");
    assert_eq!(value["payload"]["seq"], 7);
    let incoming = decode(wire.as_bytes(), 1 << 20).unwrap();
    assert_eq!(incoming.topic, topic);
    assert_eq!(incoming.seq, Some(42));
    assert_eq!(incoming.node, uuid::Uuid::try_parse(node).ok());
    assert_eq!(
        *incoming.message.decode::<TestEvent>().unwrap(),
        TestEvent::Numbered {
            seq: 7,
            label: "a \"quoted\" label".to_owned()
        }
    );
}

#[test]
fn the_origin_subscription_is_carried() {
    let broker = pubsub_core::MemoryBroker::new();
    let topic = Topic::new("t").unwrap();
    let sub = broker.subscribe_now(&topic);
    let tail = Tail::new(&topic, &numbered().with_origin(sub.id()), 1 << 20, false).unwrap();
    let wire = tail
        .stamped(&head(&uuid::Uuid::new_v4().to_string()), 1)
        .to_string();
    let incoming = decode(wire.as_bytes(), 1 << 20).unwrap();
    assert_eq!(incoming.from, Some(sub.id()));
}

#[test]
fn bad_input_is_classified() {
    let max = 1 << 10;
    assert_eq!(decode(b"not json", max).unwrap_err(), Reject::NotJson);
    assert_eq!(decode(b"[1,2]", max).unwrap_err(), Reject::Malformed);
    assert_eq!(
        decode(br#"{"topic":"t"}"#, max).unwrap_err(),
        Reject::Malformed
    );
    assert_eq!(
        decode(br#"{"v":2,"topic":"t","domain":"d","event":"e"}"#, max).unwrap_err(),
        Reject::WrongVersion
    );
    assert_eq!(
        decode(
            br#"{"v":1,"topic":"bad topic","domain":"d","event":"e"}"#,
            max
        )
        .unwrap_err(),
        Reject::InvalidTopic
    );
    assert_eq!(
        decode(
            br#"{"v":1,"topic":"t","domain":"d","event":"e","seq":"x"}"#,
            max
        )
        .unwrap_err(),
        Reject::Malformed
    );
    assert_eq!(decode(&[b' '; 2048], max).unwrap_err(), Reject::Oversized);
    let long_node = format!(
        r#"{{"v":1,"node":"{}","topic":"t","domain":"d","event":"e"}}"#,
        "n".repeat(500)
    );
    assert_eq!(
        decode(long_node.as_bytes(), max).unwrap_err(),
        Reject::InvalidNode
    );
    assert_eq!(
        decode(
            br#"{"v":1,"node":"remote-1","topic":"t","domain":"d","event":"e"}"#,
            max
        )
        .unwrap_err(),
        Reject::InvalidNode
    );
    assert_eq!(
        decode(
            br#"{"v":1,"node":7,"topic":"t","domain":"d","event":"e"}"#,
            max
        )
        .unwrap_err(),
        Reject::Malformed
    );
}

#[test]
fn a_node_id_is_a_hyphenated_uuid_in_any_case() {
    let id = uuid::Uuid::new_v4();
    assert_eq!(node_id(&id.to_string()), Some(id));
    assert_eq!(node_id(&id.to_string().to_uppercase()), Some(id));
    assert_eq!(node_id(&id.simple().to_string()), None, "32 characters");
    assert_eq!(node_id(&format!("{{{id}}}")), None, "braced");
    assert_eq!(node_id(""), None);
}

#[test]
fn a_hand_written_envelope_needs_no_node_or_sequence() {
    let incoming = decode(
        br#"{"v":1,"topic":"conformance:x","domain":"conformance","event":"numbered","payload":{"seq":1,"label":"cli"}}"#,
        1 << 10,
    )
    .unwrap();
    assert_eq!((incoming.node, incoming.seq), (None, None));
    assert!(incoming.message.decode::<TestEvent>().is_ok());
}

#[test]
fn an_event_whose_json_is_not_tagged_is_refused() {
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct Bare(u32);
    impl pubsub_core::Event for Bare {
        const DOMAIN: &'static str = "demo";
        fn name(&self) -> &'static str {
            "bare"
        }
    }
    let topic = Topic::new("t").unwrap();
    assert!(Tail::new(&topic, &Message::new(Bare(1)), 1 << 10, false).is_err());
}

#[test]
fn an_oversized_event_is_refused_on_publish() {
    let topic = Topic::new("t").unwrap();
    let big = Message::new(TestEvent::Numbered {
        seq: 1,
        label: "x".repeat(2000),
    });
    assert!(matches!(
        Tail::new(&topic, &big, 1024, false),
        Err(crate::Error::TooLarge { max: 1024, .. })
    ));
}

#[test]
fn the_envelope_written_into_a_command_is_its_display_form() {
    use redis::ToRedisArgs as _;
    let topic = Topic::new("demo:doc:1").unwrap();
    let tail = Tail::new(&topic, &numbered(), 1 << 20, false).unwrap();
    let head = head("7f1c0c52-5d5e-4b8e-9a51-2b8f0e6c1d10");
    for seq in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
        let stamped = tail.stamped(&head, seq);
        assert_eq!(
            stamped.to_redis_args(),
            vec![stamped.to_string().into_bytes()],
            "seq {seq}"
        );
    }
}

#[test]
fn a_positioned_envelope_decodes_with_its_position_and_no_sequence_number() {
    let topic = Topic::new("docs:doc:1").unwrap();
    let tail = Tail::new(&topic, &numbered(), 1 << 20, false).unwrap();
    let node = "7f1c0c52-5d5e-4b8e-9a51-2b8f0e6c1d10";
    let at = Position::new(42, Epoch::new(0xbeef));
    let wire = positioned(&history_head(node), at, &tail);
    assert!(wire.starts_with(r#"{"v":1,"node":"7f1c0c52-5d5e-4b8e-9a51-2b8f0e6c1d10","offset":42,"epoch":"000000000000beef","topic":"#), "{wire}");
    assert!(
        !wire.starts_with(&head(node)),
        "not mistaken for a plain echo"
    );
    let incoming = decode(wire.as_bytes(), 1 << 20).unwrap();
    assert_eq!(incoming.position, Some(at));
    assert_eq!(incoming.message.position(), Some(at));
    assert_eq!(incoming.seq, None);
}

#[test]
fn a_position_that_is_not_one_is_refused() {
    let max = 1 << 10;
    let with = |fields: &str| format!(r#"{{"v":1{fields},"topic":"t","domain":"d","event":"e"}}"#);
    for fields in [
        r#","offset":1"#,
        r#","epoch":"0000000000000001""#,
        r#","offset":0,"epoch":"0000000000000001""#,
        r#","offset":1,"epoch":"000000000000001""#,
        r#","offset":1,"epoch":"000000000000000g""#,
    ] {
        assert_eq!(
            decode(with(fields).as_bytes(), max).unwrap_err(),
            Reject::InvalidPosition,
            "{fields}"
        );
    }
    for fields in [
        r#","offset":"1","epoch":"0000000000000001""#,
        r#","offset":1,"epoch":1"#,
    ] {
        assert_eq!(
            decode(with(fields).as_bytes(), max).unwrap_err(),
            Reject::Malformed,
            "{fields}"
        );
    }
    let ok = decode(
        with(r#","offset":7,"epoch":"00000000000000FF""#).as_bytes(),
        max,
    )
    .unwrap();
    assert_eq!(ok.position, Some(Position::new(7, Epoch::new(255))));
}

#[test]
fn the_room_kept_for_a_head_fits_the_longest_one() {
    let topic = Topic::new("docs:doc:1").unwrap();
    let tail = Tail::new(&topic, &numbered(), 1 << 20, true).unwrap();
    let node = "7f1c0c52-5d5e-4b8e-9a51-2b8f0e6c1d10";
    let plain = tail.stamped(&head(node), u64::MAX).to_string();
    assert!(plain.len() <= tail.len() + super::HEAD_BYTES, "{plain}");
    let at = Position::new(u64::MAX, Epoch::new(u64::MAX));
    let positioned = positioned(&history_head(node), at, &tail);
    assert!(
        positioned.len() <= tail.len() + super::HISTORY_HEAD_BYTES,
        "{positioned}"
    );
}
