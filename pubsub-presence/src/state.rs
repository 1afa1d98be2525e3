//! One topic's presences as this node knows them: each owner's entries at its diff clock.
//!
//! Every entry has exactly one owner (the node that tracks it), and only the owner changes it,
//! so the replica needs no merging: it keeps, per owner, the entries and the clock of the last
//! diff applied. A diff applies when its `prev` is that clock (0: the owner had none), is a
//! duplicate when its clock is not newer, and is a *hole* otherwise (a message was lost: ask the
//! owner for its state). A state replaces the owner's entries. Clock 0 means "no entries": an
//! owner whose entries are all gone is forgotten, and the owner restarts its clock at 0.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::id::{MetaId, NodeId};

/// One presence: its key and its metadata's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) key: Arc<str>,
    pub(crate) meta: Arc<str>,
}

/// What a change did, as the followers see it: presences that left, then those that joined.
/// An update is a leave of the old metadata and a join of the new one, with the same id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) leaves: Vec<(MetaId, Entry)>,
    pub(crate) joins: Vec<(MetaId, Entry)>,
}

impl Change {
    pub(crate) fn is_empty(&self) -> bool {
        self.leaves.is_empty() && self.joins.is_empty()
    }

    /// Puts both lists in key then id order, once for every follower: each follower's decode
    /// then groups them in one pass instead of sorting its own copy.
    pub(crate) fn sort(&mut self) {
        let in_order =
            |a: &(MetaId, Entry), b: &(MetaId, Entry)| a.1.key.cmp(&b.1.key).then(a.0.cmp(&b.0));
        self.leaves.sort_unstable_by(in_order);
        self.joins.sort_unstable_by(in_order);
    }
}

/// The outcome of a diff.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Applied: this changed.
    Done(Change),
    /// Already applied (its clock is not newer than the owner's).
    Duplicate,
    /// Its `prev` is not what this replica has: something was lost in between.
    Hole,
}

#[derive(Debug, Default)]
struct Owned {
    clock: u64,
    entries: HashMap<u64, Entry>,
}

/// One topic's presences, by owner, and in key order (kept as they change, so a snapshot of
/// 10,000 is a walk, not a sort).
#[derive(Debug, Default)]
pub(crate) struct Replica {
    owners: HashMap<NodeId, Owned>,
    order: BTreeMap<(Arc<str>, MetaId), Arc<str>>,
}

impl Replica {
    /// The clock of `node`'s last applied diff or state (0: none of its entries are known).
    pub(crate) fn clock(&self, node: NodeId) -> u64 {
        self.owners.get(&node).map_or(0, |owned| owned.clock)
    }

    /// How many entries `node` has here.
    pub(crate) fn count(&self, node: NodeId) -> usize {
        self.owners
            .get(&node)
            .map_or(0, |owned| owned.entries.len())
    }

    /// Every presence, in key order, then id order (the order a typed view is built in).
    pub(crate) fn snapshot(&self) -> Vec<(MetaId, Entry)> {
        self.order
            .iter()
            .map(|((key, id), meta)| {
                let entry = Entry {
                    key: Arc::clone(key),
                    meta: Arc::clone(meta),
                };
                (*id, entry)
            })
            .collect()
    }

    /// The snapshot made from the owners' maps, for checking the index.
    #[cfg(test)]
    pub(crate) fn snapshot_by_owner(&self) -> Vec<(MetaId, Entry)> {
        let mut all: Vec<(MetaId, Entry)> = self
            .owners
            .iter()
            .flat_map(|(node, owned)| {
                owned
                    .entries
                    .iter()
                    .map(|(seq, entry)| (MetaId::new(*node, *seq), entry.clone()))
            })
            .collect();
        all.sort_unstable_by(|(a, x), (b, y)| x.key.cmp(&y.key).then(a.cmp(b)));
        all
    }

    fn index(&mut self, id: MetaId, old: Option<&Entry>, new: Option<&Entry>) {
        if let Some(old) = old {
            self.order.remove(&(Arc::clone(&old.key), id));
        }
        if let Some(new) = new {
            self.order
                .insert((Arc::clone(&new.key), id), Arc::clone(&new.meta));
        }
    }

