//! [`NodeId`] and [`MetaId`]: who owns a presence, and which one it is.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One run of a [`Presence`](crate::Presence): random at every start, so a node that restarts
/// is a new node and nothing of its previous run can come back under its name.
///
/// ```
/// use pubsub_presence::NodeId;
/// let (a, b) = (NodeId::random(), NodeId::random());
/// assert_ne!(a, b);
/// assert_eq!(a.to_string().len(), 16); // hex
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(u64);

impl NodeId {
    /// No node: refused on the wire.
    pub(crate) const ZERO: NodeId = NodeId(0);

    /// A fresh random id.
    ///
    /// ```
    /// # use pubsub_presence::NodeId;
    /// assert_ne!(NodeId::random(), NodeId::random());
    /// ```
    pub fn random() -> Self {
        // 64 random bits of a v4 UUID; zero is kept for "no node".
        let bits = uuid::Uuid::new_v4().as_u64_pair().0;
        Self(bits.max(1))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({self})")
    }
}

/// One tracked presence (Phoenix's `phx_ref`): the node that tracks it and a number unique on
/// that node. A user in two tabs is one key with two metas, each with its own id; an update keeps
/// the id.
///
/// ```
/// use pubsub_presence::{MetaId, NodeId};
/// let node = NodeId::random();
/// let id = MetaId::new(node, 7);
/// assert_eq!(id.node(), node);
/// assert_eq!(id.to_string(), format!("{node}-7"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MetaId {
    node: NodeId,
    seq: u64,
}

impl MetaId {
    /// The id of the `seq`-th presence tracked by `node`.
    ///
    /// ```
    /// # use pubsub_presence::{MetaId, NodeId};
    /// let node = NodeId::random();
    /// assert_ne!(MetaId::new(node, 1), MetaId::new(node, 2));
    /// ```
    pub fn new(node: NodeId, seq: u64) -> Self {
        Self { node, seq }
    }

    /// The node that tracks it.
    ///
    /// ```
    /// # use pubsub_presence::{MetaId, NodeId};
    /// let node = NodeId::random();
    /// assert_eq!(MetaId::new(node, 1).node(), node);
    /// ```
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// Its number on that node.
    ///
    /// ```
    /// # use pubsub_presence::{MetaId, NodeId};
    /// assert_eq!(MetaId::new(NodeId::random(), 3).seq(), 3);
    /// ```
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

impl fmt::Display for MetaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.node, self.seq)
    }
}

impl fmt::Debug for MetaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MetaId({self})")
    }
}
