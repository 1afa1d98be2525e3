//! Broadcasts are best-effort: a broker whose publish fails or panics never fails or panics the
//! caller; every failure is counted in the report and logged with topic, domain and event.

use catalogue_events::{
    BulkChangePayload, BulkKind, CardRefreshPayload, CardScope, CategoryReorderPayload, DataKind,
    SortDir, ViewSortChangedPayload, broadcast, broadcast_bulk_change, broadcast_card_refresh,
    broadcast_category_reorder, broadcast_view_sort_changed,
};
use pubsub_core::testing::{FailingBroker, LogCapture, PanickingBroker};
use pubsub_core::{BroadcastReport, Broker};
use uuid::Uuid;

/// Runs every broadcast function against `broker`.
async fn broadcast_everything(broker: &dyn Broker) -> Vec<BroadcastReport> {
    let catalogue = Uuid::new_v4();
    vec![
        broadcast(
            broker,
            DataKind::Item,
            Some(Uuid::new_v4()),
            Some(catalogue),
        )
        .await,
        broadcast(broker, DataKind::Links, None, None).await,
        broadcast_card_refresh(
            broker,
            CardRefreshPayload {
                catalogue_uuid: catalogue,
                scope: CardScope::Uncategorized,
                flash_uuid: None,
                flash_status: "ok".to_owned(),
            },
            None,
        )
        .await,
        broadcast_view_sort_changed(
            broker,
            ViewSortChangedPayload {
                scope: "detail_items".to_owned(),
                sort_by: "name".to_owned(),
                sort_dir: SortDir::Asc,
            },
            None,
        )
        .await,
        broadcast_category_reorder(
            broker,
            CategoryReorderPayload {
                catalogue_uuid: catalogue,
                moved_id: None,
                status: "ok".to_owned(),
            },
            None,
        )
        .await,
        broadcast_bulk_change(
            broker,
            BulkChangePayload {
                catalogue_uuid: catalogue,
                kind: BulkKind::Trashed,
                uuids: vec![Uuid::new_v4()],
            },
            None,
        )
        .await,
    ]
}

#[tokio::test]
async fn a_failing_broker_gives_no_error_to_the_caller_and_every_publish_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let before = pubsub_core::broadcast_failures();

    for report in broadcast_everything(&FailingBroker).await {
        assert_eq!((report.topics, report.failed), (1, 1));
        assert!(!report.is_complete());
    }
    assert!(pubsub_core::broadcast_failures() >= before + 6);

    let text = logs.contents();
    for event in [
        "catalogue_data_changed",
        "catalogue_card_refresh",
        "catalogue_view_sort_changed",
        "catalogue_category_reorder",
        "catalogue_bulk_change",
    ] {
        let line = text
            .lines()
            .find(|line| line.contains(event))
            .unwrap_or_else(|| panic!("no log line for {event} in:\n{text}"));
        assert!(
            line.contains("phoenix_kit_catalogue"),
            "names the topic: {line}"
        );
        assert!(
            line.contains("domain=\"catalogue\"") || line.contains("domain=catalogue"),
            "names the domain: {line}"
        );
        assert!(line.contains("closed"), "carries the error: {line}");
    }
}

#[tokio::test]
async fn a_panicking_broker_does_not_panic_the_caller_and_the_panic_is_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();

    for report in broadcast_everything(&PanickingBroker).await {
        assert_eq!((report.topics, report.failed), (1, 1));
    }
    let text = logs.contents();
    let line = text
        .lines()
        .find(|line| line.contains("catalogue_bulk_change"))
        .unwrap_or_else(|| panic!("no log line in:\n{text}"));
    assert!(
        line.contains("exploded"),
        "the panic message is logged: {line}"
    );
}

#[tokio::test]
async fn a_healthy_broker_reports_every_publish_as_done_and_logs_nothing() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let broker = pubsub_core::MemoryBroker::new();
    for report in broadcast_everything(&broker).await {
        assert_eq!((report.topics, report.failed), (1, 0));
    }
    assert!(
        logs.contents().is_empty(),
        "unexpected logs: {}",
        logs.contents()
    );
}
