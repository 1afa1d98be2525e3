//! Behaviour tests of pubsub-core through its public API.

// Reason: short names (`t`, `a`, `b`) and `ptr::eq(&*x, &*y)` read best in tests.
#![allow(clippy::many_single_char_names, clippy::borrow_as_ptr)]

mod backend;
mod broadcast;
mod conformance;
mod history;
mod hot;
mod live;
mod memory;
mod metrics;
mod properties;
mod send_sync;
mod tenant;
mod typed;
