//! Broadcasts are best-effort: a broker whose publish fails or panics (while running, or before
//! it returns its future) never fails or panics the caller; every failed publish is counted in
//! that call's report and logged exactly once, with topic, domain, event and error.
//!
//! Exact per call: each test installs its own [`LogCapture`] (thread-local; `#[tokio::test]` runs
//! on one thread) and compares each call's report and the log lines it wrote with the one topic
//! it had to try. The process-wide `broadcast_failures()` is not used: other tests add to it
//! concurrently.

use std::future::Future;

use catalogue_events::{
    BulkChangePayload, BulkKind, CardRefreshPayload, CardScope, CategoryReorderPayload, DataKind,
    SortDir, ViewSortChangedPayload, broadcast, broadcast_bulk_change, broadcast_card_refresh,
    broadcast_category_reorder, broadcast_view_sort_changed,
};
use pubsub_core::testing::{
    BroadcastCall, EagerPanickingBroker, FailingBroker, LogCapture, PanickingBroker,
};
use pubsub_core::{BroadcastReport, Broker, MemoryBroker, SubscriptionId};
use uuid::Uuid;

type Call = BroadcastCall;

/// Runs one broadcast (every one tries the one catalogue topic) and keeps its report and log
/// lines.
async fn call(
    logs: &LogCapture,
    event: &'static str,
    broadcast: impl Future<Output = BroadcastReport>,
) -> Call {
    let topics = vec!["phoenix_kit_catalogue".to_owned()];
    BroadcastCall::record(logs, "catalogue", event, topics, broadcast).await
}

/// Runs every broadcast function against `broker`; the screen events both to everyone and from
/// a screen (which goes through the core's `broadcast_event_from`).
async fn broadcast_everything(broker: &dyn Broker, logs: &LogCapture) -> Vec<Call> {
    let catalogue = Uuid::new_v4();
    let card = || CardRefreshPayload {
        catalogue_uuid: catalogue,
        scope: CardScope::Uncategorized,
        flash_uuid: None,
        flash_status: "ok".to_owned(),
    };
    let sort = || ViewSortChangedPayload {
        scope: "detail_items".to_owned(),
        sort_by: "name".to_owned(),
        sort_dir: SortDir::Asc,
    };
    let reorder = || CategoryReorderPayload {
        catalogue_uuid: catalogue,
        moved_id: None,
        status: "ok".to_owned(),
    };
    let bulk = || BulkChangePayload {
        catalogue_uuid: catalogue,
        kind: BulkKind::Trashed,
        uuids: vec![Uuid::new_v4()],
    };
    let mut calls = vec![
        call(
            logs,
            "catalogue_data_changed",
            broadcast(
                broker,
                DataKind::Item,
                Some(Uuid::new_v4()),
                Some(catalogue),
            ),
        )
        .await,
        call(
            logs,
            "catalogue_data_changed",
            broadcast(broker, DataKind::Links, None, None),
        )
        .await,
    ];
    let screen = SubscriptionId::from_u64(7).expect("a valid id");
    for from in [None, Some(screen)] {
        calls.push(
            call(
                logs,
                "catalogue_card_refresh",
                broadcast_card_refresh(broker, card(), from),
            )
            .await,
        );
        calls.push(
            call(
                logs,
                "catalogue_view_sort_changed",
                broadcast_view_sort_changed(broker, sort(), from),
            )
            .await,
        );
        calls.push(
            call(
                logs,
                "catalogue_category_reorder",
                broadcast_category_reorder(broker, reorder(), from),
            )
            .await,
        );
        calls.push(
            call(
                logs,
                "catalogue_bulk_change",
                broadcast_bulk_change(broker, bulk(), from),
            )
            .await,
        );
    }
    calls
}

/// Every call's publishes all failed, and each failure was reported and logged exactly once,
/// naming its topic, the domain, the event and `error`.
fn assert_every_publish_failed_and_was_logged_once(calls: &[Call], error: &str) {
    BroadcastCall::assert_all_failed_and_logged_once(calls, error);
}

#[tokio::test]
async fn a_failing_broker_gives_no_error_to_the_caller_and_every_publish_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&FailingBroker, &logs).await;
    assert_every_publish_failed_and_was_logged_once(&calls, "the broker is closed");
    assert_eq!(calls.len(), 10, "every broadcast function");
    assert_eq!(logs.contents().lines().count(), 10);
}

#[tokio::test]
async fn a_panicking_broker_does_not_panic_the_caller_and_every_panic_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&PanickingBroker, &logs).await;
    assert_every_publish_failed_and_was_logged_once(&calls, "exploded (PanickingBroker)");
    assert_eq!(logs.contents().lines().count(), 10);
}

#[tokio::test]
async fn a_publish_that_panics_before_its_future_does_not_panic_the_caller_and_is_counted_and_logged()
 {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&EagerPanickingBroker, &logs).await;
    assert_every_publish_failed_and_was_logged_once(
        &calls,
        "exploded before its future (EagerPanickingBroker)",
    );
    assert_eq!(logs.contents().lines().count(), 10);
}

#[tokio::test]
async fn a_healthy_broker_reports_every_publish_as_done_and_logs_nothing() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let broker = MemoryBroker::new();
    for call in broadcast_everything(&broker, &logs).await {
        assert_eq!(
            call.report,
            BroadcastReport {
                topics: 1,
                failed: 0
            },
            "{call:#?}"
        );
    }
    assert_eq!(logs.contents(), "", "nothing logged");
}
