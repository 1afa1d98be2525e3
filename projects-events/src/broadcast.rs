//! The broadcast functions of SPEC.md: a rule of [`rules`](crate::rules) plus a best-effort
//! publish to each of its topics.
//!
//! Call them after the database commit. They never fail and never panic in the caller: each is
//! built on the core's typed [`pubsub_core::broadcast_event`] (the rule's topics and the event
//! are both [`ProjectsEvent`], or both [`EmbedEvent`] for embeds), which logs a failed publish
//! with `tracing` (topic, domain, event, error), counts it, and carries on with the other topics.
//! The returned [`BroadcastReport`] says how many topics were tried and how many failed; ignoring
//! it is fine.

use pubsub_core::{BroadcastReport, Broker, TypedTopic, broadcast_event};

use crate::events::{
    AssignmentKind, DependencyChange, DependencyPayload, EmbedEvent, EmbedIntent, EmbedPayload,
    ProjectKind, ProjectsEvent, TaskChange, TaskPayload,
};
use crate::rules::topics_for;

/// Publishes `event` to the topics its rule gives.
async fn send<B: Broker + ?Sized>(broker: &B, event: ProjectsEvent) -> BroadcastReport {
    let topics = topics_for(&event);
    broadcast_event(broker, &topics, event).await
}

/// Broadcasts a project event to `projects:all` and `projects:project:<uuid>`, and, when the
/// payload says `is_template: true`, to `projects:templates`. Best-effort.
///
/// The kind fixes the payload type: [`ProjectChange`](crate::ProjectChange) with a
/// [`ProjectPayload`](crate::ProjectPayload), [`ProjectActivity`](crate::ProjectActivity) with a
/// [`ProjectRefPayload`](crate::ProjectRefPayload) (never a template),
/// [`ModulesChanged`](crate::ModulesChanged) with a
/// [`ProjectModulesPayload`](crate::ProjectModulesPayload) (never a template).
///
/// ```
/// use projects_events::{broadcast_project, subscribe, topic_templates, ProjectChange, ProjectPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut templates = subscribe(&broker, &topic_templates()).await?;
///
/// // After the transaction that saved the template committed:
/// let mut payload = ProjectPayload::new(uuid::Uuid::new_v4(), "Bathroom template");
/// payload.is_template = true;
/// let report = broadcast_project(&broker, ProjectChange::Created, payload).await;
/// assert_eq!((report.topics, report.failed), (3, 0));
/// assert!(templates.try_recv().is_ok());
/// # Ok(()) }
/// ```
pub async fn broadcast_project<B: Broker + ?Sized, K: ProjectKind>(
    broker: &B,
    kind: K,
    payload: K::Payload,
) -> BroadcastReport {
    send(broker, kind.event(payload)).await
}

/// Broadcasts a task-library event to `projects:all` and `projects:tasks`. Best-effort.
///
/// ```
/// use projects_events::{broadcast_task, TaskChange, TaskPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let payload = TaskPayload { uuid: uuid::Uuid::new_v4(), title: "Order tiles".into() };
/// let report = broadcast_task(&broker, TaskChange::Created, payload).await;
/// assert_eq!(report.topics, 2);
/// # }
/// ```
pub async fn broadcast_task<B: Broker + ?Sized>(
    broker: &B,
    change: TaskChange,
    payload: TaskPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}

/// Broadcasts an assignment event to `projects:all` and the parent project's
/// `projects:project:<project_uuid>`. Best-effort.
///
/// The kind fixes the payload type: [`AssignmentChange`](crate::AssignmentChange) with an
/// [`AssignmentPayload`](crate::AssignmentPayload), [`AssignmentsReordered`](crate::AssignmentsReordered)
/// with an [`AssignmentReorderedPayload`](crate::AssignmentReorderedPayload).
///
/// ```
/// use projects_events::{broadcast_assignment, AssignmentChange, AssignmentPayload, AssignmentReorderedPayload, AssignmentsReordered};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let project_uuid = uuid::Uuid::new_v4();
/// let payload = AssignmentPayload { uuid: uuid::Uuid::new_v4(), project_uuid };
/// broadcast_assignment(&broker, AssignmentChange::Created, payload).await;
/// broadcast_assignment(&broker, AssignmentsReordered, AssignmentReorderedPayload { project_uuid }).await;
/// # }
/// ```
pub async fn broadcast_assignment<B: Broker + ?Sized, K: AssignmentKind>(
    broker: &B,
    kind: K,
    payload: K::Payload,
) -> BroadcastReport {
    send(broker, kind.event(payload)).await
}

/// Broadcasts a dependency event to `projects:all` and the parent project's
/// `projects:project:<project_uuid>`. Best-effort.
///
/// ```
/// use projects_events::{broadcast_dependency, DependencyChange, DependencyPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let (a, b, project) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let payload = DependencyPayload { assignment_uuid: a, depends_on_uuid: b, project_uuid: project };
/// assert!(broadcast_dependency(&broker, DependencyChange::Added, payload).await.is_complete());
/// # }
/// ```
pub async fn broadcast_dependency<B: Broker + ?Sized>(
    broker: &B,
    change: DependencyChange,
    payload: DependencyPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}

/// Broadcasts an embed UI intent (`opened`, `closed`, `saved`, `deleted`) with a host-defined
/// payload to the host's topic, and nowhere else. Best-effort.
///
/// ```
/// use projects_events::{broadcast_embed, topic_embed, EmbedEvent, EmbedIntent, EmbedPayload};
/// use pubsub_core::{BrokerExt, Delivery, Topic};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let host = topic_embed(Topic::new("host:popup:42")?);
/// let mut popup_host = broker.subscribe_events(&host).await?;
///
/// let mut payload = EmbedPayload::new();
/// payload.insert("project_uuid".to_owned(), "p-1".into());
/// broadcast_embed(&broker, &host, EmbedIntent::Saved, payload).await;
///
/// assert!(matches!(popup_host.try_recv()?, Delivery::Message(e) if matches!(*e, EmbedEvent::Saved(_))));
/// # Ok(()) }
/// ```
pub async fn broadcast_embed<B: Broker + ?Sized>(
    broker: &B,
    topic: &TypedTopic<EmbedEvent>,
    intent: EmbedIntent,
    payload: EmbedPayload,
) -> BroadcastReport {
    broadcast_event(broker, std::slice::from_ref(topic), intent.event(payload)).await
}
