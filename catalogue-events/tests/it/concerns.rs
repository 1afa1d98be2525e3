//! `concerns_catalogue`: which events a catalogue's detail screen acts on.

use catalogue_events::{
    BulkChangePayload, BulkKind, CardRefreshPayload, CardScope, CatalogueEvent,
    CategoryReorderPayload, DataChangedPayload, DataKind, SortDir, ViewSortChangedPayload,
    concerns_catalogue,
};
use uuid::Uuid;

fn changed(kind: DataKind, parent: Option<Uuid>) -> CatalogueEvent {
    CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
        kind,
        uuid: Some(Uuid::new_v4()),
        parent_catalogue_uuid: parent,
    })
}

#[test]
fn a_data_change_concerns_its_parent_catalogue_only() {
    let (mine, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    for kind in DataKind::ALL {
        assert!(concerns_catalogue(&changed(kind, Some(mine)), mine));
        assert!(!concerns_catalogue(&changed(kind, Some(theirs)), mine));
    }
}

#[test]
fn a_data_change_without_a_parent_concerns_every_catalogue() {
    let mine = Uuid::new_v4();
    for kind in [DataKind::Manufacturer, DataKind::Supplier, DataKind::Links] {
        assert!(concerns_catalogue(&changed(kind, None), mine));
    }
}

#[test]
fn screen_events_concern_the_catalogue_they_name_and_a_sort_concerns_all() {
    let (mine, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    let card = |c| {
        CatalogueEvent::CatalogueCardRefresh(CardRefreshPayload {
            catalogue_uuid: c,
            scope: CardScope::Uncategorized,
            flash_uuid: None,
            flash_status: "ok".to_owned(),
        })
    };
    let reorder = |c| {
        CatalogueEvent::CatalogueCategoryReorder(CategoryReorderPayload {
            catalogue_uuid: c,
            moved_id: None,
            status: "ok".to_owned(),
        })
    };
    let bulk = |c| {
        CatalogueEvent::CatalogueBulkChange(BulkChangePayload {
            catalogue_uuid: c,
            kind: BulkKind::Restored,
            uuids: vec![],
        })
    };
    for make in [card, reorder, bulk] {
        assert!(concerns_catalogue(&make(mine), mine));
        assert!(!concerns_catalogue(&make(theirs), mine));
    }
    let sort = CatalogueEvent::CatalogueViewSortChanged(ViewSortChangedPayload {
        scope: "detail_categories".to_owned(),
        sort_by: "position".to_owned(),
        sort_dir: SortDir::Asc,
    });
    assert!(concerns_catalogue(&sort, mine));
}
