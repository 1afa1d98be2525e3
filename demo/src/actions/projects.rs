//! Assignments of a project: add, move through todo/doing/done, delete; each followed by the
//! `projects-events` broadcast.

use projects_events::{AssignmentChange, AssignmentPayload, broadcast_assignment};
use uuid::Uuid;

use super::limits::NAME_CHARS;
use super::{ActionError, not_found, one_of, text_within};
use crate::state::AppState;
use crate::store::model::{Assignment, Project};

/// The statuses an assignment moves through.
pub const STATUSES: [&str; 3] = ["todo", "doing", "done"];

async fn announce(state: &AppState, change: AssignmentChange, assignment: &Assignment) {
    let payload = AssignmentPayload {
        uuid: assignment.id,
        project_uuid: assignment.project_id,
    };
    broadcast_assignment(&*state.broker, change, payload).await;
}

/// Adds an assignment at the end of a project.
///
/// # Errors
///
/// An unknown project, an empty or too long title ([`NAME_CHARS`]); a store failure.
pub async fn add_assignment(
    state: &AppState,
    project: Uuid,
    title: &str,
) -> Result<Assignment, ActionError> {
    if state.store.get::<Project>(project).await?.is_none() {
        return Err(not_found::<Project>(project));
    }
    let title = text_within("title", title, 1, NAME_CHARS)?;
    let existing = state
        .store
        .filter::<Assignment>(|a| a.project_id == project)
        .await?;
    let assignment = Assignment {
        id: Uuid::new_v4(),
        project_id: project,
        title: title.to_owned(),
        status: "todo".to_owned(),
        // Positions are read from the (shared) store: saturate rather than overflow.
        position: existing
            .iter()
            .map(|a| a.position.saturating_add(1))
            .max()
            .unwrap_or(0),
    };
    state.store.put(&assignment).await?;
    announce(state, AssignmentChange::Created, &assignment).await;
    Ok(assignment)
}

/// Sets an assignment's status.
///
/// # Errors
///
/// An unknown assignment or status; a store failure.
pub async fn set_status(
    state: &AppState,
    id: Uuid,
    status: &str,
) -> Result<Assignment, ActionError> {
    one_of("status", status, &STATUSES)?;
    let mut assignment = state
        .store
        .get::<Assignment>(id)
        .await?
        .ok_or_else(|| not_found::<Assignment>(id))?;
    status.clone_into(&mut assignment.status);
    state.store.put(&assignment).await?;
    announce(state, AssignmentChange::Updated, &assignment).await;
    Ok(assignment)
}

/// Deletes an assignment.
///
/// # Errors
///
/// An unknown assignment; a store failure.
pub async fn delete_assignment(state: &AppState, id: Uuid) -> Result<(), ActionError> {
    let assignment = state
        .store
        .get::<Assignment>(id)
        .await?
        .ok_or_else(|| not_found::<Assignment>(id))?;
    state.store.delete::<Assignment>(id).await?;
    announce(state, AssignmentChange::Deleted, &assignment).await;
    Ok(())
}
