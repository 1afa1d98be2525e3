//! Behaviour tests of catalogue-events through its public API.

mod best_effort;
mod concerns;
mod fanout;
mod properties;
mod send_sync;
mod tenants;
mod topics;
mod wire;
