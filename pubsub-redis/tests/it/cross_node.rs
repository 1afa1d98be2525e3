//! cross_node
