use std::time::{Duration, Instant};

use super::{Received, Seen, Sending};

#[test]
fn consecutive_numbers_are_fine_and_a_skip_is_a_hole() {
    let mut r = Received::default();
    assert_eq!(
        r.observe("", "a", 5),
        Seen::Fine,
        "first seen sets the baseline"
    );
    assert_eq!(r.observe("", "a", 6), Seen::Fine);
    assert_eq!(r.observe("", "a", 9), Seen::Hole);
    assert_eq!(r.observe("", "a", 10), Seen::Fine);
    assert_eq!(r.observe("", "a", 4), Seen::Stale);
    assert_eq!(
        r.observe("", "a", 11),
        Seen::Fine,
        "a stale number does not move the mark"
    );
}

#[test]
fn streams_are_separate_per_node_and_scope() {
    let mut r = Received::default();
    r.observe("t1", "a", 1);
    r.observe("t2", "a", 7);
    r.observe("t1", "b", 3);
    assert_eq!(r.observe("t1", "a", 2), Seen::Fine);
    assert_eq!(r.observe("t2", "a", 8), Seen::Fine);
    assert_eq!(r.observe("t1", "b", 4), Seen::Fine);
}

#[test]
fn one_starts_a_new_stream_and_forgetting_resets_the_baseline() {
    let mut r = Received::default();
    r.observe("t", "a", 40);
    assert_eq!(r.observe("t", "a", 1), Seen::Fine);
    assert_eq!(r.observe("t", "a", 2), Seen::Fine);
    r.forget("t");
    assert_eq!(r.observe("t", "a", 90), Seen::Fine);
    r.clear();
    assert_eq!(r.observe("t", "a", 200), Seen::Fine);
}

#[test]
fn sending_counts_per_channel_and_forgets_idle_channels() {
    let mut s = Sending::new(Duration::from_secs(10));
    let t0 = Instant::now();
    assert_eq!(s.next("x", t0), 1);
    assert_eq!(s.next("x", t0), 2);
    assert_eq!(s.next("y", t0), 1);
    s.sweep(t0 + Duration::from_secs(6));
    assert_eq!(s.len(), 2, "not idle long enough");
    assert_eq!(s.next("y", t0 + Duration::from_secs(6)), 2);
    s.sweep(t0 + Duration::from_secs(12));
    assert_eq!(s.len(), 1, "x was idle for 12 s");
    assert_eq!(s.next("x", t0 + Duration::from_secs(12)), 1, "a new stream");
}
