//! Admission: which connection a published envelope goes out on, and how many may await
//! Redis's answer there at once.
//!
//! On one server the publisher has one connection, admitting [`MAX_IN_FLIGHT`]. On a cluster it
//! has one cluster connection per primary (as many as the cluster had primaries when it
//! connected), each admitting [`CLUSTER_IN_FLIGHT`]. A cluster connection is the `redis`
//! client's: one routing task hands each request to its node's connection, whose queue holds
//! 50 (fixed in `redis` 1.8). Requests do not keep their order past that task when it is
//! loaded: past 50 waiting for one node, or with every primary's pipeline full on one cluster
//! connection (120 in flight), some reached the wire in another order than their numbers, which
//! gave the receiving nodes holes for messages that all arrived (`tests/it/concurrent.rs`). At
//! 40 in flight on a cluster connection they keep it.
//!
//! So each primary's topics go out on a cluster connection of their own, found from the
//! envelope's hash slot by the slots' owners as the subscriber link last read them
//! (`CLUSTER SLOTS`, at connect and each ping interval; see [`Shared::cluster_topology`]):
//! each shard gets a full pipeline of its own however many there are (one connection for all
//! would give each of three shards a third of it: smaller batches, more Redis CPU per
//! message), and a shard that stops answering holds back only the publishes to its own slots.
//! A primary keeps its connection while it owns slots; a primary that joins later shares the
//! connection with the fewest primaries. Until the owners are known (and for a slot no primary
//! owns) the first connection serves. A topic whose slot moves to another primary goes out on
//! that primary's connection from then on, so its next envelopes may overtake the last ones
//! still queued on the old one: it is resubscribed on its new shard with a gap notice or a
//! recovery anyway.
//!
//! A closed gate marks the publisher's connections lost (the client saw one close, or a
//! publish on one failed): they are all replaced before they are written to again. On a
//! cluster a publish that times out closes no gate: it opens its connection's own circuit
//! (`shard_circuit.rs`), which replaces that connection alone.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::cluster::{SLOTS, Topology};
use crate::conn::Conn;
use crate::shard_circuit::{Breaker, ShardCircuit};
use crate::shared::Shared;

/// Envelopes awaiting Redis's answer on one server's connection, at most.
pub(crate) const MAX_IN_FLIGHT: usize = 4096;
/// The same per cluster connection (see the module's docs).
pub(crate) const CLUSTER_IN_FLIGHT: usize = 40;

/// The publisher's connections and their gates (`C`: the connection; a stand-in in tests).
#[derive(Debug)]
pub(crate) struct Admission<C = Conn> {
    /// One on a single server; on a cluster one per primary at connect (at least one).
    gates: Vec<Gate<C>>,
    /// A cluster's gate for each hash slot, as an index into `gates`; empty when the first
    /// gate serves every slot.
    owners: Box<[u16]>,
    /// Cluster: which gate each primary (`"host:port"`) was given, kept while it owns slots.
    assigned: Vec<(String, u16)>,
    /// Cluster: the version of [`Shared::cluster_topology`] the owners come from (0: none
    /// yet); `None` on one server.
    version: Option<u64>,
}

/// One connection and its admission slots.
#[derive(Debug)]
pub(crate) struct Gate<C = Conn> {
    pub(crate) conn: C,
    pub(crate) slots: Arc<Semaphore>,
    /// Cluster: this connection's circuit (`shard_circuit.rs`); `None` on one server, whose
    /// circuit is the node's.
    pub(crate) circuit: Option<Arc<ShardCircuit>>,
}

impl<C> Admission<C> {
    /// One server's connection, with its admission `slots` ([`MAX_IN_FLIGHT`]: made before
    /// the connection, whose loss closes them).
    pub(crate) fn single(conn: C, slots: Arc<Semaphore>) -> Self {
        Admission {
            gates: vec![Gate {
                conn,
                slots,
                circuit: None,
            }],
            owners: Box::default(),
            assigned: Vec::new(),
            version: None,
        }
    }

