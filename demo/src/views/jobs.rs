//! The background-jobs pages: the list of jobs per resource, and one job's progress.

use std::fmt::Write as _;

use super::{clock, esc};
use crate::jobs::STEPS;
use crate::store::Sample;
use crate::store::Store;
use crate::store::model::Job;
use anyhow::Result;

/// A Run button per resource, each with `attributes` (` data-follow`: the page follows the job
/// it starts).
fn run_buttons(attributes: &str) -> String {
    let mut buttons = String::new();
    for (id, name) in Sample::RESOURCES {
        let _ = write!(
            buttons,
            r#"<button data-post="/api/jobs" data-body="{body}"{attributes}>Run “{name}”</button> "#,
            body = esc(&format!(r#"{{"resource_id":"{id}"}}"#)),
            name = esc(name),
        );
    }
    buttons
}

/// The static part of the list page: a Run button per resource.
pub fn list_body() -> String {
    let buttons = run_buttons(" data-follow");
    format!(
        r#"<section class="card">
  <h1>Background jobs</h1>
  <p class="muted">A job runs in a tokio task and publishes on <code>jobs:resource:&lt;id&gt;</code> → <code>jobs:workflow:&lt;id&gt;</code> → <code>jobs:process:&lt;id&gt;</code>. This list listens at resource level only; a job's page follows its workflow, then its process.</p>
  <p>{buttons}</p>
</section>
<section class="card"><h2>Jobs</h2><div id="live" class="live-area">Connecting…</div></section>"#
    )
}

/// The activity page: every job event of every resource, as it happened, over a resumable SSE
/// stream (`assets/activity.js` on `pubsub-axum`'s `LiveSource`).
pub fn activity_body() -> String {
    let buttons = run_buttons("");
    format!(
        r#"<section class="card">
  <h1>Activity</h1>
  <p class="muted">Every event on <code>jobs:resource:&lt;id&gt;</code>, as it happened, over Server-Sent Events with a resume token as each event's id. After a dropped stream the page reopens it with <code>?since=</code> and the history fills the gap (<button id="cut" type="button">cut the connection for 1.5 s</button>).</p>
  <p>{buttons}</p>
</section>
<section class="card"><h2>Events</h2><ol id="log" class="rows" data-sse="/live/activity"></ol></section>
<script type="module" src="/assets/activity.js"></script>"#
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

/// A job's page: its state now, followed over WebSocket channels (`assets/job.js`): the page
/// joins `jobs:workflow:<id>`, then `jobs:process:<id>`, draws each step event itself, and
/// rejoins from its last positions after a cut connection (nothing missed while the history
/// covers the gap).
pub fn job_body(job: &Job) -> String {
    let process = job.process_id.map(|p| p.to_string()).unwrap_or_default();
    format!(
        r#"<section class="card"><h1>{name}</h1><p class="muted">Job <code>{id}</code> · over a WebSocket: joins its workflow, then its process when it learns of it, draws every step event, and after a dropped connection rejoins from its last positions (<button id="cut" type="button">cut the connection for 1.5 s</button>).</p><p><a href="/jobs">← all jobs</a></p></section>
<section class="card"><div id="job" data-socket="/socket" data-job="{id}" data-process="{process}" data-total="{total}"><div id="live" class="live-area">{live}</div></div></section>
<script type="module" src="/assets/job.js"></script>"#,
        name = esc(&job.name),
        id = job.id,
        total = job.steps_total,
        live = self::job(job),
    )
}

/// A job's state as saved in the store (updated at each step boundary). Any numbers render:
/// the record may come from a shared store, written by anyone.
pub fn job(job: &Job) -> String {
    let total = job.steps_total.max(1);
    let done = job.steps_done.min(total);
    let percent = percent_of(u64::from(done) * 100, total);
    let current = if job.status == "running" {
        done.saturating_add(1).min(total)
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
        progress = progress(total, done, current, percent, 0),
    )
}

/// The progress block after a step event (`step_started`, `step_progress`, `step_completed`)
/// of a job with `total` steps; `None` for an event that cannot be right (a step outside
/// `1..=total`, a percent above 100), which the page skips: events come from the wire.
pub fn step_progress(total: u32, step: u32, percent: u8) -> Option<String> {
    let total = total.max(1);
    let before = step.checked_sub(1).filter(|b| *b < total)?;
    if percent > 100 {
        return None;
    }
    let done = if percent == 100 { step } else { before };
    let overall = percent_of(u64::from(before) * 100 + u64::from(percent), total);
    Some(progress(total, done, step, overall, percent))
}

/// `hundredths / total`, as a whole percent of at most 100.
fn percent_of(hundredths: u64, total: u32) -> u32 {
    let percent = hundredths / u64::from(total.max(1));
    u32::try_from(percent.min(100)).unwrap_or(100)
}

/// The progress block: an overall bar and the list of steps. Out-of-range numbers saturate
/// (the bar and the step's percent at 100).
pub fn progress(total: u32, done: u32, current: u32, overall: u32, step_percent: u8) -> String {
    let overall = overall.min(100);
    let step_percent = step_percent.min(100);
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
