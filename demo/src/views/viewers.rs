//! The "also viewing" panel of the contact and team pages (filled by `assets/viewers.js`).

use super::esc;

/// The panel for the page whose presence topic is `topic`.
pub fn panel(topic: &str) -> String {
    format!(
        r#"<section class="card viewers" id="viewers" data-topic="{topic}">
  <h2>Also viewing</h2><ul id="viewer-list" class="viewer-list"><li class="muted">Connecting…</li></ul>
</section>
<script type="module" src="/assets/viewers.js"></script>"#,
        topic = esc(topic)
    )
}
