//! Behaviour tests of staff-events through its public API.

mod best_effort;
mod fanout;
mod harness;
mod properties;
mod send_sync;
mod tenants;
mod topics;
mod wire;
