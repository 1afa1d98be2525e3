//! Broadcasts are best-effort: a broker whose publish fails or panics never fails or panics the
//! caller; every failure is counted in the report and logged with topic, domain and event.

use crm_events::{
    CompanyMemberChange, ContactOptChange, ContactOptPayload, Interaction, InteractionChange,
    Party, broadcast_company_event, broadcast_company_visibility, broadcast_interaction,
    broadcast_interaction_to, broadcast_interaction_update, broadcast_list_event,
    topic_contact_interactions,
};
use pubsub_core::testing::{FailingBroker, LogCapture, PanickingBroker};
use pubsub_core::{BroadcastReport, Broker};
use uuid::Uuid;

use crate::support::World;

/// Runs every broadcast function against `broker`; returns each one's report and the topic and
/// event that its first publish targets.
async fn broadcast_everything(broker: &dyn Broker, w: &World) -> Vec<(BroadcastReport, usize)> {
    let call = Interaction::new(Uuid::new_v4())
        .with_contact(w.ann)
        .with_company(w.acme)
        .with_parties([Party::contact(w.bob)]);
    let edited = call.clone().with_parties([Party::contact(w.cat)]);
    let opt = ContactOptPayload {
        contact_uuid: w.ann,
        opted_out_at: None,
    };
    vec![
        (
            broadcast_interaction(broker, InteractionChange::Created, &call).await,
            3,
        ),
        (
            broadcast_interaction_to(
                broker,
                InteractionChange::Deleted,
                call.uuid,
                [w.ann, w.bob],
            )
            .await,
            2,
        ),
        (
            broadcast_interaction_update(broker, &call, &edited).await,
            4,
        ),
        (
            broadcast_company_event(
                broker,
                CompanyMemberChange::Left,
                [w.acme, w.initech],
                w.bob,
            )
            .await,
            2,
        ),
        (
            broadcast_company_visibility(broker, w.acme, [w.ann]).await,
            1,
        ),
        (
            broadcast_list_event(broker, ContactOptChange::OptIn, opt).await,
            1,
        ),
    ]
}

#[tokio::test]
async fn a_failing_broker_gives_no_error_to_the_caller_and_every_publish_is_counted_and_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let w = World::new();
    let before = pubsub_core::broadcast_failures();

    for (report, topics) in broadcast_everything(&FailingBroker, &w).await {
        assert_eq!(report.topics, topics);
        assert_eq!(
            report.failed, topics,
            "every publish failed and was counted"
        );
        assert!(!report.is_complete());
    }
    assert!(pubsub_core::broadcast_failures() >= before + 13);

    let text = logs.contents();
    let ann_topic = topic_contact_interactions(w.ann);
    let line = text
        .lines()
        .find(|line| line.contains(ann_topic.as_str()) && line.contains("interaction_created"))
        .unwrap_or_else(|| panic!("no log line for the failed publish in:\n{text}"));
    assert!(line.contains("crm"), "the line names the domain: {line}");
    assert!(
        line.contains("closed"),
        "the line carries the error: {line}"
    );
    assert!(
        text.contains("contact_opt_in"),
        "list events are logged too"
    );
    assert!(text.contains("crm:lists"));
}

#[tokio::test]
async fn a_panicking_broker_does_not_panic_the_caller_and_the_panic_is_logged() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let w = World::new();

    for (report, topics) in broadcast_everything(&PanickingBroker, &w).await {
        assert_eq!((report.topics, report.failed), (topics, topics));
    }

    let text = logs.contents();
    let line = text
        .lines()
        .find(|line| line.contains("member_left"))
        .unwrap_or_else(|| panic!("no log line for member_left in:\n{text}"));
    assert!(
        line.contains("exploded"),
        "the panic message is logged: {line}"
    );
    assert!(
        line.contains("crm:company:"),
        "the line names the topic: {line}"
    );
}

#[tokio::test]
async fn a_healthy_broker_reports_every_publish_as_done_and_logs_nothing() {
    let logs = LogCapture::new();
    let _guard = logs.install();
    let w = World::new();
    let broker = pubsub_core::MemoryBroker::new();

    for (report, topics) in broadcast_everything(&broker, &w).await {
        assert_eq!((report.topics, report.failed), (topics, 0));
        assert!(report.is_complete());
    }
    assert!(
        logs.contents().is_empty(),
        "unexpected logs: {}",
        logs.contents()
    );
}
