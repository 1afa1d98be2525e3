//! Kinds: which events a broadcast function accepts, so a task event cannot be sent through the
//! project rule.
//!
//! Each rule takes a small kind plus the payload SPEC.md names, and maps them into the flat
//! [`ProjectsEvent`] that subscribers match on. Where one rule covers events with different
//! payloads (`broadcast_project`, `broadcast_assignment`), the kinds implement a sealed trait
//! whose associated `Payload` type makes the compiler check that kind and payload fit.

use super::payloads::{
    AssignmentPayload, AssignmentReorderedPayload, DependencyPayload, EmbedPayload,
    ProjectModulesPayload, ProjectPayload, ProjectRefPayload, TaskPayload,
};
use super::{EmbedEvent, ProjectsEvent};

mod sealed {
    /// Keeps [`ProjectKind`](super::ProjectKind) and [`AssignmentKind`](super::AssignmentKind)
    /// closed: only this crate's kinds may be sent through those rules.
    pub trait Sealed {}
}

/// The events [`broadcast_project`](crate::broadcast_project) accepts, each with its payload type:
/// [`ProjectChange`] with [`ProjectPayload`], [`ProjectActivity`] with [`ProjectRefPayload`] and
/// [`ModulesChanged`] with [`ProjectModulesPayload`]. Sealed.
///
/// ```
/// use projects_events::{ProjectActivity, ProjectKind, ProjectRefPayload, ProjectsEvent};
/// # let uuid = uuid::Uuid::nil();
/// let event = ProjectActivity::WorkLogged.event(ProjectRefPayload { uuid });
/// assert_eq!(event, ProjectsEvent::WorkLogged(ProjectRefPayload { uuid }));
/// ```
pub trait ProjectKind: sealed::Sealed {
    /// The payload this kind of event carries.
    type Payload;

    /// The wire event for this kind and payload.
    fn event(self, payload: Self::Payload) -> ProjectsEvent;
}

/// The events [`broadcast_assignment`](crate::broadcast_assignment) accepts, each with its
/// payload type: [`AssignmentChange`] with [`AssignmentPayload`] and [`AssignmentsReordered`]
/// with [`AssignmentReorderedPayload`]. Sealed.
///
/// ```
/// use projects_events::{AssignmentKind, AssignmentReorderedPayload, AssignmentsReordered};
/// use pubsub_core::Event;
/// # let project_uuid = uuid::Uuid::nil();
/// let event = AssignmentsReordered.event(AssignmentReorderedPayload { project_uuid });
/// assert_eq!(event.name(), "assignment_reordered");
/// ```
pub trait AssignmentKind: sealed::Sealed {
    /// The payload this kind of event carries.
    type Payload;

    /// The wire event for this kind and payload.
    fn event(self, payload: Self::Payload) -> ProjectsEvent;
}

/// A project lifecycle change, sent with a [`ProjectPayload`] by
/// [`broadcast_project`](crate::broadcast_project).
///
/// ```
/// use projects_events::{ProjectChange, ProjectKind, ProjectPayload};
/// use pubsub_core::Event;
/// let event = ProjectChange::StatusChanged.event(ProjectPayload::new(uuid::Uuid::nil(), "Roof"));
/// assert_eq!(event.name(), "project_status_changed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectChange {
    /// `project_created`.
    Created,
    /// `project_updated`.
    Updated,
    /// `project_status_changed`.
    StatusChanged,
    /// `project_deleted`.
    Deleted,
    /// `project_started`.
    Started,
    /// `project_archived`.
    Archived,
    /// `project_unarchived`.
    Unarchived,
    /// `project_completed`.
    Completed,
    /// `project_reopened`.
    Reopened,
}

impl ProjectChange {
    /// Every project change, in SPEC.md's order.
    ///
    /// ```
    /// # use projects_events::ProjectChange;
    /// assert_eq!(ProjectChange::ALL.len(), 9);
    /// ```
    pub const ALL: [ProjectChange; 9] = [
        ProjectChange::Created,
        ProjectChange::Updated,
        ProjectChange::StatusChanged,
        ProjectChange::Deleted,
        ProjectChange::Started,
        ProjectChange::Archived,
        ProjectChange::Unarchived,
        ProjectChange::Completed,
        ProjectChange::Reopened,
    ];
}

