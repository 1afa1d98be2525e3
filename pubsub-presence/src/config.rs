//! [`PresenceConfig`]: timings and bounds of a [`Presence`](crate::Presence).

use std::time::Duration;

/// How a [`Presence`](crate::Presence) node behaves. The defaults suit production; tests use
/// shorter times.
///
/// ```
/// use std::time::Duration;
/// use pubsub_presence::PresenceConfig;
///
/// let mut config = PresenceConfig::default();
/// assert_eq!(config.expiry, Duration::from_secs(15));
/// config.heartbeat = Duration::from_millis(250);
/// config.expiry = Duration::from_secs(1);
/// config.name = Some("web-1".to_owned());
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PresenceConfig {
    /// How often this node says it is alive. Default 3 s.
    pub heartbeat: Duration,
    /// How long a node may be silent before every other node drops its presences (a crash, or
    /// a network split). At least twice `heartbeat`. Default 15 s. Durations are at most a
    /// day.
    pub expiry: Duration,
    /// Changes within this window are sent as one diff per topic (a mass reconnect sends a few
    /// diffs, not one per presence). The first change after a quiet window goes at once.
    /// Default 20 ms.
    pub window: Duration,
    /// How long `follow` and `list` wait for the other nodes' states of a topic they did not
    /// hold yet; a state that comes later arrives as a diff. Default 1 s.
    pub sync_timeout: Duration,
    /// A stable name of this process (a host name, a pod name). A node that restarts under the
    /// same name replaces its previous run at once on every node, instead of after `expiry`.
    /// Default none.
    pub name: Option<String>,
    /// The first segment of the topics presence travels on: `<prefix>:nodes` for heartbeats
    /// and `<prefix>:t:<topic>` for a topic's presences. Default `"$presence"`.
    pub prefix: String,
    /// Events a follower buffers; one that falls further behind gets a full state instead of
    /// the diffs it missed. Default 64.
    pub follower_capacity: usize,
    /// Presences one node may have on one topic (its own, and what it accepts from each other
    /// node). Default 100,000.
    pub max_per_topic: usize,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(3),
            expiry: Duration::from_secs(15),
            window: Duration::from_millis(20),
            sync_timeout: Duration::from_secs(1),
            name: None,
            prefix: "$presence".to_owned(),
            follower_capacity: 64,
            max_per_topic: 100_000,
        }
    }
}

impl PresenceConfig {
    /// Settings for tests: heartbeats every 100 ms, expiry after 500 ms, syncs of 300 ms.
    ///
    /// ```
    /// # use pubsub_presence::PresenceConfig;
    /// assert!(PresenceConfig::fast().validate().is_ok());
    /// ```
    pub fn fast() -> Self {
        Self {
            heartbeat: Duration::from_millis(100),
            expiry: Duration::from_millis(500),
            sync_timeout: Duration::from_millis(300),
            ..Self::default()
        }
    }

    /// Checks the settings against each other.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use pubsub_presence::PresenceConfig;
    /// let mut config = PresenceConfig::default();
    /// config.expiry = config.heartbeat;
    /// assert!(config.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        let day = Duration::from_secs(24 * 3600);
        for (name, value) in [
            ("heartbeat", self.heartbeat),
            ("expiry", self.expiry),
            ("window", self.window),
            ("sync_timeout", self.sync_timeout),
        ] {
            if value > day {
                return Err(format!("{name} ({value:?}) must be at most a day"));
            }
        }
        if self.heartbeat.is_zero() {
            return Err("heartbeat must not be zero".to_owned());
        }
        if self.expiry < self.heartbeat * 2 {
            return Err(format!(
                "expiry ({:?}) must be at least twice the heartbeat ({:?})",
                self.expiry, self.heartbeat
            ));
        }
        if self.follower_capacity == 0 || self.max_per_topic == 0 {
            return Err("follower_capacity and max_per_topic must not be zero".to_owned());
        }
        if pubsub_core::Topic::new(format!("{}:nodes", self.prefix)).is_err() {
            return Err(format!(
                "prefix `{}` does not make valid topics",
                self.prefix
            ));
        }
        Ok(())
    }
}
