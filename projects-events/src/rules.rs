//! The fan-out rules of SPEC.md as pure functions: which topics an event reaches.
//!
//! Each function returns typed topics, `Vec<TypedTopic<ProjectsEvent>>`, in a stable order and
//! without duplicates (the topics of one rule differ in their fixed parts, so none can repeat).
//! [`topics_for`] gives the topics of any [`ProjectsEvent`]; the broadcast functions are that
//! plus [`pubsub_core::broadcast_event`] to those topics, so the topics and the event cannot be of
//! different domains.

use pubsub_core::TypedTopic;
use uuid::Uuid;

use crate::events::ProjectsEvent;
use crate::topics::{topic_all, topic_project, topic_tasks, topic_templates};

/// `broadcast_project`'s rule: `projects:all`, then `projects:templates` when `is_template` is
/// true, then `projects:project:<uuid>`.
///
/// ```
/// use projects_events::topics_for_project;
/// let uuid = uuid::Uuid::nil();
/// let names = |topics: Vec<_>| topics.iter().map(ToString::to_string).collect::<Vec<_>>();
/// assert_eq!(
///     names(topics_for_project(uuid, false)),
///     ["projects:all", "projects:project:00000000-0000-0000-0000-000000000000"]
/// );
/// assert_eq!(topics_for_project(uuid, true)[1].as_str(), "projects:templates");
/// ```
pub fn topics_for_project(uuid: Uuid, is_template: bool) -> Vec<TypedTopic<ProjectsEvent>> {
    let mut topics = Vec::with_capacity(3);
    topics.push(topic_all());
    if is_template {
        topics.push(topic_templates());
    }
    topics.push(topic_project(uuid));
    topics
}

/// `broadcast_task`'s rule: `projects:all` and `projects:tasks`.
///
/// ```
/// use projects_events::{topic_all, topic_tasks, topics_for_task};
/// assert_eq!(topics_for_task(), [topic_all(), topic_tasks()]);
/// ```
pub fn topics_for_task() -> Vec<TypedTopic<ProjectsEvent>> {
    vec![topic_all(), topic_tasks()]
}

/// `broadcast_assignment`'s rule: `projects:all` and the parent project's
/// `projects:project:<project_uuid>`.
///
/// ```
/// use projects_events::{topic_all, topic_project, topics_for_assignment};
/// let project = uuid::Uuid::nil();
/// assert_eq!(topics_for_assignment(project), [topic_all(), topic_project(project)]);
/// ```
pub fn topics_for_assignment(project_uuid: Uuid) -> Vec<TypedTopic<ProjectsEvent>> {
    vec![topic_all(), topic_project(project_uuid)]
}

/// `broadcast_dependency`'s rule: `projects:all` and the parent project's
/// `projects:project:<project_uuid>`.
///
/// ```
/// use projects_events::{topic_all, topic_project, topics_for_dependency};
/// let project = uuid::Uuid::nil();
/// assert_eq!(topics_for_dependency(project), [topic_all(), topic_project(project)]);
/// ```
pub fn topics_for_dependency(project_uuid: Uuid) -> Vec<TypedTopic<ProjectsEvent>> {
    vec![topic_all(), topic_project(project_uuid)]
}

/// The topics any projects event reaches, by the rule of its kind. Payloads that cannot say
/// `is_template` (`project_modules_changed`, `work_logged`, ...) never reach
/// `projects:templates`.
///
/// Use it to list the topics a screen must hold (they are typed, so
/// [`BrokerExt::subscribe_events_all`](pubsub_core::BrokerExt::subscribe_events_all) opens one
/// subscription on all of them), or to relay an event decoded elsewhere.
///
/// ```
/// use projects_events::{topics_for, ProjectRefPayload, ProjectsEvent};
/// use pubsub_core::BrokerExt;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let event = ProjectsEvent::WorkLogged(ProjectRefPayload { uuid: uuid::Uuid::nil() });
/// let topics = topics_for(&event);
/// let names: Vec<String> = topics.iter().map(ToString::to_string).collect();
/// assert_eq!(names, ["projects:all", "projects:project:00000000-0000-0000-0000-000000000000"]);
///
/// let broker = pubsub_core::MemoryBroker::new();
/// let screen = broker.subscribe_events_all(&topics[0], &topics[1..]).await?;
/// assert!(topics.iter().all(|topic| screen.contains(topic)));
/// # Ok(()) }
/// ```
pub fn topics_for(event: &ProjectsEvent) -> Vec<TypedTopic<ProjectsEvent>> {
    match event {
        ProjectsEvent::ProjectCreated(p)
        | ProjectsEvent::ProjectUpdated(p)
        | ProjectsEvent::ProjectStatusChanged(p)
        | ProjectsEvent::ProjectDeleted(p)
        | ProjectsEvent::ProjectStarted(p)
        | ProjectsEvent::ProjectArchived(p)
        | ProjectsEvent::ProjectUnarchived(p)
        | ProjectsEvent::ProjectCompleted(p)
        | ProjectsEvent::ProjectReopened(p) => topics_for_project(p.uuid, p.is_template),
        ProjectsEvent::ProjectModulesChanged(p) => topics_for_project(p.uuid, false),
        ProjectsEvent::ProjectFeaturesChanged(p)
        | ProjectsEvent::ProjectGrantsChanged(p)
        | ProjectsEvent::ProjectInvoiceGenerated(p)
        | ProjectsEvent::ProjectLabelsChanged(p)
        | ProjectsEvent::WorkLogged(p)
        | ProjectsEvent::ProjectMembersChanged(p)
        | ProjectsEvent::PortalRotated(p)
        | ProjectsEvent::ProjectEventCreated(p)
        | ProjectsEvent::ProjectEventUpdated(p)
        | ProjectsEvent::ProjectEventDeleted(p)
        | ProjectsEvent::WhiteboardCreated(p)
        | ProjectsEvent::WhiteboardUpdated(p)
        | ProjectsEvent::WhiteboardDeleted(p) => topics_for_project(p.uuid, false),
        ProjectsEvent::TaskCreated(_)
        | ProjectsEvent::TaskUpdated(_)
        | ProjectsEvent::TaskDeleted(_) => topics_for_task(),
        ProjectsEvent::AssignmentCreated(p)
        | ProjectsEvent::AssignmentUpdated(p)
        | ProjectsEvent::AssignmentDeleted(p) => topics_for_assignment(p.project_uuid),
        ProjectsEvent::AssignmentReordered(p) => topics_for_assignment(p.project_uuid),
        ProjectsEvent::DependencyAdded(p) | ProjectsEvent::DependencyRemoved(p) => {
            topics_for_dependency(p.project_uuid)
        }
    }
}
