//! Catalogue items: price and stock edits, new items; each followed by the `catalogue-events`
//! broadcast.

use catalogue_events::{DataKind, broadcast};
use serde::Deserialize;
use uuid::Uuid;

use super::limits::{NAME_CHARS, PRICE_CENTS, STOCK};
use super::{ActionError, at_most, not_found, text_within};
use crate::state::AppState;
use crate::store::Sample;
use crate::store::model::Item;

/// An edit of an item: the fields given change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemEdit {
    /// A new price, in cents, at most [`PRICE_CENTS`].
    pub price_cents: Option<u64>,
    /// A new stock level, at most [`STOCK`].
    pub stock: Option<u32>,
}

/// Edits an item's price or stock.
///
/// # Errors
///
/// An edit that sets nothing, a price or stock out of bounds ([`limits`](super::limits)); an
/// unknown item; a store failure.
pub async fn edit_item(state: &AppState, id: Uuid, edit: ItemEdit) -> Result<Item, ActionError> {
    if edit.price_cents.is_none() && edit.stock.is_none() {
        return Err(ActionError::Invalid {
            field: "edit",
            reason: "sets neither price_cents nor stock".to_owned(),
        });
    }
    if let Some(price) = edit.price_cents {
        at_most("price_cents", price, PRICE_CENTS)?;
    }
    if let Some(stock) = edit.stock {
        at_most("stock", stock, STOCK)?;
    }
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
/// An unknown catalogue; an empty or too long name, a price or stock out of bounds
/// ([`limits`](super::limits)); a store failure.
pub async fn add_item(
    state: &AppState,
    catalogue: Uuid,
    name: &str,
    price_cents: u64,
    stock: u32,
) -> Result<Item, ActionError> {
    if catalogue != Sample::CATALOGUE {
        return Err(ActionError::NotFound {
            kind: "catalogue",
            id: catalogue,
        });
    }
    let name = text_within("name", name, 1, NAME_CHARS)?;
    at_most("price_cents", price_cents, PRICE_CENTS)?;
    at_most("stock", stock, STOCK)?;
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
