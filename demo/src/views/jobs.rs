//! The background-jobs pages: the list of jobs per resource, and one job's progress.

use std::fmt::Write as _;

use super::{clock, esc};
use crate::jobs::STEPS;
use crate::store::Sample;
use crate::store::Store;
use crate::store::model::Job;
use anyhow::Result;

/// The static part of the list page: a Run button per resource.
pub fn list_body() -> String {
    let mut buttons = String::new();
    for (id, name) in Sample::RESOURCES {
        let _ = write!(
            buttons,
            r#"<button data-post="/api/jobs" data-body="{body}" data-follow>Run “{name}”</button> "#,
            body = esc(&format!(r#"{{"resource_id":"{id}"}}"#)),
            name = esc(name),
        );
    }
    format!(
        r#"<section class="card">
  <h1>Background jobs</h1>
  <p class="muted">A job runs in a tokio task and publishes on <code>jobs:resource:&lt;id&gt;</code> → <code>jobs:workflow:&lt;id&gt;</code> → <code>jobs:process:&lt;id&gt;</code>. This list listens at resource level only; a job's page follows its workflow, then its process.</p>
  <p>{buttons}</p>
</section>
<section class="card"><h2>Jobs</h2><div id="live" class="live-area">Connecting…</div></section>"#
    )
}

/// Every job, newest first.
///
/// # Errors
///
/// When the store fails.
pub async fn list(store: &Store) -> Result<String> {
    let mut jobs = store.all::<Job>().await?;
    jobs.sort_by_key(|job| std::cmp::Reverse(job.at));
    let mut html = String::from(r#"<ul id="jobs" class="rows">"#);
    for job in jobs.iter().take(20) {
        let _ = write!(
            html,
            r#"<li class="row"><span class="tag tag-{status}">{status}</span><a class="title" href="/jobs/{id}">{name}</a><span class="muted">started {at}</span></li>"#,
            status = esc(&job.status),
            id = job.id,
            name = esc(&job.name),
            at = clock(job.at),
        );
    }
    html.push_str("</ul>");
    Ok(html)
}

/// The static part of a job's page.
pub fn job_body(job: &Job) -> String {
    format!(
        r#"<section class="card"><h1>{name}</h1><p class="muted">Job <code>{id}</code> · subscribes to its workflow, then to its process when it learns of it; progress is throttled to 4 updates a second; the page reloads on completion.</p><p><a href="/jobs">← all jobs</a></p></section>
<section class="card"><div id="live" class="live-area">Connecting…</div></section>"#,
        name = esc(&job.name),
        id = job.id,
    )
}

/// A job's state as saved in the store (updated at each step boundary).
pub fn job(job: &Job) -> String {
    let percent = job.steps_done * 100 / job.steps_total.max(1);
    let current = if job.status == "running" {
        job.steps_done + 1
    } else {
        0
    };
    let process = job.process_id.map_or_else(
        || "not yet created".to_owned(),
        |p| format!("<code>{p}</code>"),
    );
    format!(
        r#"<p><span class="tag tag-{status}">{status}</span> process {process}</p>{progress}"#,
        status = esc(&job.status),
        progress = progress(job.steps_total, job.steps_done, current, percent, 0),
    )
}

/// The progress block: an overall bar and the list of steps.
pub fn progress(total: u32, done: u32, current: u32, overall: u32, step_percent: u8) -> String {
    let mut steps = String::new();
    for (n, name) in (1..).zip(STEPS) {
        let (class, note) = if n <= done {
            ("done", "done".to_owned())
        } else if n == current {
            ("current", format!("{step_percent}%"))
        } else {
            ("", String::new())
        };
        let _ = write!(
            steps,
            r#"<li class="{class}">{name} <span class="muted">{note}</span></li>"#
        );
    }
    format!(
        r#"<div id="progress"><div class="bar"><div class="fill" style="width:{overall}%"></div></div><p class="muted">{overall}% · step {shown} of {total}</p><ol class="steps">{steps}</ol></div>"#,
        shown = current.max(done).min(total),
    )
}
