//! The project page: its assignments, each row refreshed on its own.

use anyhow::Result;
use uuid::Uuid;

use super::{esc, status_buttons};
use crate::actions::projects::STATUSES;
use crate::store::Store;
use crate::store::model::{Assignment, Project};

/// The id of an assignment's row.
pub fn row_id(assignment: Uuid) -> String {
    format!("assignment-{assignment}")
}

/// The static part of the page.
pub fn body(project: &Project) -> String {
    format!(
        r#"<section class="card">
  <h1>{name}</h1><p class="muted">Project · rows refresh one by one (coalesced per assignment)</p>
  <form class="inline-form" data-api="/api/projects/{id}/assignments" data-reset>
    <label class="grow">New assignment <input name="title" placeholder="Title" required></label>
    <button type="submit">Add</button>
  </form>
</section>
<section class="card"><h2>Assignments</h2><div id="live" class="live-area">Connecting…</div></section>"#,
        name = esc(&project.name),
        id = project.id,
    )
}

/// Every assignment of the project, in order.
///
/// # Errors
///
/// When the store fails.
pub async fn list(store: &Store, project: Uuid) -> Result<String> {
    let mut rows = store
        .filter::<Assignment>(|a| a.project_id == project)
        .await?;
    rows.sort_by_key(|a| (a.position, a.id));
    let mut html = String::from(r#"<ul id="assignments" class="rows">"#);
    for row in &rows {
        html.push_str(&self::row(row));
    }
    html.push_str("</ul>");
    Ok(html)
}

/// One assignment's row.
pub fn row(assignment: &Assignment) -> String {
    let buttons = status_buttons(
        &STATUSES,
        &assignment.status,
        &format!("/api/assignments/{}/status", assignment.id),
    );
    format!(
        r#"<li id="{row}" class="row status-{status}"><span class="title">{title}</span><span class="segs">{buttons}</span><button class="danger small" data-post="/api/assignments/{id}/delete">Delete</button></li>"#,
        row = row_id(assignment.id),
        status = esc(&assignment.status),
        title = esc(&assignment.title),
        id = assignment.id,
    )
}
