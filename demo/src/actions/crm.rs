//! Interactions: log, edit, delete; each followed by the `crm-events` broadcast.

use crm_events::{
    InteractionChange, broadcast_interaction, broadcast_interaction_to,
    broadcast_interaction_update,
};
use serde::Deserialize;
use uuid::Uuid;

use super::limits::{NOTE_CHARS, PARTIES};
use super::{ActionError, not_found, one_of, text_within};
use crate::state::AppState;
use crate::store::model::{Contact, Interaction, now_ms};

/// The kinds of interaction the form offers.
pub const KINDS: [&str; 4] = ["call", "email", "meeting", "note"];

/// What the interaction form sends.
#[derive(Debug, Clone, Deserialize)]
pub struct InteractionForm {
    /// The subject contact.
    pub contact_id: Uuid,
    /// The other contacts taking part, at most [`PARTIES`].
    #[serde(default)]
    pub party_ids: Vec<Uuid>,
    /// One of [`KINDS`].
    pub kind: String,
    /// Free text, at most [`NOTE_CHARS`] characters.
    #[serde(default)]
    pub note: String,
}

/// The form's parties without the subject or repeats, and its trimmed note.
async fn validate<'a>(
    state: &AppState,
    form: &'a InteractionForm,
) -> Result<(Vec<Uuid>, &'a str), ActionError> {
    one_of("kind", &form.kind, &KINDS)?;
    let note = text_within("note", &form.note, 0, NOTE_CHARS)?;
    if form.party_ids.len() > PARTIES {
        return Err(ActionError::Invalid {
            field: "party_ids",
            reason: format!("must list at most {PARTIES} contacts"),
        });
    }
    let contacts = state.store.all::<Contact>().await?;
    let known = |id: &Uuid| contacts.iter().any(|c| c.id == *id);
    if !known(&form.contact_id) {
        return Err(not_found::<Contact>(form.contact_id));
    }
    let mut parties = Vec::new();
    for id in &form.party_ids {
        if !known(id) {
            return Err(not_found::<Contact>(*id));
        }
        if *id != form.contact_id && !parties.contains(id) {
            parties.push(*id);
        }
    }
    Ok((parties, note))
}

/// Logs an interaction and tells the feed of every contact it involves.
///
/// # Errors
///
/// An unknown contact or kind, a too long note or party list
/// ([`limits`](super::limits)); a store failure.
pub async fn create_interaction(
    state: &AppState,
    form: InteractionForm,
) -> Result<Interaction, ActionError> {
    let (party_ids, note) = validate(state, &form).await?;
    let note = note.to_owned();
    let interaction = Interaction {
        id: Uuid::new_v4(),
        contact_id: form.contact_id,
        party_ids,
        kind: form.kind,
        note,
        at: now_ms(),
    };
    state.store.put(&interaction).await?;
    let model = interaction.to_event_model();
    broadcast_interaction(&*state.broker, InteractionChange::Created, &model).await;
    Ok(interaction)
}

/// Edits an interaction. The broadcast reaches the feeds of the contacts involved before *and*
/// after, so a contact removed from the parties gets the refresh that removes the entry.
///
/// # Errors
///
/// An unknown interaction, contact or kind, a too long note or party list
/// ([`limits`](super::limits)); a store failure.
pub async fn update_interaction(
    state: &AppState,
    id: Uuid,
    form: InteractionForm,
) -> Result<Interaction, ActionError> {
    let before = state
        .store
        .get::<Interaction>(id)
        .await?
        .ok_or_else(|| not_found::<Interaction>(id))?;
    let (party_ids, note) = validate(state, &form).await?;
    let note = note.to_owned();
    let after = Interaction {
        contact_id: form.contact_id,
        party_ids,
        kind: form.kind,
        note,
        ..before.clone()
    };
    state.store.put(&after).await?;
    broadcast_interaction_update(
        &*state.broker,
        &before.to_event_model(),
        &after.to_event_model(),
    )
    .await;
    Ok(after)
}

/// Deletes an interaction and tells every feed it was in.
///
/// # Errors
///
/// An unknown interaction; a store failure.
pub async fn delete_interaction(state: &AppState, id: Uuid) -> Result<(), ActionError> {
    let before = state
        .store
        .get::<Interaction>(id)
        .await?
        .ok_or_else(|| not_found::<Interaction>(id))?;
    state.store.delete::<Interaction>(id).await?;
    let model = before.to_event_model();
    broadcast_interaction(&*state.broker, InteractionChange::Deleted, &model).await;
    Ok(())
}

/// Publishes `count` `interaction_updated` notices to `contact`'s feed at once, without
/// changing anything: more than a page's buffer holds, so its subscription lags and the page
/// shows the reload-after-lag path.
///
/// # Errors
///
/// An unknown contact; a store failure.
pub async fn burst(state: &AppState, contact: Uuid, count: u32) -> Result<u32, ActionError> {
    if state.store.get::<Contact>(contact).await?.is_none() {
        return Err(not_found::<Contact>(contact));
    }
    let feed = state
        .store
        .filter::<Interaction>(|i| i.involves(contact))
        .await?;
    let target = feed
        .iter()
        .max_by_key(|i| i.at)
        .map_or(Uuid::nil(), |i| i.id);
    for _ in 0..count {
        broadcast_interaction_to(
            &*state.broker,
            InteractionChange::Updated,
            target,
            [contact],
        )
        .await;
    }
    Ok(count)
}
