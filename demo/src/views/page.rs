//! The page shell (header, live counters, simulate switch) and the index page.

use std::fmt::Write as _;

use super::esc;
use crate::store::Sample;
use crate::store::model::{Contact, Team};

const SHELL: &str = include_str!("../../assets/shell.html");

/// The navigation links, one per page kind.
fn nav() -> String {
    let links = [
        ("/", "Home"),
        (&format!("/contacts/{}", Sample::ADA), "Contact"),
        (&format!("/projects/{}", Sample::PROJECT), "Project"),
        (&format!("/teams/{}", Sample::TEAM), "Team"),
        ("/catalogue", "Catalogue"),
        ("/jobs", "Jobs"),
        ("/activity", "Activity"),
    ];
    let mut html = String::new();
    for (href, label) in links {
        let _ = write!(html, r#"<a href="{href}">{label}</a>"#);
    }
    html
}

/// A whole page: the shell around `body`. `live` is the page's SSE endpoint (empty for none).
///
/// One pass over the shell: a `{{…}}` inside a value (a stored name, say) stays text and is
/// never expanded.
pub fn page(title: &str, node: &str, simulating: bool, live: &str, body: &str) -> String {
    let title = esc(title);
    let nav = nav();
    let node = esc(node);
    let value = |key: &str| match key {
        "title" => Some(title.as_str()),
        "nav" => Some(nav.as_str()),
        "node" => Some(node.as_str()),
        "simulating" => Some(if simulating { "checked" } else { "" }),
        "live" => Some(live),
        "body" => Some(body),
        _ => None,
    };
    let mut html = String::with_capacity(SHELL.len() + body.len());
    let mut rest = SHELL;
    while let Some(start) = rest.find("{{") {
        html.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let found = after
            .find("}}")
            .and_then(|end| Some((value(&after[..end])?, end)));
        if let Some((text, end)) = found {
            html.push_str(text);
            rest = &after[end + 2..];
        } else {
            html.push_str("{{");
            rest = after;
        }
    }
    html.push_str(rest);
    html
}

/// The home page: what the demo shows and where.
pub fn index(contacts: &[Contact], teams: &[Team]) -> String {
    let mut people = String::new();
    for c in contacts {
        let _ = write!(
            people,
            r#"<li><a href="/contacts/{}">{}</a> <span class="muted">{}</span></li>"#,
            c.id,
            esc(&c.name),
            esc(&c.company)
        );
    }
    let mut team_links = String::new();
    for t in teams {
        let _ = write!(
            team_links,
            r#"<li><a href="/teams/{}">{}</a></li>"#,
            t.id,
            esc(&t.name)
        );
    }
    format!(
        r#"<section class="card intro">
  <h1>Live pages over publish/subscribe</h1>
  <p>Open any page in two tabs (or on two nodes sharing a Redis) and change something in one: the other refreshes within milliseconds.
  Each page subscribes to its topics <em>before</em> loading its data, throttles bursts with the core's stream helpers, and reloads
  when told it missed events (the <span class="pill warn">reloaded after lag</span> badge). Switch on <b>simulate activity</b> for a steady stream of changes.</p>
</section>
<div class="grid">
  <section class="card"><h2>Contacts</h2><p class="muted">Interactions feed: <code>crm:contact:&lt;id&gt;:interactions</code></p><ul class="links">{people}</ul></section>
  <section class="card"><h2>Projects</h2><p class="muted"><code>projects:project:&lt;id&gt;</code></p><ul class="links"><li><a href="/projects/{project}">Website relaunch</a></li></ul></section>
  <section class="card"><h2>Staff teams</h2><p class="muted"><code>staff:team:&lt;id&gt;</code> + <code>staff:people</code></p><ul class="links">{team_links}</ul></section>
  <section class="card"><h2>Catalogue</h2><p class="muted"><code>phoenix_kit_catalogue</code></p><ul class="links"><li><a href="/catalogue">Office supplies</a></li></ul></section>
  <section class="card"><h2>Background jobs</h2><p class="muted">The demo's own domain: <code>jobs:resource → workflow → process</code></p><ul class="links"><li><a href="/jobs">Jobs</a></li></ul></section>
</div>"#,
        project = Sample::PROJECT,
    )
}
