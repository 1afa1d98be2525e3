use std::sync::Arc;

use redis::Value;
use tokio::sync::Semaphore;

use super::{Admission, CLUSTER_IN_FLIGHT, MAX_IN_FLIGHT};
use crate::cluster::Topology;
use crate::cluster::tests::range;

fn topology(ranges: &[(i64, i64, i64)]) -> Topology {
    Topology::parse(&Value::Array(
        ranges
            .iter()
            .map(|&(a, b, port)| range(a, b, port))
            .collect(),
    ))
}

fn three_primaries() -> Topology {
    topology(&[(0, 5460, 7000), (5461, 10922, 7001), (10923, 16383, 7002)])
}

/// The stand-in connection each slot's envelopes go out on.
fn conn_of(admission: &Admission<u8>, slot: u16) -> u8 {
    admission.gate(Some(slot)).conn
}

#[test]
fn one_server_has_one_gate_for_everything() {
    let admission = Admission::single(0_u8, Arc::new(Semaphore::new(MAX_IN_FLIGHT)));
    assert_eq!(
        admission.gate(None).slots.available_permits(),
        MAX_IN_FLIGHT
    );
    assert_eq!(conn_of(&admission, 42), 0);
    assert!(admission.live());
    admission.gate(None).slots.close();
    assert!(!admission.live(), "a closed gate is a lost connection");
}

#[test]
fn a_cluster_sends_each_primarys_topics_on_a_connection_of_its_own() {
    let mut admission = Admission::cluster(vec![0_u8, 1, 2]);
    // Before the owners are known: the first connection for every slot.
    assert_eq!((conn_of(&admission, 0), conn_of(&admission, 16383)), (0, 0));
    assert_eq!(
        admission.gate(Some(0)).slots.available_permits(),
        CLUSTER_IN_FLIGHT
    );

    admission.adopt(&three_primaries(), 1);
    let by_primary = [
        conn_of(&admission, 0),
        conn_of(&admission, 5461),
        conn_of(&admission, 16383),
    ];
    let mut distinct = by_primary.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        3,
        "one connection per primary: {by_primary:?}"
    );
    assert_eq!(conn_of(&admission, 5460), by_primary[0]);
    assert_eq!(conn_of(&admission, 10922), by_primary[1]);
    assert_eq!(conn_of(&admission, 10923), by_primary[2]);
    // One shard's pipeline full leaves the others theirs.
    let full = Arc::clone(&admission.gate(Some(0)).slots)
        .try_acquire_many_owned(u32::try_from(CLUSTER_IN_FLIGHT).unwrap())
        .expect("all of the first shard's");
    assert!(
        Arc::clone(&admission.gate(Some(0)).slots)
            .try_acquire_owned()
            .is_err()
    );
    assert!(
        Arc::clone(&admission.gate(Some(5461)).slots)
            .try_acquire_owned()
            .is_ok()
    );
    assert!(
        Arc::clone(&admission.gate(Some(16383)).slots)
            .try_acquire_owned()
            .is_ok()
    );
    drop(full);
}

#[test]
fn a_primary_keeps_its_connection_while_the_slots_move_and_a_new_one_takes_the_least_used() {
    let mut admission = Admission::cluster(vec![0_u8, 1, 2]);
    admission.adopt(&three_primaries(), 1);
    let (a, b, c) = (
        conn_of(&admission, 0),
        conn_of(&admission, 6000),
        conn_of(&admission, 16383),
    );
    // Slots 5461..=6000 move from 7001 to 7000; 7002 fails over to 7003.
    admission.adopt(
        &topology(&[(0, 6000, 7000), (6001, 10922, 7001), (10923, 16383, 7003)]),
        2,
    );
    assert_eq!(conn_of(&admission, 0), a, "7000 keeps its connection");
    assert_eq!(
        conn_of(&admission, 6000),
        a,
        "a moved slot follows its owner"
    );
    assert_eq!(conn_of(&admission, 6001), b, "7001 keeps its connection");
    assert_eq!(
        conn_of(&admission, 16383),
        c,
        "7003 takes the connection 7002 left"
    );
    // A fourth primary shares the connection of one of the others.
    admission.adopt(
        &topology(&[
            (0, 6000, 7000),
            (6001, 10922, 7001),
            (10923, 15000, 7003),
            (15001, 16383, 7004),
        ]),
        3,
    );
    assert!([a, b, c].contains(&conn_of(&admission, 16000)));
    assert_eq!(conn_of(&admission, 15000), c);
    assert!(admission.live());
    admission.close();
    assert!(!admission.live());
}
