//! HTML, rendered on the server: whole pages for a first GET, fragments for live updates.

pub mod catalogue;
pub mod contact;
pub mod jobs;
pub mod page;
pub mod project;
pub mod team;
pub mod viewers;

use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `<option>`s for `values`, with `selected` selected.
pub(crate) fn options(values: &[&str], selected: &str) -> String {
    let mut html = String::new();
    for value in values {
        let sel = if *value == selected { " selected" } else { "" };
        let _ = write!(html, r#"<option value="{0}"{sel}>{0}</option>"#, esc(value));
    }
    html
}

/// A segmented control: one button per status, posting `{"status": ..}` to `url`, the
/// `current` one marked.
pub(crate) fn status_buttons(statuses: &[&str], current: &str, url: &str) -> String {
    let mut html = String::new();
    for status in statuses {
        let marked = if *status == current { " current" } else { "" };
        let _ = write!(
            html,
            r#"<button class="seg{marked}" data-post="{url}" data-body="{body}">{status}</button>"#,
            body = esc(&format!(r#"{{"status":"{status}"}}"#)),
        );
    }
    html
}

/// A time as `HH:MM:SS` (UTC), for feeds.
pub(crate) fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    )
}