    /// `node`'s entries, in number order.
    pub(crate) fn entries_of(&self, node: NodeId) -> Vec<(u64, Entry)> {
        let mut entries: Vec<(u64, Entry)> = self
            .owners
            .get(&node)
            .map(|owned| owned.entries.iter().map(|(s, e)| (*s, e.clone())).collect())
            .unwrap_or_default();
        entries.sort_unstable_by_key(|(seq, _)| *seq);
        entries
    }

    /// Applies `node`'s diff from `prev` to `clock`.
    pub(crate) fn apply_diff(
        &mut self,
        node: NodeId,
        prev: u64,
        clock: u64,
        joins: impl IntoIterator<Item = (u64, Entry)>,
        leaves: &[u64],
    ) -> Applied {
        let known = self.clock(node);
        if known != 0 && clock <= known {
            return Applied::Duplicate;
        }
        if prev != known {
            return Applied::Hole;
        }
        let owned = self.owners.entry(node).or_default();
        owned.clock = clock;
        let mut change = Change::default();
        // The index follows in the same order (a diff may name one number twice).
        let mut steps: Vec<(MetaId, Option<Entry>, Option<Entry>)> = Vec::new();
        for seq in leaves {
            if let Some(old) = owned.entries.remove(seq) {
                let id = MetaId::new(node, *seq);
                steps.push((id, Some(old.clone()), None));
                change.leaves.push((id, old));
            }
        }
        for (seq, entry) in joins {
            let id = MetaId::new(node, seq);
            match owned.entries.insert(seq, entry.clone()) {
                Some(old) if old == entry => {}
                Some(old) => {
                    steps.push((id, Some(old.clone()), Some(entry.clone())));
                    change.leaves.push((id, old));
                    change.joins.push((id, entry));
                }
                None => {
                    steps.push((id, None, Some(entry.clone())));
                    change.joins.push((id, entry));
                }
            }
        }
        if owned.entries.is_empty() {
            self.owners.remove(&node);
        }
        for (id, old, new) in &steps {
            self.index(*id, old.as_ref(), new.as_ref());
        }
        Applied::Done(change)
    }

    /// Replaces `node`'s entries with its state as of `clock`. A state always wins: it left
    /// its owner after every diff before it on the same topic, and an owner's clock restarts
    /// at 0 when it has no entries left, so a lower clock is no sign of an older state.
    pub(crate) fn apply_state(
        &mut self,
        node: NodeId,
        clock: u64,
        entries: HashMap<u64, Entry>,
    ) -> Change {
        let old = self.owners.remove(&node).unwrap_or_default();
        let mut change = Change::default();
        for (seq, entry) in &old.entries {
            match entries.get(seq) {
                Some(new) if new == entry => {}
                _ => change.leaves.push((MetaId::new(node, *seq), entry.clone())),
            }
        }
        for (seq, entry) in &entries {
            if old.entries.get(seq) != Some(entry) {
                change.joins.push((MetaId::new(node, *seq), entry.clone()));
            }
        }
        for (id, old) in &change.leaves {
            self.index(*id, Some(old), None);
        }
        for (id, new) in &change.joins {
            self.index(*id, None, Some(new));
        }
        if !entries.is_empty() {
            self.owners.insert(node, Owned { clock, entries });
        }
        change.leaves.sort_unstable_by_key(|(id, _)| *id);
        change.joins.sort_unstable_by_key(|(id, _)| *id);
        change
    }

    /// Forgets `node` (it left or expired): all its entries leave.
    pub(crate) fn remove_owner(&mut self, node: NodeId) -> Change {
        self.apply_state(node, 0, HashMap::new())
    }

    /// How many entries `node` would have after a diff with these joins and leaves (an update
    /// of an entry it has is not a new one).
    pub(crate) fn count_after(&self, node: NodeId, joins: &[u64], leaves: &[u64]) -> usize {
        let Some(owned) = self.owners.get(&node) else {
            return joins.len();
        };
        let left = leaves
            .iter()
            .filter(|seq| owned.entries.contains_key(seq))
            .count();
        let new = joins
            .iter()
            .filter(|seq| !owned.entries.contains_key(seq) || leaves.contains(seq))
            .count();
        owned.entries.len() - left + new
    }

