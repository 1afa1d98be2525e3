//! Catalogue items: price and stock edits, new items; each followed by the `catalogue-events`
//! broadcast.

use catalogue_events::{DataKind, broadcast};
use serde::Deserialize;
use uuid::Uuid;

use super::{ActionError, not_found};
use crate::state::AppState;
use crate::store::model::Item;

/// An edit of an item: the fields given change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemEdit {
    /// A new price, in cents.
    pub price_cents: Option<u64>,
    /// A new stock level.
    pub stock: Option<u32>,
}

/// Edits an item's price or stock.
///
/// # Errors
///
/// An unknown item; a store failure.
pub async fn edit_item(state: &AppState, id: Uuid, edit: ItemEdit) -> Result<Item, ActionError> {
    let mut item = state
        .store
        .get::<Item>(id)
        .await?
        .ok_or_else(|| not_found::<Item>(id))?;
    if let Some(price) = edit.price_cents {
        item.price_cents = price;
    }
    if let Some(stock) = edit.stock {
        item.stock = stock;
    }
    state.store.put(&item).await?;
    broadcast(
        &*state.broker,
        DataKind::Item,
        Some(id),
        Some(item.catalogue_id),
    )
    .await;
    Ok(item)
}

/// Adds an item to a catalogue.
///
/// # Errors
///
/// An empty name; a store failure.
pub async fn add_item(
    state: &AppState,
    catalogue: Uuid,
    name: &str,
    price_cents: u64,
    stock: u32,
) -> Result<Item, ActionError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ActionError::Invalid {
            field: "name",
            reason: "is empty".to_owned(),
        });
    }
    let item = Item {
        id: Uuid::new_v4(),
        catalogue_id: catalogue,
        name: name.to_owned(),
        price_cents,
        stock,
    };
    state.store.put(&item).await?;
    broadcast(
        &*state.broker,
        DataKind::Item,
        Some(item.id),
        Some(catalogue),
    )
    .await;
    Ok(item)
}