impl sealed::Sealed for ProjectChange {}

impl ProjectKind for ProjectChange {
    type Payload = ProjectPayload;

    fn event(self, payload: ProjectPayload) -> ProjectsEvent {
        match self {
            ProjectChange::Created => ProjectsEvent::ProjectCreated(payload),
            ProjectChange::Updated => ProjectsEvent::ProjectUpdated(payload),
            ProjectChange::StatusChanged => ProjectsEvent::ProjectStatusChanged(payload),
            ProjectChange::Deleted => ProjectsEvent::ProjectDeleted(payload),
            ProjectChange::Started => ProjectsEvent::ProjectStarted(payload),
            ProjectChange::Archived => ProjectsEvent::ProjectArchived(payload),
            ProjectChange::Unarchived => ProjectsEvent::ProjectUnarchived(payload),
            ProjectChange::Completed => ProjectsEvent::ProjectCompleted(payload),
            ProjectChange::Reopened => ProjectsEvent::ProjectReopened(payload),
        }
    }
}

/// A change to something a project holds (work, members, whiteboards, ...), sent with the
/// project's [`ProjectRefPayload`] by [`broadcast_project`](crate::broadcast_project).
///
/// ```
/// use projects_events::{ProjectActivity, ProjectKind, ProjectRefPayload};
/// use pubsub_core::Event;
/// let event = ProjectActivity::EventCreated.event(ProjectRefPayload { uuid: uuid::Uuid::nil() });
/// assert_eq!(event.name(), "project_event_created");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectActivity {
    /// `project_features_changed`.
    FeaturesChanged,
    /// `project_grants_changed`.
    GrantsChanged,
    /// `project_invoice_generated`.
    InvoiceGenerated,
    /// `project_labels_changed`.
    LabelsChanged,
    /// `work_logged`.
    WorkLogged,
    /// `project_members_changed`.
    MembersChanged,
    /// `portal_rotated`.
    PortalRotated,
    /// `project_event_created`.
    EventCreated,
    /// `project_event_updated`.
    EventUpdated,
    /// `project_event_deleted`.
    EventDeleted,
    /// `whiteboard_created`.
    WhiteboardCreated,
    /// `whiteboard_updated`.
    WhiteboardUpdated,
    /// `whiteboard_deleted`.
    WhiteboardDeleted,
}

impl ProjectActivity {
    /// Every project activity, in SPEC.md's order.
    ///
    /// ```
    /// # use projects_events::ProjectActivity;
    /// assert_eq!(ProjectActivity::ALL.len(), 13);
    /// ```
    pub const ALL: [ProjectActivity; 13] = [
        ProjectActivity::FeaturesChanged,
        ProjectActivity::GrantsChanged,
        ProjectActivity::InvoiceGenerated,
        ProjectActivity::LabelsChanged,
        ProjectActivity::WorkLogged,
        ProjectActivity::MembersChanged,
        ProjectActivity::PortalRotated,
        ProjectActivity::EventCreated,
        ProjectActivity::EventUpdated,
        ProjectActivity::EventDeleted,
        ProjectActivity::WhiteboardCreated,
        ProjectActivity::WhiteboardUpdated,
        ProjectActivity::WhiteboardDeleted,
    ];
}

impl sealed::Sealed for ProjectActivity {}

impl ProjectKind for ProjectActivity {
    type Payload = ProjectRefPayload;

