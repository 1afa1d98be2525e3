//! Behaviour tests of projects-events through its public API.

mod best_effort;
mod embed;
mod fanout;
mod harness;
mod properties;
mod send_sync;
mod tenants;
mod topics;
mod wire;
