//! Behaviour tests of crm-events through its public API.

mod best_effort;
mod fanout;
mod involved;
mod properties;
mod send_sync;
mod support;
mod tenants;
mod topics;
mod wire;