    /// A cluster's connections (at least one), whose slots' owners are not known yet: the
    /// first serves every slot until [`follow`](Self::follow) finds them.
    pub(crate) fn cluster(conns: Vec<C>) -> Self {
        let gates: Vec<Gate<C>> = conns
            .into_iter()
            .map(|conn| Gate {
                conn,
                slots: Arc::new(Semaphore::new(CLUSTER_IN_FLIGHT)),
                circuit: Some(Arc::default()),
            })
            .collect();
        assert!(!gates.is_empty(), "a cluster publisher has a connection");
        Admission {
            gates,
            owners: Box::default(),
            assigned: Vec::new(),
            version: Some(0),
        }
    }

    /// The gate of an envelope for hash slot `slot` (`None` on one server, or for any slot).
    #[cfg(test)]
    pub(crate) fn gate(&self, slot: Option<u16>) -> &Gate<C> {
        &self.gates[self.index(slot)]
    }

    /// The same, to replace its connection.
    pub(crate) fn gate_mut(&mut self, slot: Option<u16>) -> &mut Gate<C> {
        let index = self.index(slot);
        &mut self.gates[index]
    }

    fn index(&self, slot: Option<u16>) -> usize {
        slot.and_then(|slot| self.owners.get(usize::from(slot)))
            .map_or(0, |&index| usize::from(index))
    }

    /// Whether no gate was closed.
    pub(crate) fn live(&self) -> bool {
        self.gates.iter().all(|gate| !gate.slots.is_closed())
    }

    /// Closes every gate: publishes waiting for a slot go and connect again.
    pub(crate) fn close(&self) {
        for gate in &self.gates {
            gate.slots.close();
        }
    }

    /// Cluster: takes up the slots' owners the link read last, when they changed since these
    /// gates last looked.
    pub(crate) fn follow(&mut self, shared: &Shared) {
        let Some(version) = self.version else {
            return;
        };
        if shared.cluster_topology_version() == version || !self.live() {
            return; // unchanged, or about to be replaced with the connections
        }
        if let Some((now, topology)) = shared.cluster_topology() {
            self.adopt(&topology, now);
        }
    }

    /// Maps each slot to its primary's gate. A primary seen before keeps its gate; a new one
    /// gets the gate with the fewest primaries; one that owns no slot any more is forgotten.
    fn adopt(&mut self, topology: &Topology, version: u64) {
        self.version = Some(version);
        let primaries = topology.primaries();
        if primaries.is_empty() {
            return;
        }
        self.assigned
            .retain(|(known, _)| primaries.iter().any(|(primary, _)| primary == known));
        for (primary, _) in &primaries {
            if self.assigned.iter().any(|(known, _)| known == primary) {
                continue;
            }
            let mut load = vec![0_usize; self.gates.len()];
            for (_, gate) in &self.assigned {
                load[usize::from(*gate)] += 1;
            }
            let least = (0..load.len()).min_by_key(|&i| load[i]).unwrap_or(0);
            let least = u16::try_from(least).unwrap_or(0);
            self.assigned.push(((*primary).to_owned(), least));
        }
        let mut owners = vec![0_u16; usize::from(SLOTS)].into_boxed_slice();
        for (first, last, owner) in topology.ranges() {
            let Some((_, gate)) = self.assigned.iter().find(|(known, _)| known == owner) else {
                continue;
            };
            for slot in first..=last.min(SLOTS - 1) {
                owners[usize::from(slot)] = *gate;
            }
        }
        self.owners = owners;
    }
}

impl<C> Gate<C> {
    /// Cluster: takes the connection its circuit's probe made (taking it closed the circuit),
    /// with fresh admission slots: the old connection's are held by envelopes its silent shard
    /// never answered.
    fn replace(&mut self, conn: C) {
        self.conn = conn;
        self.slots = Arc::new(Semaphore::new(CLUSTER_IN_FLIGHT));
    }

    /// Cluster: what an envelope for `slot` on this connection trips when it times out.
    pub(crate) fn breaker(&self, slot: Option<u16>) -> Option<Breaker> {
        self.circuit.clone().zip(slot)
    }
}

impl Gate {
    /// Whether this connection may be written to: its circuit is shut, or open with a probe's
    /// replacement ready, which is taken now (shutting it). `false` while its shard is down.
    pub(crate) fn usable(&mut self) -> bool {
        let Some(circuit) = self.circuit.as_ref().filter(|c| c.is_open()) else {
            return true;
        };
        match circuit.take_ready() {
            Some(replacement) => {
                self.replace(replacement);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests;
