//! The wire enums: [`ProjectsEvent`] (content events) and [`EmbedEvent`] (embed UI intents).
//!
//! Both serialise as `{"event": "<atom text>", "payload": {...}}`, the Rust form of the Elixir
//! message `{:projects, :project_created, %{uuid: ..}}`; the domain tag `projects` travels beside
//! them in the [`Message`](pubsub_core::Message).

mod kinds;
mod payloads;

use pubsub_core::Event;
use serde::{Deserialize, Serialize};

pub use kinds::{
    AssignmentChange, AssignmentKind, AssignmentsReordered, DependencyChange, EmbedIntent,
    ModulesChanged, ProjectActivity, ProjectChange, ProjectKind, TaskChange,
};
pub use payloads::{
    AssignmentPayload, AssignmentReorderedPayload, DependencyPayload, EmbedPayload,
    ProjectModulesPayload, ProjectPayload, ProjectRefPayload, TaskPayload,
};

/// The domain tag of every projects message (`:projects` in Elixir).
pub const DOMAIN: &str = "projects";

/// Every content event of the projects domain, as subscribers of the `projects:*` topics receive
/// it. Variant names mirror the Elixir atoms; the wire name is the atom's text.
///
/// Publishers do not build these by hand: the broadcast functions take a kind and a payload
/// ([`broadcast_project`](crate::broadcast_project) with a [`ProjectChange`], ...) and make the
/// right variant. Subscribers match on them.
///
/// ```
/// use projects_events::{ProjectPayload, ProjectsEvent};
/// use pubsub_core::Event;
/// # let uuid = uuid::Uuid::nil();
///
/// let event = ProjectsEvent::ProjectCreated(ProjectPayload::new(uuid, "Roof"));
/// assert_eq!(event.name(), "project_created");
/// let json = serde_json::to_string(&event)?;
/// assert!(json.starts_with(r#"{"event":"project_created","payload":{"uuid":"#));
///
/// // An event name this version does not know is an error that names it.
/// let err = serde_json::from_str::<ProjectsEvent>(r#"{"event":"project_exploded","payload":{}}"#)
///     .unwrap_err();
/// assert!(err.to_string().contains("project_exploded"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum ProjectsEvent {
    /// `project_created`: a project or template was created.
    ProjectCreated(ProjectPayload),
    /// `project_updated`: a project's fields changed.
    ProjectUpdated(ProjectPayload),
    /// `project_status_changed`: a project moved to another status.
    ProjectStatusChanged(ProjectPayload),
    /// `project_deleted`: a project was deleted.
    ProjectDeleted(ProjectPayload),
    /// `project_started`: a project was started.
    ProjectStarted(ProjectPayload),
    /// `project_archived`: a project was archived.
    ProjectArchived(ProjectPayload),
    /// `project_unarchived`: a project was taken out of the archive.
    ProjectUnarchived(ProjectPayload),
    /// `project_completed`: a project was completed.
    ProjectCompleted(ProjectPayload),
    /// `project_reopened`: a completed project was reopened.
    ProjectReopened(ProjectPayload),
    /// `project_modules_changed`: an extension module was switched on or off for a project.
    ProjectModulesChanged(ProjectModulesPayload),
    /// `project_features_changed`: a project's feature switches changed.
    ProjectFeaturesChanged(ProjectRefPayload),
    /// `project_grants_changed`: a project's access grants changed.
    ProjectGrantsChanged(ProjectRefPayload),
    /// `project_invoice_generated`: an invoice was generated for a project.
    ProjectInvoiceGenerated(ProjectRefPayload),
    /// `project_labels_changed`: a project's labels changed.
    ProjectLabelsChanged(ProjectRefPayload),
    /// `work_logged`: work was logged, edited or removed on a project.
    WorkLogged(ProjectRefPayload),
    /// `project_members_changed`: a project's members changed.
    ProjectMembersChanged(ProjectRefPayload),
    /// `portal_rotated`: a project's portal link was rotated.
    PortalRotated(ProjectRefPayload),
    /// `project_event_created`: an event was added to a project's calendar.
    ProjectEventCreated(ProjectRefPayload),
    /// `project_event_updated`: an event of a project's calendar changed.
    ProjectEventUpdated(ProjectRefPayload),
    /// `project_event_deleted`: an event was removed from a project's calendar.
    ProjectEventDeleted(ProjectRefPayload),
    /// `whiteboard_created`: a whiteboard was added to a project.
    WhiteboardCreated(ProjectRefPayload),
    /// `whiteboard_updated`: a project's whiteboard changed.
    WhiteboardUpdated(ProjectRefPayload),
    /// `whiteboard_deleted`: a whiteboard was removed from a project.
    WhiteboardDeleted(ProjectRefPayload),
    /// `task_created`: a task was added to the task library.
    TaskCreated(TaskPayload),
    /// `task_updated`: a library task changed.
    TaskUpdated(TaskPayload),
    /// `task_deleted`: a task was removed from the library.
    TaskDeleted(TaskPayload),
    /// `assignment_created`: a task was assigned in a project.
    AssignmentCreated(AssignmentPayload),
    /// `assignment_updated`: an assignment changed.
    AssignmentUpdated(AssignmentPayload),
    /// `assignment_deleted`: an assignment was removed.
    AssignmentDeleted(AssignmentPayload),
    /// `assignment_reordered`: a project's assignments were reordered.
    AssignmentReordered(AssignmentReorderedPayload),
    /// `dependency_added`: an assignment now depends on another.
    DependencyAdded(DependencyPayload),
    /// `dependency_removed`: a dependency between two assignments was removed.
    DependencyRemoved(DependencyPayload),
}

