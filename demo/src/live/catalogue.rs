//! The catalogue list, live: `phoenix_kit_catalogue`, coalesced per record.

use anyhow::Result;
use catalogue_events::{CatalogueEvent, DataKind};
use futures_util::StreamExt;
use pubsub_core::{Delivery, EventRef, LiveStreamExt};
use uuid::Uuid;

use super::{COALESCE, Out, reason};
use crate::state::AppState;
use crate::store::model::Item;
use crate::views::catalogue::{list, row, row_id};

/// The item an event is about (`None`: re-read the list).
fn item_of(event: &EventRef<CatalogueEvent>) -> Option<Uuid> {
    match &**event {
        CatalogueEvent::CatalogueDataChanged(p) if p.kind == DataKind::Item => p.uuid,
        _ => None,
    }
}

/// Follows `catalogue` until the page closes.
///
/// # Errors
///
/// When the broker refuses the subscription, the store fails, or the page closes.
pub async fn run(state: AppState, catalogue: Uuid, out: Out) -> Result<()> {
    let subscription = catalogue_events::subscribe(&*state.broker).await?;
    let mut events = out.count(subscription).coalesce(COALESCE, item_of);

    out.snapshot(list(&state.store, catalogue).await?, None)
        .await?;

    while let Some(delivery) = events.next().await {
        match delivery {
            Delivery::Message(event) => match item_of(&event) {
                Some(id) => match state.store.get::<Item>(id).await? {
                    Some(item) if item.catalogue_id == catalogue => {
                        out.upsert(row_id(id), "items", "end", row(&item)).await?;
                    }
                    _ => out.remove(row_id(id)).await?,
                },
                None => {
                    out.snapshot(list(&state.store, catalogue).await?, None)
                        .await?;
                }
            },
            notice => {
                let why = reason(&notice);
                out.snapshot(list(&state.store, catalogue).await?, Some(why))
                    .await?;
            }
        }
    }
    Ok(())
}
