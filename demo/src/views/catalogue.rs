//! The catalogue list: items with price and stock, each row refreshed on its own.

use anyhow::Result;
use uuid::Uuid;

use super::esc;
use crate::actions::limits::STOCK;
use crate::store::Store;
use crate::store::model::Item;

/// The id of an item's row.
pub fn row_id(item: Uuid) -> String {
    format!("item-{item}")
}

/// The static part of the page.
pub fn body(catalogue: Uuid) -> String {
    format!(
        r#"<section class="card">
  <h1>Office supplies</h1><p class="muted">Catalogue · one topic for every screen; rows refresh one by one</p>
  <form class="inline-form" data-api="/api/catalogues/{catalogue}/items" data-reset>
    <label class="grow">Name <input name="name" required></label>
    <label>Price (cents) <input name="price_cents" type="number" min="0" value="1000" required></label>
    <label>Stock <input name="stock" type="number" min="0" value="10" required></label>
    <button type="submit">Add item</button>
  </form>
</section>
<section class="card"><h2>Items</h2><div id="live" class="live-area">Connecting…</div></section>"#
    )
}

/// Every item of the catalogue, by name.
///
/// # Errors
///
/// When the store fails.
pub async fn list(store: &Store, catalogue: Uuid) -> Result<String> {
    let mut items = store
        .filter::<Item>(|i| i.catalogue_id == catalogue)
        .await?;
    items.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let mut html = String::from(
        r#"<table class="items"><thead><tr><th>Item</th><th class="num">Price</th><th class="num">Stock</th><th></th></tr></thead><tbody id="items">"#,
    );
    for item in &items {
        html.push_str(&row(item));
    }
    html.push_str("</tbody></table>");
    Ok(html)
}

/// One item's row, with quick stock buttons. Any numbers render (the item may come from a
/// shared store, written by anyone); the buttons only ever post a stock within
/// [`crate::actions::limits::STOCK`], and "+10" is disabled at the bound.
pub fn row(item: &Item) -> String {
    let low = if item.stock < 10 { " low" } else { "" };
    let down = item.stock.saturating_sub(1).min(STOCK);
    let up = item.stock.saturating_add(10).min(STOCK);
    let up_off = if up <= item.stock { " disabled" } else { "" };
    format!(
        r#"<tr id="{row}"><td>{name}</td><td class="num">{units}.{cents:02} €</td><td class="num{low}">{stock}</td><td class="actions"><button class="small" data-post="/api/items/{id}" data-body="{minus}">−1</button><button class="small" data-post="/api/items/{id}" data-body="{plus}"{up_off}>+10</button></td></tr>"#,
        row = row_id(item.id),
        name = esc(&item.name),
        units = item.price_cents / 100,
        cents = item.price_cents % 100,
        stock = item.stock,
        id = item.id,
        minus = esc(&format!(r#"{{"stock":{down}}}"#)),
        plus = esc(&format!(r#"{{"stock":{up}}}"#)),
    )
}
