//! The fan-out rule, as pure functions: every catalogue event goes to the one shared topic, and
//! each screen decides on receipt whether an event concerns it.
//!
//! The topics are typed, `Vec<TypedTopic<CatalogueEvent>>`; the broadcast functions hand them
//! with the event to [`pubsub_core::broadcast_event`], so the topic and the event cannot be of
//! different domains.

use pubsub_core::TypedTopic;
use uuid::Uuid;

use crate::events::CatalogueEvent;
use crate::topics::topic;

/// The topics of any catalogue event: `phoenix_kit_catalogue`, always (one shared topic).
///
/// ```
/// use catalogue_events::{CatalogueEvent, DataChangedPayload, DataKind, topics_for};
/// let event = CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
///     kind: DataKind::Supplier,
///     uuid: Some(uuid::Uuid::new_v4()),
///     parent_catalogue_uuid: None,
/// });
/// assert_eq!(topics_for(&event), [catalogue_events::topic()]);
/// ```
pub fn topics_for(event: &CatalogueEvent) -> Vec<TypedTopic<CatalogueEvent>> {
    match event {
        CatalogueEvent::CatalogueDataChanged(_)
        | CatalogueEvent::CatalogueCardRefresh(_)
        | CatalogueEvent::CatalogueViewSortChanged(_)
        | CatalogueEvent::CatalogueCategoryReorder(_)
        | CatalogueEvent::CatalogueBulkChange(_) => vec![topic()],
    }
}

/// Whether `event` concerns the detail screen of catalogue `catalogue_uuid`: the receiving side
/// of the shared topic, so a detail screen ignores other catalogues' noise.
///
/// - `catalogue_data_changed`: when its `parent_catalogue_uuid` is this catalogue, or absent (a
///   global resource such as a supplier, or a bulk change tied to no catalogue, concerns every
///   screen).
/// - `catalogue_card_refresh`, `catalogue_category_reorder`, `catalogue_bulk_change`: when their
///   `catalogue_uuid` is this catalogue.
/// - `catalogue_view_sort_changed`: always (a shared sort is not per catalogue).
///
/// ```
/// use catalogue_events::{CatalogueEvent, DataChangedPayload, DataKind, concerns_catalogue};
/// use uuid::Uuid;
///
/// let (mine, theirs) = (Uuid::new_v4(), Uuid::new_v4());
/// let changed = |parent| CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
///     kind: DataKind::Item,
///     uuid: Some(Uuid::new_v4()),
///     parent_catalogue_uuid: parent,
/// });
/// assert!(concerns_catalogue(&changed(Some(mine)), mine));
/// assert!(!concerns_catalogue(&changed(Some(theirs)), mine));
/// assert!(concerns_catalogue(&changed(None), mine));
/// ```
pub fn concerns_catalogue(event: &CatalogueEvent, catalogue_uuid: Uuid) -> bool {
    match event {
        CatalogueEvent::CatalogueDataChanged(p) => p
            .parent_catalogue_uuid
            .is_none_or(|parent| parent == catalogue_uuid),
        CatalogueEvent::CatalogueCardRefresh(p) => p.catalogue_uuid == catalogue_uuid,
        CatalogueEvent::CatalogueCategoryReorder(p) => p.catalogue_uuid == catalogue_uuid,
        CatalogueEvent::CatalogueBulkChange(p) => p.catalogue_uuid == catalogue_uuid,
        CatalogueEvent::CatalogueViewSortChanged(_) => true,
    }
}