impl Event for ProjectsEvent {
    const DOMAIN: &'static str = DOMAIN;

    fn name(&self) -> &'static str {
        match self {
            ProjectsEvent::ProjectCreated(_) => "project_created",
            ProjectsEvent::ProjectUpdated(_) => "project_updated",
            ProjectsEvent::ProjectStatusChanged(_) => "project_status_changed",
            ProjectsEvent::ProjectDeleted(_) => "project_deleted",
            ProjectsEvent::ProjectStarted(_) => "project_started",
            ProjectsEvent::ProjectArchived(_) => "project_archived",
            ProjectsEvent::ProjectUnarchived(_) => "project_unarchived",
            ProjectsEvent::ProjectCompleted(_) => "project_completed",
            ProjectsEvent::ProjectReopened(_) => "project_reopened",
            ProjectsEvent::ProjectModulesChanged(_) => "project_modules_changed",
            ProjectsEvent::ProjectFeaturesChanged(_) => "project_features_changed",
            ProjectsEvent::ProjectGrantsChanged(_) => "project_grants_changed",
            ProjectsEvent::ProjectInvoiceGenerated(_) => "project_invoice_generated",
            ProjectsEvent::ProjectLabelsChanged(_) => "project_labels_changed",
            ProjectsEvent::WorkLogged(_) => "work_logged",
            ProjectsEvent::ProjectMembersChanged(_) => "project_members_changed",
            ProjectsEvent::PortalRotated(_) => "portal_rotated",
            ProjectsEvent::ProjectEventCreated(_) => "project_event_created",
            ProjectsEvent::ProjectEventUpdated(_) => "project_event_updated",
            ProjectsEvent::ProjectEventDeleted(_) => "project_event_deleted",
            ProjectsEvent::WhiteboardCreated(_) => "whiteboard_created",
            ProjectsEvent::WhiteboardUpdated(_) => "whiteboard_updated",
            ProjectsEvent::WhiteboardDeleted(_) => "whiteboard_deleted",
            ProjectsEvent::TaskCreated(_) => "task_created",
            ProjectsEvent::TaskUpdated(_) => "task_updated",
            ProjectsEvent::TaskDeleted(_) => "task_deleted",
            ProjectsEvent::AssignmentCreated(_) => "assignment_created",
            ProjectsEvent::AssignmentUpdated(_) => "assignment_updated",
            ProjectsEvent::AssignmentDeleted(_) => "assignment_deleted",
            ProjectsEvent::AssignmentReordered(_) => "assignment_reordered",
            ProjectsEvent::DependencyAdded(_) => "dependency_added",
            ProjectsEvent::DependencyRemoved(_) => "dependency_removed",
        }
    }
}

/// An embed UI intent, sent by [`broadcast_embed`](crate::broadcast_embed) to a host-supplied
/// topic when an embedded projects screen runs in emit mode.
///
/// Upstream sends these with the same `:projects` tag as content events but with verbs
/// (`opened`, `closed`, `saved`, `deleted`) deliberately distinct from the content verbs, so a
/// handler of the canonical topics never collides with a handler of a host topic. Here the two
/// are distinct types: a host topic is a `TypedTopic<EmbedEvent>` (see
/// [`topic_embed`](crate::topic_embed)), and a `projects:*` subscriber never sees an intent.
///
/// ```
/// use projects_events::{EmbedEvent, EmbedPayload};
/// use pubsub_core::Event;
///
/// let mut payload = EmbedPayload::new();
/// payload.insert("project_uuid".to_owned(), "p-1".into());
/// let event = EmbedEvent::Saved(payload);
/// assert_eq!(event.name(), "saved");
/// assert_eq!(
///     serde_json::to_string(&event)?,
///     r#"{"event":"saved","payload":{"project_uuid":"p-1"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum EmbedEvent {
    /// `opened`: the embedded screen opened.
    Opened(EmbedPayload),
    /// `closed`: the embedded screen closed.
    Closed(EmbedPayload),
    /// `saved`: the embedded screen saved a record.
    Saved(EmbedPayload),
    /// `deleted`: the embedded screen deleted a record.
    Deleted(EmbedPayload),
}

impl Event for EmbedEvent {
    const DOMAIN: &'static str = DOMAIN;

    fn name(&self) -> &'static str {
        match self {
            EmbedEvent::Opened(_) => "opened",
            EmbedEvent::Closed(_) => "closed",
            EmbedEvent::Saved(_) => "saved",
            EmbedEvent::Deleted(_) => "deleted",
        }
    }
}
