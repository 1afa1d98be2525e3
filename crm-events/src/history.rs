//! The history this domain suggests for its topics (see `pubsub_core::history`).

use std::time::Duration;

use pubsub_core::history::{HistoryConfig, HistoryPolicy};

/// The history this crate suggests for its topics (a contact's or company's interaction feed, the mailing lists): the last 100 messages of each
/// topic, for 5 minutes, so a screen that slept or reconnected catches up instead of
/// reloading. Events carry identifiers only, so a kept message is small. The prefix is the
/// domain's own (`crm:`), which also covers tenant-scoped topics (`Scoped` threads the tenant
/// in after it). Merge it into the backend's configuration:
///
/// ```
/// use pubsub_core::MemoryBroker;
/// use pubsub_core::history::HistoryConfig;
///
/// let history = HistoryConfig::new().merge(&crm_events::suggested_history());
/// assert!(history.policy_for("crm:contact:00000000-0000-0000-0000-000000000001:interactions").is_some());
/// let broker = MemoryBroker::builder().history(history).build();
/// # let _ = broker;
/// ```
pub fn suggested_history() -> HistoryConfig {
    HistoryConfig::new().prefix("crm:", HistoryPolicy::new(100, Duration::from_secs(300)))
}
