//! A contact's Interactions feed, live: `crm:contact:<uuid>:interactions`, coalesced per
//! interaction.

use anyhow::Result;
use crm_events::{CrmEvent, topic_contact_interactions};
use futures_util::StreamExt;
use pubsub_core::{Delivery, EventRef, LiveStreamExt};
use uuid::Uuid;

use super::{COALESCE, Out, reason};
use crate::state::AppState;
use crate::store::model::Interaction;
use crate::views::contact::{contacts, feed, row, row_id};

/// The interaction an event is about (`None`: re-read the whole feed).
fn interaction_of(event: &EventRef<CrmEvent>) -> Option<Uuid> {
    match &**event {
        CrmEvent::InteractionCreated(p)
        | CrmEvent::InteractionUpdated(p)
        | CrmEvent::InteractionDeleted(p) => Some(p.interaction_uuid),
        _ => None,
    }
}

/// Follows `contact`'s feed until the page closes.
///
/// # Errors
///
/// When the broker refuses the subscription, the store fails, or the page closes.
pub async fn run(state: AppState, contact: Uuid, out: Out) -> Result<()> {
    let topic = topic_contact_interactions(contact);
    let subscription = crm_events::subscribe(&*state.broker, &topic).await?;
    let mut events = out.count(subscription).coalesce(COALESCE, interaction_of);

    out.snapshot(feed(&state.store, contact).await?, None)
        .await?;

    while let Some(delivery) = events.next().await {
        match delivery {
            Delivery::Message(event) => match interaction_of(&event) {
                Some(id) => refresh_row(&state, &out, contact, id).await?,
                None => {
                    out.snapshot(feed(&state.store, contact).await?, None)
                        .await?;
                }
            },
            notice => {
                let why = reason(&notice);
                out.snapshot(feed(&state.store, contact).await?, Some(why))
                    .await?;
            }
        }
    }
    Ok(())
}

/// Re-reads one interaction: shows it if it (still) involves the contact, removes it otherwise.
async fn refresh_row(state: &AppState, out: &Out, contact: Uuid, id: Uuid) -> Result<()> {
    match state.store.get::<Interaction>(id).await? {
        Some(interaction) if interaction.involves(contact) => {
            let contacts = contacts(&state.store).await?;
            out.upsert(row_id(id), "feed", "start", row(&interaction, &contacts))
                .await?;
        }
        _ => out.remove(row_id(id)).await?,
    }
    Ok(())
}