    /// Forgets every owner but `keep`, with no change reported (nobody here follows).
    pub(crate) fn retain_only(&mut self, keep: NodeId) {
        self.owners.retain(|node, _| *node == keep);
        self.order.retain(|(_, id), _| id.node() == keep);
    }

    /// Sets this node's own entry (`None`: removes it); returns what it was. Own entries change
    /// here at once; their diff is made when the topic is flushed ([`Pending`]).
    pub(crate) fn set_own(&mut self, me: NodeId, seq: u64, entry: Option<&Entry>) -> Option<Entry> {
        let id = MetaId::new(me, seq);
        let owned = self.owners.entry(me).or_default();
        let old = match entry {
            Some(entry) => owned.entries.insert(seq, entry.clone()),
            None => owned.entries.remove(&seq),
        };
        if owned.entries.is_empty() && owned.clock == 0 {
            self.owners.remove(&me);
        }
        self.index(id, old.as_ref(), entry);
        old
    }

    /// Sets this node's own clock after a flush; with no entries left, it restarts at 0.
    pub(crate) fn set_own_clock(&mut self, me: NodeId, clock: u64) {
        match self.owners.get_mut(&me) {
            Some(owned) if owned.entries.is_empty() => {
                self.owners.remove(&me);
            }
            Some(owned) => owned.clock = clock,
            None => {}
        }
    }
}

/// What changed on a topic since its last flush, per presence: what it was then and what it is
/// now. A join and a leave of the same presence within one window cancel out; the followers'
/// diff and the owner's wire diff are both made from it.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    changes: BTreeMap<MetaId, (Option<Entry>, Option<Entry>)>,
}

impl Pending {
    /// Notes that `id` went from `before` to `after`.
    pub(crate) fn note(&mut self, id: MetaId, before: Option<Entry>, after: Option<Entry>) {
        self.changes
            .entry(id)
            .and_modify(|(_, now)| now.clone_from(&after))
            .or_insert((before, after));
    }

    /// Notes every presence of `change`.
    pub(crate) fn note_change(&mut self, change: Change) {
        for (id, entry) in change.leaves {
            self.note(id, Some(entry), None);
        }
        for (id, entry) in change.joins {
            let before = self.changes.get(&id).and_then(|(_, now)| now.clone());
            self.note(id, before, Some(entry));
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// `now` (a replica's snapshot) as it was at the last flush: what a new follower starts
    /// from, since the next flush gives it the pending changes as a diff.
    pub(crate) fn as_flushed(&self, now: Vec<(MetaId, Entry)>) -> Vec<(MetaId, Entry)> {
        if self.changes.is_empty() {
            return now;
        }
        let mut view: BTreeMap<MetaId, Entry> = now.into_iter().collect();
        for (id, (before, _)) in &self.changes {
            match before {
                Some(entry) => view.insert(*id, entry.clone()),
                None => view.remove(id),
            };
        }
        view.into_iter().collect()
    }

    /// Takes what changed: the followers' change and, of `me`'s own presences, the wire diff's
    /// joins (number, entry) and leaves (numbers).
    pub(crate) fn take(&mut self, me: NodeId) -> (Change, Vec<(u64, Entry)>, Vec<u64>) {
        let mut change = Change::default();
        let (mut joins, mut leaves) = (Vec::new(), Vec::new());
        for (id, (before, after)) in std::mem::take(&mut self.changes) {
            if before == after {
                continue;
            }
            let own = id.node() == me;
            if let Some(before) = before {
                change.leaves.push((id, before));
                if own && after.is_none() {
                    leaves.push(id.seq());
                }
            }
            if let Some(after) = after {
                if own {
                    joins.push((id.seq(), after.clone()));
                }
                change.joins.push((id, after));
            }
        }
        (change, joins, leaves)
    }
}

#[cfg(test)]
mod tests;
