use super::*;

fn entry(key: &str, meta: &str) -> Entry {
    Entry {
        key: key.into(),
        meta: meta.into(),
    }
}

#[test]
fn diffs_apply_in_clock_order_and_a_missing_one_is_a_hole() {
    let mut replica = Replica::default();
    let node = NodeId::random();
    let applied = replica.apply_diff(node, 0, 3, [(1, entry("ada", "1"))], &[]);
    assert!(matches!(applied, Applied::Done(ref c) if c.joins.len() == 1));
    assert_eq!(
        replica.apply_diff(node, 0, 3, [(1, entry("ada", "1"))], &[]),
        Applied::Duplicate
    );
    // Clock 5 comes after 4, which never arrived.
    assert_eq!(
        replica.apply_diff(node, 4, 5, [(2, entry("bob", "1"))], &[]),
        Applied::Hole
    );
    assert_eq!(replica.count(node), 1);
    let applied = replica.apply_diff(node, 3, 4, [(2, entry("bob", "1"))], &[1]);
    let Applied::Done(change) = applied else {
        panic!("{applied:?}")
    };
    assert_eq!(change.leaves.len(), 1);
    assert_eq!(change.joins.len(), 1);
    assert_eq!(replica.clock(node), 4);
}

#[test]
fn an_owner_with_no_entries_left_is_forgotten_and_starts_again_from_zero() {
    let mut replica = Replica::default();
    let node = NodeId::random();
    replica.apply_diff(node, 0, 1, [(1, entry("ada", "1"))], &[]);
    replica.apply_diff(node, 1, 2, [], &[1]);
    assert_eq!(replica.clock(node), 0);
    let again = replica.apply_diff(node, 0, 9, [(2, entry("ada", "2"))], &[]);
    assert!(matches!(again, Applied::Done(_)));
}

#[test]
fn a_state_replaces_an_owners_entries_and_reports_the_difference() {
    let mut replica = Replica::default();
    let node = NodeId::random();
    replica.apply_diff(
        node,
        0,
        1,
        [(1, entry("ada", "1")), (2, entry("bob", "1"))],
        &[],
    );
    let state = HashMap::from([(2, entry("bob", "2")), (3, entry("cy", "1"))]);
    let change = replica.apply_state(node, 7, state);
    let ids = |v: &[(MetaId, Entry)]| v.iter().map(|(id, _)| id.seq()).collect::<Vec<_>>();
    assert_eq!(ids(&change.leaves), [1, 2]);
    assert_eq!(ids(&change.joins), [2, 3]);
    let change = replica.remove_owner(node);
    assert_eq!(change.leaves.len(), 2);
    assert!(replica.snapshot().is_empty());
}

#[test]
fn a_join_and_a_leave_within_one_window_cancel_out() {
    let me = NodeId::random();
    let mut pending = Pending::default();
    let id = MetaId::new(me, 1);
    pending.note(id, None, Some(entry("ada", "1")));
    pending.note(id, Some(entry("ada", "1")), None);
    let (change, joins, leaves) = pending.take(me);
    assert!(change.is_empty() && joins.is_empty() && leaves.is_empty());
}

#[test]
fn an_update_is_a_leave_and_a_join_of_the_same_id_on_the_wire_a_join() {
    let me = NodeId::random();
    let mut pending = Pending::default();
    let id = MetaId::new(me, 1);
    pending.note(id, Some(entry("ada", "1")), Some(entry("ada", "2")));
    let (change, joins, leaves) = pending.take(me);
    assert_eq!(change.leaves, [(id, entry("ada", "1"))]);
    assert_eq!(change.joins, [(id, entry("ada", "2"))]);
    assert_eq!(joins, [(1, entry("ada", "2"))]);
    assert!(leaves.is_empty());
}

#[test]
fn remote_changes_noted_in_a_window_merge_per_presence() {
    let me = NodeId::random();
    let other = NodeId::random();
    let id = MetaId::new(other, 4);
    let mut pending = Pending::default();
    pending.note_change(Change {
        leaves: Vec::new(),
        joins: vec![(id, entry("ada", "1"))],
    });
    pending.note_change(Change {
        leaves: vec![(id, entry("ada", "1"))],
        joins: vec![(id, entry("ada", "2"))],
    });
    let (change, joins, leaves) = pending.take(me);
    assert!(change.leaves.is_empty());
    assert_eq!(change.joins, [(id, entry("ada", "2"))]);
    assert!(joins.is_empty() && leaves.is_empty(), "not ours to send");
}

