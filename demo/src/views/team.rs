//! The staff team page: its members and their availability, the list refreshed per batch.

use std::fmt::Write as _;

use anyhow::Result;
use uuid::Uuid;

use super::{esc, status_buttons};
use crate::actions::staff::STATUSES;
use crate::store::Store;
use crate::store::model::{Membership, Person, Team};

/// The static part of the page.
pub fn body(team: &Team) -> String {
    format!(
        r#"<section class="card">
  <h1>{name}</h1><p class="muted">Team · the member list reloads once per batch of events</p>
</section>
<section class="card"><h2>Members</h2><div id="live" class="live-area">Connecting…</div></section>"#,
        name = esc(&team.name),
    )
}

/// The team's members, and a form to add anyone who is not one.
///
/// # Errors
///
/// When the store fails.
pub async fn members(store: &Store, team: Uuid) -> Result<String> {
    let people = store.all::<Person>().await?;
    let memberships = store.filter::<Membership>(|m| m.team_id == team).await?;
    let mut rows: Vec<(&Person, &Membership)> = memberships
        .iter()
        .filter_map(|m| people.iter().find(|p| p.id == m.person_id).map(|p| (p, m)))
        .collect();
    rows.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut html = String::from(r#"<ul id="members" class="rows">"#);
    for (person, membership) in &rows {
        let statuses = status_buttons(
            &STATUSES,
            &person.status,
            &format!("/api/people/{}/status", person.id),
        );
        let _ = write!(
            html,
            r#"<li id="member-{pid}" class="row"><span class="dot dot-{status}"></span><span class="title">{name} <span class="muted">{role}</span></span><span class="segs">{statuses}</span><button class="danger small" data-post="/api/memberships/{mid}/delete">Remove</button></li>"#,
            pid = person.id,
            status = esc(&person.status),
            name = esc(&person.name),
            role = esc(&person.role),
            mid = membership.id,
        );
    }
    html.push_str("</ul>");
    let mut others: Vec<&Person> = people
        .iter()
        .filter(|p| !memberships.iter().any(|m| m.person_id == p.id))
        .collect();
    others.sort_by(|a, b| a.name.cmp(&b.name));
    if !others.is_empty() {
        let mut opts = String::new();
        for p in others {
            let _ = write!(
                opts,
                r#"<option value="{}">{}</option>"#,
                p.id,
                esc(&p.name)
            );
        }
        let _ = write!(
            html,
            r#"<form class="inline-form" data-api="/api/teams/{team}/members"><label>Add <select name="person_id">{opts}</select></label><button type="submit">Add to team</button></form>"#
        );
    }
    Ok(html)
}
