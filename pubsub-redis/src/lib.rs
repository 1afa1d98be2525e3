//! The `pubsub-core` [`Broker`](pubsub_core::Broker) across many nodes, on Redis pub/sub.
//!
//! TODO docs

mod broker;
mod config;
mod envelope;
mod error;
mod inbound;
mod interest;
mod link;
mod publisher;
mod sequence;
mod shared;
mod stats;

pub use broker::RedisBroker;
pub use config::{ChannelMode, RedisConfig};
pub use envelope::VERSION as ENVELOPE_VERSION;
pub use error::Error;
pub use stats::RedisStats;
