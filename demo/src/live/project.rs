//! A project's assignments, live: `projects:project:<uuid>`, coalesced per assignment.

use anyhow::Result;
use futures_util::StreamExt;
use projects_events::{ProjectsEvent, topic_project};
use pubsub_core::{Delivery, EventRef, LiveStreamExt};
use uuid::Uuid;

use super::{COALESCE, Out, reason};
use crate::state::AppState;
use crate::store::model::Assignment;
use crate::views::project::{list, row, row_id};

/// The assignment an event is about (`None`: re-read the list).
fn assignment_of(event: &EventRef<ProjectsEvent>) -> Option<Uuid> {
    match &**event {
        ProjectsEvent::AssignmentCreated(p)
        | ProjectsEvent::AssignmentUpdated(p)
        | ProjectsEvent::AssignmentDeleted(p) => Some(p.uuid),
        _ => None,
    }
}

/// Follows `project` until the page closes.
///
/// # Errors
///
/// When the broker refuses the subscription, the store fails, or the page closes.
pub async fn run(state: AppState, project: Uuid, out: Out) -> Result<()> {
    let subscription = projects_events::subscribe(&*state.broker, &topic_project(project)).await?;
    let mut events = out.count(subscription).coalesce(COALESCE, assignment_of);

    out.snapshot(list(&state.store, project).await?, None)
        .await?;

    while let Some(delivery) = events.next().await {
        match delivery {
            Delivery::Message(event) => match assignment_of(&event) {
                Some(id) => match state.store.get::<Assignment>(id).await? {
                    Some(assignment) if assignment.project_id == project => {
                        out.upsert(row_id(id), "assignments", "end", row(&assignment))
                            .await?;
                    }
                    _ => out.remove(row_id(id)).await?,
                },
                None => {
                    out.snapshot(list(&state.store, project).await?, None)
                        .await?;
                }
            },
            notice => {
                let why = reason(&notice);
                out.snapshot(list(&state.store, project).await?, Some(why))
                    .await?;
            }
        }
    }
    Ok(())
}
