//! Broadcasts are best-effort: a broker whose publish fails or panics (while running, or before
//! it returns its future) never fails or panics the caller; every failed publish is counted in
//! that call's report and logged exactly once, with topic, domain, event and error.
//!
//! Exact per call: each test installs its own [`LogCapture`] (thread-local; `#[tokio::test]` runs
//! on one thread) and compares the lines each call wrote with the topics it had to try. The
//! process-wide `broadcast_failures()` is not used: other tests add to it concurrently.

use std::future::Future;

use crm_events::{
    CompanyMemberChange, ContactOptChange, ContactOptPayload, Interaction, InteractionChange,
    Party, broadcast_company_event, broadcast_company_visibility, broadcast_interaction,
    broadcast_interaction_to, broadcast_interaction_update, broadcast_list_event, topic_company,
    topic_company_interactions, topic_contact_interactions, topic_lists,
};
use pubsub_core::testing::{
    BROADCAST_FAILURE_MESSAGE as FAILURE_LINE, BroadcastCall, EagerPanickingBroker, FailingBroker,
    FailingExcept, LogCapture, PanickingBroker,
};
use pubsub_core::{BroadcastReport, Broker, MemoryBroker};
use uuid::Uuid;

use crate::support::World;

type Call = BroadcastCall;

/// Runs one broadcast of this domain and keeps its report and log lines.
async fn call(
    logs: &LogCapture,
    event: &'static str,
    topics: Vec<String>,
    broadcast: impl Future<Output = BroadcastReport>,
) -> Call {
    BroadcastCall::record(logs, "crm", event, topics, broadcast).await
}

/// Runs every broadcast function against `broker`.
async fn broadcast_everything(broker: &dyn Broker, w: &World, logs: &LogCapture) -> Vec<Call> {
    let contact = |id| topic_contact_interactions(id).to_string();
    let meeting = Interaction::new(Uuid::new_v4())
        .with_contact(w.ann)
        .with_company(w.acme)
        .with_parties([Party::contact(w.bob)]);
    let edited = meeting.clone().with_parties([Party::contact(w.cat)]);
    let opt = ContactOptPayload {
        contact_uuid: w.ann,
        opted_out_at: None,
    };
    vec![
        call(
            logs,
            "interaction_created",
            vec![
                contact(w.ann),
                contact(w.bob),
                topic_company_interactions(w.acme).to_string(),
            ],
            broadcast_interaction(broker, InteractionChange::Created, &meeting),
        )
        .await,
        call(
            logs,
            "interaction_deleted",
            vec![contact(w.ann), contact(w.bob)],
            broadcast_interaction_to(
                broker,
                InteractionChange::Deleted,
                meeting.uuid,
                [w.ann, w.bob],
            ),
        )
        .await,
        call(
            logs,
            "interaction_updated",
            vec![
                contact(w.ann),
                contact(w.bob),
                contact(w.cat),
                topic_company_interactions(w.acme).to_string(),
            ],
            broadcast_interaction_update(broker, &meeting, &edited),
        )
        .await,
        call(
            logs,
            "member_left",
            vec![
                topic_company(w.acme).to_string(),
                topic_company(w.initech).to_string(),
            ],
            broadcast_company_event(
                broker,
                CompanyMemberChange::Left,
                [w.acme, w.initech],
                w.bob,
            ),
        )
        .await,
        call(
            logs,
            "company_visibility_changed",
            vec![contact(w.ann)],
            broadcast_company_visibility(broker, w.acme, [w.ann]),
        )
        .await,
        call(
            logs,
            "contact_opt_in",
            vec![topic_lists().to_string()],
            broadcast_list_event(broker, ContactOptChange::OptIn, opt),
        )
        .await,
    ]
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
    let calls = broadcast_everything(&FailingBroker, &World::new(), &logs).await;
    assert_every_publish_failed_and_was_logged_once(&calls, "the broker is closed");
    assert_eq!(calls.len(), 6, "every broadcast function");
    assert_eq!(logs.contents().lines().count(), 13);
}

#[tokio::test]
async fn a_panicking_broker_does_not_panic_the_caller_and_every_panic_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&PanickingBroker, &World::new(), &logs).await;
    assert_every_publish_failed_and_was_logged_once(&calls, "exploded (PanickingBroker)");
    assert_eq!(logs.contents().lines().count(), 13);
}

#[tokio::test]
async fn a_publish_that_panics_before_its_future_does_not_panic_the_caller_and_is_counted_and_logged()
 {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let calls = broadcast_everything(&EagerPanickingBroker, &World::new(), &logs).await;
    assert_every_publish_failed_and_was_logged_once(
        &calls,
        "exploded before its future (EagerPanickingBroker)",
    );
    assert_eq!(logs.contents().lines().count(), 13);
}

#[tokio::test]
async fn a_healthy_broker_reports_every_publish_as_done_and_logs_nothing() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let broker = MemoryBroker::new();

    let calls = broadcast_everything(&broker, &World::new(), &logs).await;
    BroadcastCall::assert_all_complete(&calls);
    assert!(calls.iter().all(|call| call.report.is_complete()));
    assert_eq!(logs.contents(), "", "nothing logged");
}

#[tokio::test]
async fn one_failing_topic_does_not_stop_the_others_and_only_it_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let w = World::new();
    let broker = FailingExcept::new([topic_contact_interactions(w.bob).into_topic()]);
    let mut screens = w.screens(broker.get_ref()).await;

    let note = Interaction::new(Uuid::new_v4())
        .with_contact(w.ann)
        .with_parties([Party::contact(w.bob)]);
    let report = broadcast_interaction(&broker, InteractionChange::Created, &note).await;
    assert_eq!(
        report,
        BroadcastReport {
            topics: 2,
            failed: 1
        }
    );
    screens.assert_only(
        &InteractionChange::Created.event(note.uuid),
        &["contact:bob"],
    );

    let text = logs.contents();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line for the one failure:\n{text}");
    let ann = format!("topic=\"{}\"", topic_contact_interactions(w.ann));
    assert!(
        lines[0].contains(FAILURE_LINE) && lines[0].contains(&ann),
        "{text}"
    );
}
