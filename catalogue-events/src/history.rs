//! The history this domain suggests for its topics (see `pubsub_core::history`).

use std::time::Duration;

use pubsub_core::history::{HistoryConfig, HistoryPolicy};

/// The history this crate suggests for its topics (the one catalogue topic every catalogue screen holds): the last 200 messages of each
/// topic, for 5 minutes, so a screen that slept or reconnected catches up instead of
/// reloading. Events carry identifiers only, so a kept message is small. The prefix is the
/// domain's own (`phoenix_kit_catalogue`), which also covers tenant-scoped topics (`Scoped` threads the tenant
/// in after it). Merge it into the backend's configuration:
///
/// ```
/// use pubsub_core::MemoryBroker;
/// use pubsub_core::history::HistoryConfig;
///
/// let history = HistoryConfig::new().merge(&catalogue_events::suggested_history());
/// assert!(history.policy_for("phoenix_kit_catalogue").is_some());
/// let broker = MemoryBroker::builder().history(history).build();
/// # let _ = broker;
/// ```
pub fn suggested_history() -> HistoryConfig {
    HistoryConfig::new().prefix(
        "phoenix_kit_catalogue",
        HistoryPolicy::new(200, Duration::from_secs(300)),
    )
}
