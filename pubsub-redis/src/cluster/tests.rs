use pubsub_core::Topic;

use redis::Value;

use super::{Confirmations, Topology, slot_of};

#[test]
fn a_confirmation_nobody_asked_for_is_a_resubscription() {
    let confirmations = Confirmations::default();
    let topic = Topic::new("docs:doc:1").unwrap();
    confirmations.expect(&[topic.clone(), topic.clone()]);
    assert!(confirmations.take("docs:doc:1"));
    assert!(confirmations.take("docs:doc:1"));
    assert!(!confirmations.take("docs:doc:1"), "both were taken");
    assert!(!confirmations.take("docs:doc:2"), "never asked for");
    confirmations.expect(std::slice::from_ref(&topic));
    confirmations.clear();
    assert!(
        !confirmations.take("docs:doc:1"),
        "cleared with the connection"
    );
}

#[test]
fn a_failed_subscribe_takes_back_the_confirmations_it_asked_for() {
    let confirmations = Confirmations::default();
    let (one, two) = (Topic::new("docs:1").unwrap(), Topic::new("docs:2").unwrap());
    confirmations.expect(&[one.clone(), two.clone()]);
    assert!(confirmations.take("docs:1"), "one shard confirmed");
    confirmations.cancel(&[two]);
    // The client later re-subscribes docs:2 by itself: not ours, so its loss is not hidden.
    assert!(!confirmations.take("docs:2"));
    confirmations.cancel(&[one]);
    assert!(!confirmations.take("docs:1"), "nothing below zero");
}

/// One `CLUSTER SLOTS` range, `first..=last` on the primary at 127.0.0.1:`port` (also for
/// `admission.rs`'s tests).
pub(crate) fn range(first: i64, last: i64, port: i64) -> Value {
    Value::Array(vec![
        Value::Int(first),
        Value::Int(last),
        Value::Array(vec![
            Value::BulkString(b"127.0.0.1".to_vec()),
            Value::Int(port),
            Value::BulkString(format!("id-{port}").into_bytes()),
        ]),
    ])
}

#[test]
fn a_primarys_node_id_is_kept() {
    let topology = Topology::parse(&Value::Array(vec![range(0, 16383, 7000)]));
    assert_eq!(topology.id_of("127.0.0.1:7000"), Some("id-7000"));
    assert_eq!(topology.id_of("127.0.0.1:7001"), None);
}

#[test]
fn a_channel_moved_when_its_slot_has_another_primary() {
    // Redis's own numbers: `CLUSTER KEYSLOT foo` is 12182; the hash tag decides.
    assert_eq!(slot_of("foo"), 12182);
    assert_eq!(slot_of("pubsub:c{foo}"), 12182);
    let before = Topology::parse(&Value::Array(vec![
        range(0, 8191, 7000),
        range(8192, 16383, 7001),
    ]));
    let after = Topology::parse(&Value::Array(vec![
        range(8192, 16383, 7002),
        range(0, 8191, 7000),
    ]));
    assert!(before.moved(&after, "foo"), "7001 was replaced by 7002");
    assert_eq!(slot_of("b"), 3300);
    assert!(!before.moved(&after, "b"), "7000 kept its slots");
    let same = Topology::parse(&Value::Array(vec![
        range(8192, 16383, 7001),
        range(0, 8191, 7000),
    ]));
    assert_eq!(before, same, "the order of the ranges does not matter");
    assert!(!before.moved(&same, "foo"));
}

fn node(port: i64) -> Value {
    Value::Array(vec![
        Value::BulkString(b"127.0.0.1".to_vec()),
        Value::Int(port),
    ])
}

#[test]
fn a_slot_taken_over_by_a_replica_is_a_failover_not_a_migration() {
    let with_replica = |first, last, primary, replica| {
        Value::Array(vec![
            Value::Int(first),
            Value::Int(last),
            node(primary),
            node(replica),
        ])
    };
    let before = Topology::parse(&Value::Array(vec![
        with_replica(0, 8191, 7000, 7100),
        with_replica(8192, 16383, 7001, 7101),
    ]));
    let failed_over = Topology::parse(&Value::Array(vec![
        with_replica(0, 8191, 7000, 7100),
        range(8192, 16383, 7101),
    ]));
    assert!(before.moved(&failed_over, "foo"));
    assert!(
        before.promoted(&failed_over, "foo"),
        "7101 was 7001's replica"
    );
    let migrated = Topology::parse(&Value::Array(vec![
        with_replica(0, 8191, 7000, 7100),
        with_replica(8192, 12181, 7001, 7101),
        with_replica(12182, 12182, 7000, 7100),
        with_replica(12183, 16383, 7001, 7101),
    ]));
    assert!(before.moved(&migrated, "foo"));
    assert!(
        !before.promoted(&migrated, "foo"),
        "7000 is another primary"
    );
    let other_replica = Topology::parse(&Value::Array(vec![
        with_replica(0, 8191, 7000, 7102),
        with_replica(8192, 16383, 7001, 7101),
    ]));
    assert_eq!(
        before, other_replica,
        "equal when the same primaries own the same slots"
    );
}

#[test]
fn topics_are_counted_per_primary_from_their_slots() {
    let topology = Topology::parse(&Value::Array(vec![
        range(0, 8191, 7000),
        range(8192, 12000, 7001),
        range(12001, 16000, 7000),
    ]));
    let per_slot: std::collections::HashMap<u16, u64> =
        [(3300, 2), (12182, 3), (9000, 1), (16100, 4)]
            .into_iter()
            .collect();
    let per_primary = topology.per_primary(&per_slot);
    assert_eq!(per_primary.get("127.0.0.1:7000"), Some(&5), "two ranges");
    assert_eq!(per_primary.get("127.0.0.1:7001"), Some(&1));
    assert_eq!(per_primary.len(), 2, "slot 16100 has no owner: left out");
}
