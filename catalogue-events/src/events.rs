//! The wire enum [`CatalogueEvent`] and its payloads.

mod values;

pub use values::{BulkKind, CardScope, DataKind, ParseCardScopeError, SortDir};

use pubsub_core::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every catalogue event, as subscribers receive it (Elixir:
/// `{:catalogue_data_changed, kind, uuid, parent_catalogue_uuid}` and the four screen tuples).
///
/// The wire form is `{"event": "<atom text>", "payload": {..}}`; unknown payload fields are
/// ignored, and an unknown event name is a decode error that names it. The screen events'
/// originating screen is not a field: it travels as the message's origin (`publish_from`), and
/// that screen's subscription never receives them.
///
/// ```
/// use catalogue_events::{CatalogueEvent, DataChangedPayload, DataKind};
/// # fn main() -> Result<(), serde_json::Error> {
/// let links = CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
///     kind: DataKind::Links,
///     uuid: None,
///     parent_catalogue_uuid: None,
/// });
/// assert_eq!(
///     serde_json::to_string(&links)?,
///     r#"{"event":"catalogue_data_changed","payload":{"kind":"links","uuid":null,"parent_catalogue_uuid":null}}"#
/// );
/// # Ok(()) }
/// ```
// Reason: the variant names mirror the upstream atoms (`:catalogue_data_changed`, ...).
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum CatalogueEvent {
    /// `catalogue_data_changed`: a write succeeded; re-fetch the affected slice.
    CatalogueDataChanged(DataChangedPayload),
    /// `catalogue_card_refresh`: items were reordered inside one category card.
    CatalogueCardRefresh(CardRefreshPayload),
    /// `catalogue_view_sort_changed`: a shared sort of a view changed.
    CatalogueViewSortChanged(ViewSortChangedPayload),
    /// `catalogue_category_reorder`: a catalogue's categories were reordered.
    CatalogueCategoryReorder(CategoryReorderPayload),
    /// `catalogue_bulk_change`: many items were trashed, restored, moved or deleted at once.
    CatalogueBulkChange(BulkChangePayload),
}

impl Event for CatalogueEvent {
    const DOMAIN: &'static str = "catalogue";

    fn name(&self) -> &'static str {
        match self {
            CatalogueEvent::CatalogueDataChanged(_) => "catalogue_data_changed",
            CatalogueEvent::CatalogueCardRefresh(_) => "catalogue_card_refresh",
            CatalogueEvent::CatalogueViewSortChanged(_) => "catalogue_view_sort_changed",
            CatalogueEvent::CatalogueCategoryReorder(_) => "catalogue_category_reorder",
            CatalogueEvent::CatalogueBulkChange(_) => "catalogue_bulk_change",
        }
    }
}

/// Payload of `catalogue_data_changed`.
///
/// - `uuid` is the record that changed; `None` when the change is not tied to one record (a bulk
///   link sync).
/// - `parent_catalogue_uuid` is the catalogue containing the record, the record itself for
///   [`DataKind::Catalogue`], and `None` for global resources (manufacturers, suppliers, links),
///   so a detail screen can ignore other catalogues' noise (see
///   [`concerns_catalogue`](crate::concerns_catalogue)).
///
/// ```
/// use catalogue_events::{DataChangedPayload, DataKind};
/// let (item, catalogue) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let payload = DataChangedPayload { kind: DataKind::Item, uuid: Some(item), parent_catalogue_uuid: Some(catalogue) };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataChangedPayload {
    /// What kind of resource changed.
    pub kind: DataKind,
    /// The record that changed, if the change is tied to one.
    pub uuid: Option<Uuid>,
    /// The catalogue that contains it, if it belongs to one.
    pub parent_catalogue_uuid: Option<Uuid>,
}

/// Payload of `catalogue_card_refresh`: re-fetch one card's items, and flash the moved row.
///
/// ```
/// use catalogue_events::{CardRefreshPayload, CardScope};
/// let payload = CardRefreshPayload {
///     catalogue_uuid: uuid::Uuid::new_v4(),
///     scope: CardScope::Uncategorized,
///     flash_uuid: Some(uuid::Uuid::new_v4()),
///     flash_status: "ok".to_owned(),
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardRefreshPayload {
    /// The catalogue whose detail page shows the card.
    pub catalogue_uuid: Uuid,
    /// The card: a category, or the uncategorized items.
    pub scope: CardScope,
    /// The row to flash, if any.
    pub flash_uuid: Option<Uuid>,
    /// The flash's status, as the application names it (`"ok"`, `"error"`).
    pub flash_status: String,
}

/// Payload of `catalogue_view_sort_changed`: another admin changed a shared sort.
///
/// ```
/// use catalogue_events::{SortDir, ViewSortChangedPayload};
/// let payload = ViewSortChangedPayload {
///     scope: "detail_items".to_owned(),
///     sort_by: "name".to_owned(),
///     sort_dir: SortDir::Asc,
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ViewSortChangedPayload {
    /// The view whose sort changed, as the application names it (`"detail_items"`).
    pub scope: String,
    /// The field sorted by (`"name"`, `"position"`).
    pub sort_by: String,
    /// The direction.
    pub sort_dir: SortDir,
}

/// Payload of `catalogue_category_reorder`: the categories' positions changed; reload them.
///
/// ```
/// use catalogue_events::CategoryReorderPayload;
/// let payload = CategoryReorderPayload {
///     catalogue_uuid: uuid::Uuid::new_v4(),
///     moved_id: None,
///     status: "ok".to_owned(),
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CategoryReorderPayload {
    /// The catalogue whose categories moved.
    pub catalogue_uuid: Uuid,
    /// The category that was moved, if one was.
    pub moved_id: Option<Uuid>,
    /// The outcome, as the application names it (`"ok"`, `"error"`).
    pub status: String,
}

/// Payload of `catalogue_bulk_change`: these items are leaving or arriving on screen.
///
/// ```
/// use catalogue_events::{BulkChangePayload, BulkKind};
/// let payload = BulkChangePayload {
///     catalogue_uuid: uuid::Uuid::new_v4(),
///     kind: BulkKind::Trashed,
///     uuids: vec![uuid::Uuid::new_v4(), uuid::Uuid::new_v4()],
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BulkChangePayload {
    /// The catalogue the items belong to.
    pub catalogue_uuid: Uuid,
    /// What happened to them.
    pub kind: BulkKind,
    /// The affected items.
    pub uuids: Vec<Uuid>,
}