    fn event(self, payload: ProjectRefPayload) -> ProjectsEvent {
        match self {
            ProjectActivity::FeaturesChanged => ProjectsEvent::ProjectFeaturesChanged(payload),
            ProjectActivity::GrantsChanged => ProjectsEvent::ProjectGrantsChanged(payload),
            ProjectActivity::InvoiceGenerated => ProjectsEvent::ProjectInvoiceGenerated(payload),
            ProjectActivity::LabelsChanged => ProjectsEvent::ProjectLabelsChanged(payload),
            ProjectActivity::WorkLogged => ProjectsEvent::WorkLogged(payload),
            ProjectActivity::MembersChanged => ProjectsEvent::ProjectMembersChanged(payload),
            ProjectActivity::PortalRotated => ProjectsEvent::PortalRotated(payload),
            ProjectActivity::EventCreated => ProjectsEvent::ProjectEventCreated(payload),
            ProjectActivity::EventUpdated => ProjectsEvent::ProjectEventUpdated(payload),
            ProjectActivity::EventDeleted => ProjectsEvent::ProjectEventDeleted(payload),
            ProjectActivity::WhiteboardCreated => ProjectsEvent::WhiteboardCreated(payload),
            ProjectActivity::WhiteboardUpdated => ProjectsEvent::WhiteboardUpdated(payload),
            ProjectActivity::WhiteboardDeleted => ProjectsEvent::WhiteboardDeleted(payload),
        }
    }
}

/// `project_modules_changed`, sent with a [`ProjectModulesPayload`] by
/// [`broadcast_project`](crate::broadcast_project).
///
/// ```
/// use projects_events::{ModulesChanged, ProjectKind, ProjectModulesPayload};
/// use pubsub_core::Event;
/// let payload = ProjectModulesPayload { uuid: uuid::Uuid::nil(), ext_key: "invoicing".into() };
/// assert_eq!(ModulesChanged.event(payload).name(), "project_modules_changed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModulesChanged;

impl sealed::Sealed for ModulesChanged {}

impl ProjectKind for ModulesChanged {
    type Payload = ProjectModulesPayload;

    fn event(self, payload: ProjectModulesPayload) -> ProjectsEvent {
        ProjectsEvent::ProjectModulesChanged(payload)
    }
}

/// A task-library change, sent with a [`TaskPayload`] by
/// [`broadcast_task`](crate::broadcast_task).
///
/// ```
/// use projects_events::{TaskChange, TaskPayload, ProjectsEvent};
/// let payload = TaskPayload { uuid: uuid::Uuid::nil(), title: "Order tiles".into() };
/// assert!(matches!(TaskChange::Deleted.event(payload), ProjectsEvent::TaskDeleted(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskChange {
    /// `task_created`.
    Created,
    /// `task_updated`.
    Updated,
    /// `task_deleted`.
    Deleted,
}

impl TaskChange {
    /// Every task change.
    ///
    /// ```
    /// # use projects_events::TaskChange;
    /// assert_eq!(TaskChange::ALL.len(), 3);
    /// ```
    pub const ALL: [TaskChange; 3] = [
        TaskChange::Created,
        TaskChange::Updated,
        TaskChange::Deleted,
    ];

    /// The wire event for this change and payload.
    pub fn event(self, payload: TaskPayload) -> ProjectsEvent {
        match self {
            TaskChange::Created => ProjectsEvent::TaskCreated(payload),
            TaskChange::Updated => ProjectsEvent::TaskUpdated(payload),
            TaskChange::Deleted => ProjectsEvent::TaskDeleted(payload),
        }
    }
}

/// A change to one assignment, sent with an [`AssignmentPayload`] by
/// [`broadcast_assignment`](crate::broadcast_assignment).
///
/// ```
/// use projects_events::{AssignmentChange, AssignmentKind, AssignmentPayload};
/// use pubsub_core::Event;
/// let payload = AssignmentPayload { uuid: uuid::Uuid::nil(), project_uuid: uuid::Uuid::max() };
/// assert_eq!(AssignmentChange::Updated.event(payload).name(), "assignment_updated");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssignmentChange {
    /// `assignment_created`.
    Created,
    /// `assignment_updated`.
    Updated,
    /// `assignment_deleted`.
    Deleted,
}

impl AssignmentChange {
    /// Every assignment change.
    ///
    /// ```
    /// # use projects_events::AssignmentChange;
    /// assert_eq!(AssignmentChange::ALL.len(), 3);
    /// ```
    pub const ALL: [AssignmentChange; 3] = [
        AssignmentChange::Created,
        AssignmentChange::Updated,
        AssignmentChange::Deleted,
    ];
}

