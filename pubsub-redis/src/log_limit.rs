//! Log lines that hostile input cannot multiply: the core's [`LogLimit`](pubsub_core::log_limit::LogLimit).

pub(crate) use pubsub_core::log_limit::LogLimit;
