//! The history this domain suggests for its topics (see `pubsub_core::history`).

use std::time::Duration;

use pubsub_core::history::{HistoryConfig, HistoryPolicy};

/// The history this crate suggests for its topics (a project page, the projects and tasks lists): the last 100 messages of each
/// topic, for 5 minutes, so a screen that slept or reconnected catches up instead of
/// reloading. Events carry identifiers only, so a kept message is small. The prefix is the
/// domain's own (`projects:`), which also covers tenant-scoped topics (`Scoped` threads the tenant
/// in after it). Merge it into the backend's configuration:
///
/// ```
/// use pubsub_core::MemoryBroker;
/// use pubsub_core::history::HistoryConfig;
///
/// let history = HistoryConfig::new().merge(&projects_events::suggested_history());
/// assert!(history.policy_for("projects:all").is_some());
/// let broker = MemoryBroker::builder().history(history).build();
/// # let _ = broker;
/// ```
pub fn suggested_history() -> HistoryConfig {
    HistoryConfig::new().prefix(
        "projects:",
        HistoryPolicy::new(100, Duration::from_secs(300)),
    )
}
