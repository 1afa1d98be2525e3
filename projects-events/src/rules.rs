//! The fan-out rules of SPEC.md as pure functions: which topics an event reaches.
//!
//! Each function returns the topics in a stable order, without duplicates (the topics of one
//! rule differ in their fixed parts, so none can repeat). [`topics_for`] gives the topics of any
//! [`ProjectsEvent`]; the broadcast functions are that plus a publish to each topic.

use pubsub_core::Topic;
use uuid::Uuid;

use crate::events::ProjectsEvent;
use crate::topics::{ALL, PROJECT, TASKS, TEMPLATES};

/// `broadcast_project`'s rule: `projects:all`, then `projects:templates` when `is_template` is
/// true, then `projects:project:<uuid>`.
///
/// ```
/// use projects_events::topics_for_project;
/// let uuid = uuid::Uuid::nil();
/// let names = |topics: Vec<pubsub_core::Topic>| topics.iter().map(|t| t.to_string()).collect::<Vec<_>>();
/// assert_eq!(
///     names(topics_for_project(uuid, false)),
///     ["projects:all", "projects:project:00000000-0000-0000-0000-000000000000"]
/// );
/// assert_eq!(topics_for_project(uuid, true)[1].as_str(), "projects:templates");
/// ```
pub fn topics_for_project(uuid: Uuid, is_template: bool) -> Vec<Topic> {
    let mut topics = Vec::with_capacity(3);
    topics.push(ALL);
    if is_template {
        topics.push(TEMPLATES);
    }
    topics.push(PROJECT.topic(uuid));
    topics
}

/// `broadcast_task`'s rule: `projects:all` and `projects:tasks`.
///
/// ```
/// use projects_events::{topics_for_task, ALL, TASKS};
/// assert_eq!(topics_for_task(), [ALL, TASKS]);
/// ```
pub fn topics_for_task() -> Vec<Topic> {
    vec![ALL, TASKS]
}

/// `broadcast_assignment`'s rule: `projects:all` and the parent project's
/// `projects:project:<project_uuid>`.
///
/// ```
/// use projects_events::{topic_project, topics_for_assignment, ALL};
/// let project = uuid::Uuid::nil();
/// assert_eq!(topics_for_assignment(project), [ALL, topic_project(project).into_topic()]);
/// ```
pub fn topics_for_assignment(project_uuid: Uuid) -> Vec<Topic> {
    vec![ALL, PROJECT.topic(project_uuid)]
}

/// `broadcast_dependency`'s rule: `projects:all` and the parent project's
/// `projects:project:<project_uuid>`.
///
/// ```
/// use projects_events::{topic_project, topics_for_dependency, ALL};
/// let project = uuid::Uuid::nil();
/// assert_eq!(topics_for_dependency(project), [ALL, topic_project(project).into_topic()]);
/// ```
pub fn topics_for_dependency(project_uuid: Uuid) -> Vec<Topic> {
    vec![ALL, PROJECT.topic(project_uuid)]
}

/// The topics any projects event reaches, by the rule of its kind. Payloads that cannot say
/// `is_template` (`project_modules_changed`, `work_logged`, ...) never reach
/// `projects:templates`.
///
/// Use it to list the topics a screen must hold, or to relay an event decoded elsewhere.
///
/// ```
/// use projects_events::{topics_for, ProjectRefPayload, ProjectsEvent};
/// let event = ProjectsEvent::WorkLogged(ProjectRefPayload { uuid: uuid::Uuid::nil() });
/// let names: Vec<String> = topics_for(&event).iter().map(ToString::to_string).collect();
/// assert_eq!(names, ["projects:all", "projects:project:00000000-0000-0000-0000-000000000000"]);
/// ```
pub fn topics_for(event: &ProjectsEvent) -> Vec<Topic> {
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
