//! Exact topic strings and the subscribe helpers.

use std::sync::Arc;

use crm_events::{
    COMPANY, COMPANY_INTERACTIONS, CONTACT_INTERACTIONS, LISTS, subscribe, topic_company,
    topic_company_interactions, topic_contact_interactions, topic_lists, unsubscribe,
};
use pubsub_core::{Broker, MemoryBroker};
use uuid::Uuid;

const ID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-901234567890";

fn id() -> Uuid {
    Uuid::parse_str(ID).expect("valid uuid")
}

#[test]
fn contact_interactions_topic_is_crm_contact_uuid_interactions() {
    assert_eq!(
        topic_contact_interactions(id()).as_str(),
        format!("crm:contact:{ID}:interactions")
    );
    assert_eq!(
        topic_contact_interactions(id()),
        CONTACT_INTERACTIONS.topic(id())
    );
}

#[test]
fn company_interactions_topic_is_crm_company_uuid_interactions() {
    assert_eq!(
        topic_company_interactions(id()).as_str(),
        format!("crm:company:{ID}:interactions")
    );
    assert_eq!(
        topic_company_interactions(id()),
        COMPANY_INTERACTIONS.topic(id())
    );
}

#[test]
fn company_topic_is_crm_company_uuid() {
    assert_eq!(topic_company(id()).as_str(), format!("crm:company:{ID}"));
    assert_eq!(topic_company(id()), COMPANY.topic(id()));
}

#[test]
fn lists_topic_is_crm_lists() {
    assert_eq!(topic_lists().as_str(), "crm:lists");
    assert_eq!(topic_lists(), LISTS);
}

#[test]
fn uppercase_uuids_are_written_in_lowercase_hyphenated_form() {
    let upper = Uuid::parse_str(&ID.to_uppercase()).expect("valid uuid");
    assert_eq!(
        topic_contact_interactions(upper).as_str(),
        format!("crm:contact:{ID}:interactions")
    );
}

#[tokio::test]
async fn subscribe_and_unsubscribe_work_through_any_broker_handle() {
    let broker = MemoryBroker::new();
    let shared: Arc<dyn Broker> = Arc::new(broker.clone());
    let topic = topic_contact_interactions(id());

    let mut sub = subscribe(&shared, &topic).await.expect("subscribe");
    let dynamic: &dyn Broker = &broker;
    let mut second = subscribe(dynamic, &topic_lists()).await.expect("subscribe");
    assert_eq!(broker.topic_count(), 2);

    assert!(unsubscribe(&shared, &mut sub, &topic));
    assert!(
        !unsubscribe(&shared, &mut sub, &topic),
        "second time is a no-op"
    );
    assert!(unsubscribe(dynamic, &mut second, &topic_lists()));
    assert_eq!(broker.topic_count(), 0);
}
