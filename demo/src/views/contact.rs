//! The contact page: who it is, a form to log an interaction, and the live Interactions feed.

use std::fmt::Write as _;

use anyhow::Result;
use uuid::Uuid;

use super::{clock, esc, options};
use crate::actions::crm::KINDS;
use crate::store::Store;
use crate::store::model::{Contact, Interaction};

/// The id of an interaction's element in the feed.
pub fn row_id(interaction: Uuid) -> String {
    format!("interaction-{interaction}")
}

/// The static part of the page (the live feed fills `#live`).
pub fn body(contact: &Contact, contacts: &[Contact]) -> String {
    let subject = contact_options(contacts, contact.id);
    let parties = party_boxes(contacts, &[], "new");
    let kinds = options(&KINDS, "call");
    format!(
        r#"<section class="card">
  <h1>{name}</h1><p class="muted">{company}</p>
  <form class="inline-form" data-api="/api/interactions" data-reset id="new-interaction">
    <label>Subject <select name="contact_id">{subject}</select></label>
    <label>Kind <select name="kind">{kinds}</select></label>
    <label class="grow">Note <input name="note" placeholder="What happened?" required></label>
    <fieldset class="parties"><legend>With</legend>{parties}</fieldset>
    <button type="submit">Log interaction</button>
  </form>
</section>
<section class="card">
  <div class="card-head"><h2>Interactions</h2>
    <button class="ghost" data-post="/api/contacts/{id}/burst" title="Publishes 300 notices at once: more than a page's buffer, so this page lags and reloads">Send a burst of 300 events</button>
  </div>
  <div id="live" class="live-area">Connecting…</div>
</section>"#,
        name = esc(&contact.name),
        company = esc(&contact.company),
        id = contact.id,
    )
}

fn contact_options(contacts: &[Contact], selected: Uuid) -> String {
    let mut html = String::new();
    for c in contacts {
        let sel = if c.id == selected { " selected" } else { "" };
        let _ = write!(
            html,
            r#"<option value="{}"{sel}>{}</option>"#,
            c.id,
            esc(&c.name)
        );
    }
    html
}

fn party_boxes(contacts: &[Contact], checked: &[Uuid], form: &str) -> String {
    let mut html = String::new();
    for c in contacts {
        let on = if checked.contains(&c.id) {
            " checked"
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<label class="check"><input type="checkbox" name="party_ids" data-list value="{id}" data-party="{form}-{id}"{on}> {name}</label>"#,
            id = c.id,
            name = esc(&c.name),
        );
    }
    html
}

/// Every contact, by name (for the subject and party pickers).
///
/// # Errors
///
/// When the store fails.
pub async fn contacts(store: &Store) -> Result<Vec<Contact>> {
    let mut contacts = store.all::<Contact>().await?;
    contacts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(contacts)
}

/// The whole feed of `contact`: every interaction involving it, newest first.
///
/// # Errors
///
/// When the store fails.
pub async fn feed(store: &Store, contact: Uuid) -> Result<String> {
    let contacts = contacts(store).await?;
    let mut items = store.filter::<Interaction>(|i| i.involves(contact)).await?;
    items.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
    let mut html = String::from(r#"<ul id="feed" class="feed">"#);
    for item in &items {
        html.push_str(&row(item, &contacts));
    }
    html.push_str("</ul>");
    Ok(html)
}

/// One entry of a feed, with its edit form and delete button.
pub fn row(item: &Interaction, contacts: &[Contact]) -> String {
    let name = |id: &Uuid| {
        let found = contacts.iter().find(|c| c.id == *id);
        esc(found.map_or("(unknown)", |c| c.name.as_str()))
    };
    let with = if item.party_ids.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = item.party_ids.iter().map(name).collect();
        format!(r#" <span class="muted">with</span> {}"#, list.join(", "))
    };
    format!(
        r#"<li id="{row}" class="entry" data-note="{note}"><div class="entry-main"><span class="tag tag-{kind}">{kind}</span> <b>{subject}</b>{with}<div class="note">{note}</div></div><div class="entry-side"><span class="muted">{at}</span><details><summary>Edit</summary><form class="edit-form" data-api="/api/interactions/{id}"><label>Subject <select name="contact_id">{subjects}</select></label><label>Kind <select name="kind">{kinds}</select></label><label>Note <input name="note" value="{note}"></label><fieldset class="parties"><legend>With</legend>{parties}</fieldset><button type="submit">Save</button></form></details><button class="danger small" data-post="/api/interactions/{id}/delete">Delete</button></div></li>"#,
        row = row_id(item.id),
        id = item.id,
        kind = esc(&item.kind),
        subject = name(&item.contact_id),
        note = esc(&item.note),
        at = clock(item.at),
        subjects = contact_options(contacts, item.contact_id),
        kinds = options(&KINDS, &item.kind),
        parties = party_boxes(contacts, &item.party_ids, &item.id.to_string()),
    )
}
