//! Payload structs: the identifiers and the few fields SPEC.md lists, never whole records.
//!
//! Every payload tolerates unknown JSON fields (a newer publisher may add one). Optional fields
//! are written as `null` when absent, as Elixir's `Jason` writes `nil`, and read as `None` when
//! missing.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The payload of a project's lifecycle events (`project_created`, `project_updated`,
/// `project_status_changed`, `project_deleted`, `project_started`, `project_archived`,
/// `project_unarchived`, `project_completed`, `project_reopened`).
///
/// `is_template` decides whether the event also reaches `projects:templates`; a payload read
/// from the wire without it counts as `false`.
///
/// ```
/// use projects_events::ProjectPayload;
/// # let uuid = uuid::Uuid::nil();
///
/// let mut payload = ProjectPayload::new(uuid, "Kitchen refit");
/// payload.is_template = true;
/// payload.current_status_slug = Some("in_progress".to_owned());
/// assert!(payload.status_entity_uuid.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProjectPayload {
    /// The project's UUID.
    pub uuid: Uuid,
    /// The project's name.
    pub name: String,
    /// Whether the project is a template; templates also fan out to `projects:templates`.
    #[serde(default)]
    pub is_template: bool,
    /// The UUID of the project's status entity, if it has one.
    #[serde(default)]
    pub status_entity_uuid: Option<Uuid>,
    /// The slug of the project's current status, if it has one.
    #[serde(default)]
    pub current_status_slug: Option<String>,
    /// The project's identifier in an external system, if any.
    #[serde(default)]
    pub external_id: Option<String>,
}

impl ProjectPayload {
    /// A payload for a project that is not a template and has no status or external id.
    ///
    /// ```
    /// # use projects_events::ProjectPayload;
    /// let payload = ProjectPayload::new(uuid::Uuid::nil(), "Roof");
    /// assert!(!payload.is_template);
    /// ```
    pub fn new(uuid: Uuid, name: impl Into<String>) -> Self {
        ProjectPayload {
            uuid,
            name: name.into(),
            is_template: false,
            status_entity_uuid: None,
            current_status_slug: None,
            external_id: None,
        }
    }
}

/// The payload of the project events that only name their project (`work_logged`,
/// `project_features_changed`, `whiteboard_created`, ...): the project's `uuid`.
///
/// It cannot say `is_template`, so these events never reach `projects:templates`.
///
/// ```
/// use projects_events::ProjectRefPayload;
/// let payload = ProjectRefPayload { uuid: uuid::Uuid::nil() };
/// assert_eq!(serde_json::to_string(&payload)?, r#"{"uuid":"00000000-0000-0000-0000-000000000000"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProjectRefPayload {
    /// The project's UUID.
    pub uuid: Uuid,
}

/// The payload of `project_modules_changed`: the project's `uuid` and the key of the extension
/// module that was switched on or off.
///
/// ```
/// use projects_events::ProjectModulesPayload;
/// let payload = ProjectModulesPayload { uuid: uuid::Uuid::nil(), ext_key: "invoicing".to_owned() };
/// assert_eq!(payload.ext_key, "invoicing");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProjectModulesPayload {
    /// The project's UUID.
    pub uuid: Uuid,
    /// The extension module's key.
    pub ext_key: String,
}

/// The payload of the task-library events (`task_created`, `task_updated`, `task_deleted`).
///
/// ```
/// use projects_events::TaskPayload;
/// let payload = TaskPayload { uuid: uuid::Uuid::nil(), title: "Order tiles".to_owned() };
/// assert_eq!(payload.title, "Order tiles");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskPayload {
    /// The task's UUID.
    pub uuid: Uuid,
    /// The task's title.
    pub title: String,
}

/// The payload of `assignment_created`, `assignment_updated` and `assignment_deleted`.
///
/// ```
/// use projects_events::AssignmentPayload;
/// # let (assignment, project) = (uuid::Uuid::nil(), uuid::Uuid::max());
/// let payload = AssignmentPayload { uuid: assignment, project_uuid: project };
/// assert_eq!(payload.project_uuid, project);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssignmentPayload {
    /// The assignment's UUID.
    pub uuid: Uuid,
    /// The UUID of the project the assignment belongs to.
    pub project_uuid: Uuid,
}

/// The payload of `assignment_reordered`: the project whose assignments were reordered.
///
/// ```
/// use projects_events::AssignmentReorderedPayload;
/// let payload = AssignmentReorderedPayload { project_uuid: uuid::Uuid::nil() };
/// assert!(payload.project_uuid.is_nil());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssignmentReorderedPayload {
    /// The UUID of the project whose assignments were reordered.
    pub project_uuid: Uuid,
}

/// The payload of `dependency_added` and `dependency_removed`: assignment `assignment_uuid`
/// depends on assignment `depends_on_uuid`, both in project `project_uuid`.
///
/// ```
/// use projects_events::DependencyPayload;
/// # let (a, b, p) = (uuid::Uuid::nil(), uuid::Uuid::max(), uuid::Uuid::nil());
/// let payload = DependencyPayload { assignment_uuid: a, depends_on_uuid: b, project_uuid: p };
/// assert_ne!(payload.assignment_uuid, payload.depends_on_uuid);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DependencyPayload {
    /// The dependent assignment's UUID.
    pub assignment_uuid: Uuid,
    /// The UUID of the assignment it depends on.
    pub depends_on_uuid: Uuid,
    /// The UUID of the project both assignments belong to.
    pub project_uuid: Uuid,
}

/// The payload of the embed UI intents (`opened`, `closed`, `saved`, `deleted`): a map whose
/// contents the host defines.
///
/// ```
/// use projects_events::EmbedPayload;
/// let mut payload = EmbedPayload::new();
/// payload.insert("project_uuid".to_owned(), "42".into());
/// assert_eq!(payload.len(), 1);
/// ```
pub type EmbedPayload = serde_json::Map<String, serde_json::Value>;