impl sealed::Sealed for AssignmentChange {}

impl AssignmentKind for AssignmentChange {
    type Payload = AssignmentPayload;

    fn event(self, payload: AssignmentPayload) -> ProjectsEvent {
        match self {
            AssignmentChange::Created => ProjectsEvent::AssignmentCreated(payload),
            AssignmentChange::Updated => ProjectsEvent::AssignmentUpdated(payload),
            AssignmentChange::Deleted => ProjectsEvent::AssignmentDeleted(payload),
        }
    }
}

/// `assignment_reordered`, sent with an [`AssignmentReorderedPayload`] by
/// [`broadcast_assignment`](crate::broadcast_assignment).
///
/// ```
/// use projects_events::{AssignmentKind, AssignmentReorderedPayload, AssignmentsReordered, ProjectsEvent};
/// let payload = AssignmentReorderedPayload { project_uuid: uuid::Uuid::nil() };
/// assert_eq!(AssignmentsReordered.event(payload), ProjectsEvent::AssignmentReordered(payload));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssignmentsReordered;

impl sealed::Sealed for AssignmentsReordered {}

impl AssignmentKind for AssignmentsReordered {
    type Payload = AssignmentReorderedPayload;

    fn event(self, payload: AssignmentReorderedPayload) -> ProjectsEvent {
        ProjectsEvent::AssignmentReordered(payload)
    }
}

/// A change to a dependency between two assignments, sent with a [`DependencyPayload`] by
/// [`broadcast_dependency`](crate::broadcast_dependency).
///
/// ```
/// use projects_events::{DependencyChange, DependencyPayload};
/// use pubsub_core::Event;
/// # let id = uuid::Uuid::nil();
/// let payload = DependencyPayload { assignment_uuid: id, depends_on_uuid: id, project_uuid: id };
/// assert_eq!(DependencyChange::Removed.event(payload).name(), "dependency_removed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DependencyChange {
    /// `dependency_added`.
    Added,
    /// `dependency_removed`.
    Removed,
}

impl DependencyChange {
    /// Every dependency change.
    ///
    /// ```
    /// # use projects_events::DependencyChange;
    /// assert_eq!(DependencyChange::ALL.len(), 2);
    /// ```
    pub const ALL: [DependencyChange; 2] = [DependencyChange::Added, DependencyChange::Removed];

    /// The wire event for this change and payload.
    pub fn event(self, payload: DependencyPayload) -> ProjectsEvent {
        match self {
            DependencyChange::Added => ProjectsEvent::DependencyAdded(payload),
            DependencyChange::Removed => ProjectsEvent::DependencyRemoved(payload),
        }
    }
}

/// An embed UI intent, sent with a host-defined [`EmbedPayload`] by
/// [`broadcast_embed`](crate::broadcast_embed).
///
/// ```
/// use projects_events::{EmbedEvent, EmbedIntent, EmbedPayload};
/// assert_eq!(EmbedIntent::Closed.event(EmbedPayload::new()), EmbedEvent::Closed(EmbedPayload::new()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbedIntent {
    /// `opened`.
    Opened,
    /// `closed`.
    Closed,
    /// `saved`.
    Saved,
    /// `deleted`.
    Deleted,
}

impl EmbedIntent {
    /// Every embed intent.
    ///
    /// ```
    /// # use projects_events::EmbedIntent;
    /// assert_eq!(EmbedIntent::ALL.len(), 4);
    /// ```
    pub const ALL: [EmbedIntent; 4] = [
        EmbedIntent::Opened,
        EmbedIntent::Closed,
        EmbedIntent::Saved,
        EmbedIntent::Deleted,
    ];

    /// The wire event for this intent and payload.
    pub fn event(self, payload: EmbedPayload) -> EmbedEvent {
        match self {
            EmbedIntent::Opened => EmbedEvent::Opened(payload),
            EmbedIntent::Closed => EmbedEvent::Closed(payload),
            EmbedIntent::Saved => EmbedEvent::Saved(payload),
            EmbedIntent::Deleted => EmbedEvent::Deleted(payload),
        }
    }
}