#[test]
fn a_new_follower_starts_from_the_state_as_of_the_last_flush() {
    let me = NodeId::random();
    let (kept, joined, updated, left) = (
        MetaId::new(me, 1),
        MetaId::new(me, 2),
        MetaId::new(me, 3),
        MetaId::new(me, 4),
    );
    let mut pending = Pending::default();
    pending.note(joined, None, Some(entry("new", "1")));
    pending.note(updated, Some(entry("upd", "1")), Some(entry("upd", "2")));
    pending.note(left, Some(entry("gone", "1")), None);
    let now = vec![
        (kept, entry("kept", "1")),
        (joined, entry("new", "1")),
        (updated, entry("upd", "2")),
    ];
    let flushed = pending.as_flushed(now);
    assert_eq!(
        flushed,
        [
            (kept, entry("kept", "1")),
            (updated, entry("upd", "1")),
            (left, entry("gone", "1")),
        ]
    );
}

#[test]
fn an_empty_state_at_clock_zero_replaces_what_a_replica_knows_of_its_owner() {
    // The owner's clock for a topic restarts at 0 when its entries there are gone, so its
    // answer to a sync is `state {clock: 0, entries: []}`: it must not be taken as stale.
    let mut replica = Replica::default();
    let node = NodeId::random();
    replica.apply_diff(node, 0, 5, [(1, entry("ada", "1"))], &[]);
    // The leave (5 -> 6) was lost; the owner now has nothing and answers a sync so.
    let change = replica.apply_state(node, 0, HashMap::new());
    assert_eq!(change.leaves.len(), 1, "the empty state was ignored");
    assert!(replica.snapshot().is_empty(), "ada is a zombie");
}

#[test]
fn an_update_or_a_swap_is_not_counted_as_a_new_entry() {
    let mut replica = Replica::default();
    let node = NodeId::random();
    replica.apply_diff(node, 0, 1, [(1, entry("ada", "1"))], &[]);
    assert_eq!(replica.count_after(node, &[1], &[]), 1, "an update");
    assert_eq!(replica.count_after(node, &[2], &[1]), 1, "a swap");
    assert_eq!(replica.count_after(node, &[2], &[]), 2, "a new one");
    assert_eq!(
        replica.count_after(NodeId::random(), &[1, 2], &[]),
        2,
        "a new owner"
    );
}

mod index {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Diff(usize, Vec<(u64, u8, u8)>, Vec<u64>),
        State(usize, Vec<(u64, u8, u8)>),
        Own(u64, Option<(u8, u8)>),
        Remove(usize),
        RetainOnlyMe,
    }

    fn op() -> impl Strategy<Value = Op> {
        let entries = || prop::collection::vec((0..6u64, 0..4u8, 0..3u8), 0..5);
        prop_oneof![
            (0..2usize, entries(), prop::collection::vec(0..6u64, 0..3))
                .prop_map(|(n, j, l)| Op::Diff(n, j, l)),
            (0..2usize, entries()).prop_map(|(n, e)| Op::State(n, e)),
            (0..6u64, prop::option::of((0..4u8, 0..3u8))).prop_map(|(s, e)| Op::Own(s, e)),
            (0..2usize).prop_map(Op::Remove),
            Just(Op::RetainOnlyMe),
        ]
    }

    fn make(key: u8, meta: u8) -> Entry {
        entry(&format!("k{key}"), &meta.to_string())
    }

    proptest! {
        /// The key-ordered index always equals what the owners' maps hold.
        #[test]
        fn the_key_order_index_matches_the_owners(ops in prop::collection::vec(op(), 1..40)) {
            let me = NodeId::random();
            let others = [NodeId::random(), NodeId::random()];
            let mut replica = Replica::default();
            let mut clocks = [0u64; 2];
            for op in ops {
                match op {
                    Op::Diff(n, joins, leaves) => {
                        let prev = replica.clock(others[n]);
                        clocks[n] = clocks[n].max(prev) + 1;
                        let joins = joins.into_iter().map(|(s, k, m)| (s, make(k, m)));
                        let _ = replica.apply_diff(others[n], prev, clocks[n], joins, &leaves);
                    }
                    Op::State(n, entries) => {
                        let entries = entries.into_iter().map(|(s, k, m)| (s, make(k, m))).collect();
                        clocks[n] += 1;
                        replica.apply_state(others[n], clocks[n], entries);
                    }
                    Op::Own(seq, entry) => {
                        replica.set_own(me, seq, entry.map(|(k, m)| make(k, m)).as_ref());
                    }
                    Op::Remove(n) => {
                        replica.remove_owner(others[n]);
                    }
                    Op::RetainOnlyMe => replica.retain_only(me),
                }
                prop_assert_eq!(replica.snapshot(), replica.snapshot_by_owner());
            }
        }
    }
}
