use std::time::{Duration, Instant};

use pubsub_core::Topic;
use uuid::Uuid;

use super::{Limits, NODE_BYTES, Received, Seen, Sending, TOPIC_BYTES};

fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

fn node(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn received() -> Received {
    Received::new(Limits {
        bytes: 1 << 20,
        nodes_per_topic: 4,
    })
}

#[test]
fn consecutive_numbers_are_fine_a_skip_is_a_hole_and_a_repeat_is_stale() {
    let (mut r, t) = (received(), topic("t"));
    assert_eq!(
        r.observe(&t, node(1), 5),
        Seen::Fine,
        "first seen sets the baseline"
    );
    assert_eq!(r.observe(&t, node(1), 6), Seen::Fine);
    assert_eq!(r.observe(&t, node(1), 9), Seen::Hole);
    assert_eq!(r.observe(&t, node(1), 10), Seen::Fine);
    assert_eq!(r.observe(&t, node(1), 10), Seen::Stale, "a duplicate");
    assert_eq!(r.observe(&t, node(1), 4), Seen::Stale);
    assert_eq!(
        r.observe(&t, node(1), 11),
        Seen::Fine,
        "a stale number does not move the mark"
    );
    assert_eq!(r.observe(&t, node(1), u64::MAX), Seen::Hole);
    assert_eq!(r.observe(&t, node(1), u64::MAX), Seen::Stale, "no overflow");
}

#[test]
fn streams_are_separate_per_node_and_topic() {
    let mut r = received();
    let (t1, t2) = (topic("t1"), topic("t2"));
    r.observe(&t1, node(1), 1);
    r.observe(&t2, node(1), 7);
    r.observe(&t1, node(2), 3);
    assert_eq!(r.observe(&t1, node(1), 2), Seen::Fine);
    assert_eq!(r.observe(&t2, node(1), 8), Seen::Fine);
    assert_eq!(r.observe(&t1, node(2), 4), Seen::Fine);
    assert_eq!(r.size().0, 3);
}

#[test]
fn one_starts_a_new_stream_and_forgetting_resets_the_baseline() {
    let (mut r, t) = (received(), topic("t"));
    r.observe(&t, node(1), 40);
    assert_eq!(r.observe(&t, node(1), 1), Seen::Fine);
    assert_eq!(r.observe(&t, node(1), 2), Seen::Fine);
    r.forget("t");
    assert_eq!(r.observe(&t, node(1), 90), Seen::Fine);
    r.clear();
    assert_eq!(r.observe(&t, node(1), 200), Seen::Fine);
    assert_eq!(r.size().0, 1);
}

#[test]
fn a_topic_remembers_a_bounded_number_of_senders_oldest_forgotten_first() {
    let (mut r, t) = (received(), topic("t"));
    for n in 0..10 {
        r.observe(&t, node(n), 5);
    }
    assert_eq!(r.size().0, 4);
    assert_eq!(r.evicted(), 6);
    assert_eq!(
        r.observe(&t, node(9), 7),
        Seen::Hole,
        "a recent sender is known"
    );
    assert_eq!(
        r.observe(&t, node(0), 7),
        Seen::Fine,
        "a forgotten one starts a new baseline"
    );
}

#[test]
fn a_flood_of_distinct_streams_stays_within_the_byte_limit_and_keeps_recent_ones() {
    let limit = 64 * 1024;
    let mut r = Received::new(Limits {
        bytes: limit,
        nodes_per_topic: 4,
    });
    let recent = topic("recent");
    for i in 0..100_000u128 {
        let t = topic(&format!("flood:{i}:{}", "x".repeat(200)));
        r.observe(&t, node(i), 3);
        if i % 100 == 0 {
            r.observe(
                &recent,
                node(u128::MAX),
                u64::try_from(i / 100 + 1).unwrap(),
            );
        }
        assert!(r.size().1 <= limit as u64, "{:?} after {i}", r.size());
        if i % 997 == 0 {
            let walked: usize = r
                .current
                .values()
                .chain(r.previous.values())
                .map(Vec::len)
                .sum();
            assert_eq!(
                r.size().0,
                walked as u64,
                "the kept count is the walked one"
            );
        }
    }
    assert!(r.evicted() > 99_000, "{}", r.evicted());
    let per_stream = TOPIC_BYTES + NODE_BYTES + 200;
    assert!(r.size().0 <= (limit / per_stream) as u64, "{:?}", r.size());
    assert_eq!(
        r.observe(&recent, node(u128::MAX), 1003),
        Seen::Hole,
        "a stream in use survives the flood"
    );
}

#[test]
fn sending_counts_per_topic_and_forgets_idle_topics() {
    let mut s = Sending::new(Duration::from_secs(10));
    let (x, y) = (topic("x"), topic("y"));
    let t0 = Instant::now();
    assert_eq!(s.next(&x, t0), 1);
    assert_eq!(s.next(&x, t0), 2);
    assert_eq!(s.next(&y, t0), 1);
    s.sweep(t0 + Duration::from_secs(6));
    assert_eq!(s.len(), 2, "not idle long enough");
    assert_eq!(s.next(&y, t0 + Duration::from_secs(6)), 2);
    s.sweep(t0 + Duration::from_secs(12));
    assert_eq!(s.len(), 1, "x was idle for 12 s");
    assert_eq!(s.next(&x, t0 + Duration::from_secs(12)), 1, "a new stream");
}
