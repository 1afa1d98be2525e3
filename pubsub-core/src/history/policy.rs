//! [`HistoryPolicy`] and [`HistoryConfig`]: which topics keep history, how much and how long.

use std::sync::Arc;
use std::time::Duration;

/// The most messages one topic's history keeps (a policy's size is clamped to it): it bounds a
/// recovery's memory and work.
pub const MAX_HISTORY_SIZE: usize = 10_000;

/// How much history a topic keeps: at most `size` messages, none older than `max_age`.
///
/// The size is also the recovery cap: a subscriber that missed more than `size` messages is
/// told to reload rather than replayed a partial history.
///
/// ```
/// use std::time::Duration;
/// use pubsub_core::history::{HistoryPolicy, MAX_HISTORY_SIZE};
/// let policy = HistoryPolicy::new(200, Duration::from_secs(600));
/// assert_eq!((policy.size(), policy.max_age()), (200, Duration::from_secs(600)));
/// assert_eq!(HistoryPolicy::new(usize::MAX, Duration::ZERO).size(), MAX_HISTORY_SIZE);
/// assert_eq!(HistoryPolicy::new(0, Duration::ZERO).max_age(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPolicy {
    size: usize,
    max_age: Duration,
}

impl HistoryPolicy {
    /// At most `size` messages (1..=[`MAX_HISTORY_SIZE`]), each kept at most `max_age` (at
    /// least 1 s; whole seconds on Redis, rounded up).
    pub fn new(size: usize, max_age: Duration) -> Self {
        HistoryPolicy {
            size: size.clamp(1, MAX_HISTORY_SIZE),
            max_age: max_age.max(Duration::from_secs(1)),
        }
    }

    /// The most messages kept.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How long a message is kept.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }
}

/// Which topics keep history: policies by topic prefix, the longest matching prefix winning.
///
/// Given to [`MemoryBrokerBuilder::history`](crate::MemoryBrokerBuilder::history) or a network
/// backend's configuration. A domain crate may suggest a configuration for its topics (a contact
/// feed, a project page) without depending on a backend; configurations merge with
/// [`merge`](Self::merge).
///
/// ```
/// use std::time::Duration;
/// use pubsub_core::history::{HistoryConfig, HistoryPolicy};
/// let minute = Duration::from_secs(60);
/// let config = HistoryConfig::new()
///     .prefix("crm:", HistoryPolicy::new(50, minute))
///     .prefix("crm:contact:", HistoryPolicy::new(200, minute));
/// assert_eq!(config.policy_for("crm:contact:42").map(|p| p.size()), Some(200));
/// assert_eq!(config.policy_for("crm:activities").map(|p| p.size()), Some(50));
/// assert!(config.policy_for("projects:all").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryConfig {
    /// Longest prefix first.
    rules: Arc<[(Box<str>, HistoryPolicy)]>,
}

impl HistoryConfig {
    /// No topic keeps history.
    pub fn new() -> Self {
        HistoryConfig::default()
    }

    /// Topics starting with `prefix` keep history under `policy` (an empty prefix: every
    /// topic). A prefix given again replaces its policy.
    #[must_use]
    pub fn prefix(self, prefix: &str, policy: HistoryPolicy) -> Self {
        let mut rules: Vec<(Box<str>, HistoryPolicy)> = self
            .rules
            .iter()
            .filter(|(p, _)| &**p != prefix)
            .cloned()
            .collect();
        rules.push((prefix.into(), policy));
        rules.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        HistoryConfig {
            rules: rules.into(),
        }
    }

    /// This configuration with every rule of `other` added (`other`'s policy wins for a
    /// prefix both have).
    #[must_use]
    pub fn merge(self, other: &HistoryConfig) -> Self {
        other.rules.iter().fold(self, |config, (prefix, policy)| {
            config.prefix(prefix, *policy)
        })
    }

    /// The policy of `topic`, if it keeps history.
    pub fn policy_for(&self, topic: &str) -> Option<&HistoryPolicy> {
        self.rules
            .iter()
            .find(|(prefix, _)| topic.starts_with(&**prefix))
            .map(|(_, policy)| policy)
    }

    /// Whether no topic keeps history.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, longest prefix first.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &HistoryPolicy)> + '_ {
        self.rules
            .iter()
            .map(|(prefix, policy)| (&**prefix, policy))
    }
}
