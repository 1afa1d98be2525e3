//! Broadcasts are best-effort: a broken broker is logged and counted, never the caller's problem.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use projects_events::{
    AssignmentChange, AssignmentPayload, DependencyChange, DependencyPayload, EmbedIntent,
    EmbedPayload, ProjectChange, ProjectKind, ProjectPayload, TaskChange, TaskPayload,
    broadcast_assignment, broadcast_dependency, broadcast_embed, broadcast_project, broadcast_task,
    topic_embed, topic_project,
};
use pubsub_core::{
    Broker, Error, MemoryBroker, Message, Subscription, Topic, async_trait, broadcast_failures,
};
use tracing_subscriber::util::SubscriberInitExt;

use crate::harness::{ASSIGNMENT, DEPENDS_ON, PROJECT, Screens, TASK, project};

/// What a test broker does on publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Error,
    Panic,
}

/// A broker whose publish always fails, one way or the other, except for the topics it lets
/// through to an inner memory broker.
#[derive(Debug)]
struct BrokenBroker {
    failure: Failure,
    inner: MemoryBroker,
    passes: Vec<Topic>,
}

impl BrokenBroker {
    fn new(failure: Failure) -> Self {
        BrokenBroker {
            failure,
            inner: MemoryBroker::new(),
            passes: Vec::new(),
        }
    }
}

#[async_trait]
impl Broker for BrokenBroker {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        if self.passes.contains(topic) {
            return self.inner.publish(topic, message).await;
        }
        match self.failure {
            Failure::Error => Err(Error::Timeout {
                operation: "publish",
                after: std::time::Duration::from_millis(5),
            }),
            Failure::Panic => panic!("test broker exploded on {topic}"),
        }
    }

    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        self.inner.subscribe(topic).await
    }

    async fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.inner.add_topic(subscription, topic).await
    }

    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        self.inner.remove_topic(subscription, topic)
    }
}

/// Captured log output.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Routes this thread's `tracing` events here until the guard drops.
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish()
            .set_default()
    }
}

fn template() -> ProjectPayload {
    let mut payload = ProjectPayload::new(PROJECT, "Roof template");
    payload.is_template = true;
    payload
}

async fn every_broadcast_function_absorbs(failure: Failure) {
    let broker = BrokenBroker::new(failure);
    let before = broadcast_failures();

    let report = broadcast_project(&broker, ProjectChange::Created, template()).await;
    assert_eq!((report.topics, report.failed), (3, 3));
    let task = TaskPayload {
        uuid: TASK,
        title: "Tiles".to_owned(),
    };
    let report = broadcast_task(&broker, TaskChange::Updated, task).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let assignment = AssignmentPayload {
        uuid: ASSIGNMENT,
        project_uuid: PROJECT,
    };
    let report = broadcast_assignment(&broker, AssignmentChange::Deleted, assignment).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let dependency = DependencyPayload {
        assignment_uuid: ASSIGNMENT,
        depends_on_uuid: DEPENDS_ON,
        project_uuid: PROJECT,
    };
    let report = broadcast_dependency(&broker, DependencyChange::Added, dependency).await;
    assert_eq!((report.topics, report.failed), (2, 2));
    let host = topic_embed(Topic::new("host:popup:1").unwrap());
    let report = broadcast_embed(&broker, &host, EmbedIntent::Saved, EmbedPayload::new()).await;
    assert_eq!((report.topics, report.failed), (1, 1));

    // Other tests may fail publishes concurrently, so the process-wide counter grows by at least ours.
    assert!(broadcast_failures() >= before + 10);
}

#[tokio::test]
async fn a_broker_whose_publish_fails_costs_the_caller_nothing_and_is_counted() {
    every_broadcast_function_absorbs(Failure::Error).await;
}

#[tokio::test]
async fn a_broker_whose_publish_panics_costs_the_caller_nothing_and_is_counted() {
    every_broadcast_function_absorbs(Failure::Panic).await;
}

#[tokio::test]
async fn a_failed_publish_is_logged_with_topic_domain_event_and_error() {
    let logs = LogBuffer::default();
    let _guard = logs.capture();
    let broker = BrokenBroker::new(Failure::Error);
    broadcast_project(&broker, ProjectChange::Archived, template()).await;

    let text = logs.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "one line per failed topic:\n{text}");
    for (line, topic) in lines
        .iter()
        .zip(["projects:all", "projects:templates", &project(PROJECT)])
    {
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains(topic), "{line}");
        assert!(line.contains("projects"), "{line}");
        assert!(line.contains("project_archived"), "{line}");
        assert!(line.contains("timed out"), "{line}");
    }
}

#[tokio::test]
async fn a_panicking_publish_is_logged_with_the_panic_message() {
    let logs = LogBuffer::default();
    let _guard = logs.capture();
    let broker = BrokenBroker::new(Failure::Panic);
    let task = TaskPayload {
        uuid: TASK,
        title: "Tiles".to_owned(),
    };
    broadcast_task(&broker, TaskChange::Deleted, task).await;

    let text = logs.text();
    assert!(text.contains("projects:tasks"), "{text}");
    assert!(text.contains("task_deleted"), "{text}");
    assert!(text.contains("test broker exploded"), "{text}");
}

#[tokio::test]
async fn one_failing_topic_does_not_stop_the_others() {
    let mut broker = BrokenBroker::new(Failure::Error);
    broker.passes = vec![topic_project(PROJECT).into_topic()];
    let mut screens = Screens::watch(&broker.inner).await;

    let payload = ProjectPayload::new(PROJECT, "Roof");
    let report = broadcast_project(&broker, ProjectChange::Updated, payload.clone()).await;
    assert_eq!((report.topics, report.failed), (2, 1));
    assert!(!report.is_complete());
    screens.assert_only(&ProjectChange::Updated.event(payload), &[project(PROJECT)]);
}
