//! [`BroadcastCall`]: one best-effort broadcast, its report and the log lines it wrote, for the
//! domain crates' exact best-effort tests.

use std::future::Future;

use crate::broadcast::FAILURE_MESSAGE;
use crate::{BroadcastReport, testing::LogCapture};

/// One broadcast function's call: its event, the topics it had to try (written out by the test,
/// not taken from the rules under test), its report, and the log lines written while it ran.
///
/// ```
/// use pubsub_core::{broadcast, Message, Topic};
/// use pubsub_core::testing::{BroadcastCall, FailingBroker, LogCapture, TestEvent};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::TopicError> {
/// let logs = LogCapture::new();
/// let _guard = logs.install();
/// let event = TestEvent::Numbered { seq: 1, label: String::new() };
/// let topics = [Topic::new("t:a")?, Topic::new("t:b")?];
/// let call = BroadcastCall::record(&logs, "conformance", "numbered", vec!["t:a".into(), "t:b".into()],
///     broadcast(&FailingBroker, &topics, Message::new(event))).await;
/// BroadcastCall::assert_all_failed_and_logged_once(&[call], "the broker is closed");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct BroadcastCall {
    /// The domain its log lines must name.
    pub domain: &'static str,
    /// The event its log lines must name.
    pub event: &'static str,
    /// The topics it had to try.
    pub topics: Vec<String>,
    /// What it reported.
    pub report: BroadcastReport,
    /// The log lines written while it ran.
    pub logged: Vec<String>,
}

impl BroadcastCall {
    /// Runs `broadcast` and keeps its report and the lines `logs` captured meanwhile.
    pub async fn record(
        logs: &LogCapture,
        domain: &'static str,
        event: &'static str,
        topics: Vec<String>,
        broadcast: impl Future<Output = BroadcastReport>,
    ) -> Self {
        let before = logs.contents().lines().count();
        let report = broadcast.await;
        let logged = logs
            .contents()
            .lines()
            .skip(before)
            .map(str::to_owned)
            .collect();
        BroadcastCall {
            domain,
            event,
            topics,
            report,
            logged,
        }
    }

    /// Asserts that every publish of every call failed, was reported, and was logged exactly
    /// once, as a WARN naming its topic, the domain, the event and `error`.
    ///
    /// # Panics
    ///
    /// When that is not so.
    pub fn assert_all_failed_and_logged_once(calls: &[BroadcastCall], error: &str) {
        for call in calls {
            let n = call.topics.len();
            assert_eq!(
                call.report,
                BroadcastReport {
                    topics: n,
                    failed: n
                },
                "{call:#?}"
            );
            assert_eq!(
                call.logged.len(),
                n,
                "one log line per failed publish: {call:#?}"
            );
            for topic in &call.topics {
                let field = format!("topic=\"{topic}\"");
                let lines: Vec<&String> =
                    call.logged.iter().filter(|l| l.contains(&field)).collect();
                assert_eq!(lines.len(), 1, "{topic} logged once: {call:#?}");
                let line = lines[0];
                assert!(
                    line.contains("WARN") && line.contains(FAILURE_MESSAGE),
                    "{line}"
                );
                let domain = format!("domain=\"{}\"", call.domain);
                assert!(line.contains(&domain), "names the domain: {line}");
                let event = format!("event=\"{}\"", call.event);
                assert!(line.contains(&event), "names the event: {line}");
                assert!(line.contains(error), "carries the error: {line}");
            }
        }
    }

    /// Asserts that every publish of every call succeeded and nothing was logged.
    ///
    /// # Panics
    ///
    /// When that is not so.
    pub fn assert_all_complete(calls: &[BroadcastCall]) {
        for call in calls {
            let n = call.topics.len();
            assert_eq!(
                call.report,
                BroadcastReport {
                    topics: n,
                    failed: 0
                },
                "{call:#?}"
            );
            assert!(call.logged.is_empty(), "nothing logged: {call:#?}");
        }
    }
}
