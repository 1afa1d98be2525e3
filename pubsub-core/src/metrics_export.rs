//! Export of a broker's counters and gauges through the [`metrics`] facade (feature `metrics`),
//! so an app scrapes them with the exporter it already installed (Prometheus, `StatsD`, ...).

use std::time::Duration;

use crate::memory::MemoryBroker;

/// Metric names, all labelled `broker` (and `prefix` for the per-prefix ones).
pub mod names {
    /// Counter: publish calls.
    pub const PUBLISHED: &str = "pubsub_published_total";
    /// Counter: messages queued for subscribers.
    pub const DELIVERED: &str = "pubsub_delivered_total";
    /// Counter: messages dropped because a subscriber fell behind (each reported to it).
    pub const LAGGED: &str = "pubsub_lagged_total";
    /// Counter: received messages that did not decode (logged and skipped).
    pub const DECODE_ERRORS: &str = "pubsub_decode_errors_total";
    /// Counter: gap notices queued.
    pub const GAPS: &str = "pubsub_gaps_total";
    /// Counter: reconnections of a network backend.
    pub const RECONNECTS: &str = "pubsub_reconnects_total";
    /// Gauge: topics with at least one subscriber.
    pub const TOPICS: &str = "pubsub_topics";
    /// Gauge: live subscriptions (per broker) or (subscription, topic) pairs (per prefix).
    pub const SUBSCRIBERS: &str = "pubsub_subscribers";
}

impl MemoryBroker {
    /// Records the current counters and gauges with the installed `metrics` recorder, labelled
    /// `broker = label` (and `prefix = ..` for per-prefix figures, when enabled). Counters are set
    /// to their absolute values, so calling this periodically is all an app needs; see
    /// [`spawn_metrics_export`](Self::spawn_metrics_export).
    ///
    /// ```
    /// # use pubsub_core::MemoryBroker;
    /// let broker = MemoryBroker::builder().prefix_stats(true).build();
    /// broker.export_metrics("main"); // a no-op until the app installs a recorder
    /// ```
    pub fn export_metrics(&self, label: &str) {
        let stats = self.stats();
        let broker = label.to_owned();
        let counter = |name: &'static str, value: u64| {
            metrics::counter!(name, "broker" => broker.clone()).absolute(value);
        };
        counter(names::PUBLISHED, stats.published);
        counter(names::DELIVERED, stats.delivered);
        counter(names::LAGGED, stats.lagged);
        counter(names::DECODE_ERRORS, stats.decode_errors);
        counter(names::GAPS, stats.gaps);
        counter(names::RECONNECTS, stats.reconnects);
        metrics::gauge!(names::TOPICS, "broker" => broker.clone()).set(stats.topics as f64);
        metrics::gauge!(names::SUBSCRIBERS, "broker" => broker.clone())
            .set(stats.subscriptions as f64);
        for prefix in self.prefix_stats().unwrap_or_default() {
            let labels = [
                ("broker", broker.clone()),
                ("prefix", prefix.prefix.clone()),
            ];
            metrics::counter!(names::PUBLISHED, &labels).absolute(prefix.published);
            metrics::counter!(names::DELIVERED, &labels).absolute(prefix.delivered);
            metrics::counter!(names::LAGGED, &labels).absolute(prefix.lagged);
            metrics::gauge!(names::TOPICS, &labels).set(prefix.topics as f64);
            metrics::gauge!(names::SUBSCRIBERS, &labels).set(prefix.subscribers as f64);
        }
    }

    /// Spawns a tokio task that calls [`export_metrics`](Self::export_metrics) every `every`,
    /// until the broker is dropped.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use pubsub_core::MemoryBroker;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let broker = MemoryBroker::new();
    /// let exporter = broker.spawn_metrics_export("main", Duration::from_secs(10));
    /// # exporter.abort();
    /// # }
    /// ```
    pub fn spawn_metrics_export(
        &self,
        label: &str,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let weak = self.downgrade();
        let label = label.to_owned();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(broker) = MemoryBroker::upgrade(&weak) else {
                    return;
                };
                broker.export_metrics(&label);
            }
        })
    }
}
