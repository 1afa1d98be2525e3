//! Behaviour tests of pubsub-presence: one node, several nodes on one in-memory broker (with a
//! broker wrapper that cuts a node off, as a crash does, or loses chosen messages), and nodes on
//! a real Redis, one of them a separate process that is killed.

mod conformance;
mod edges;
mod harness;
mod hostile;
mod nodes;
mod one_node;
mod props;
mod redis;
