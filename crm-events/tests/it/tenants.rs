//! Through the core's tenant-scoping wrapper, a tenant's broadcast reaches only that tenant's
//! screens, and unscoped use of a multi-tenant broker is refused without failing the caller.

use crm_events::{
    Interaction, InteractionChange, ListChange, ListPayload, Party, broadcast_interaction,
    broadcast_list_event, subscribe, topic_contact_interactions, topic_lists,
};
use pubsub_core::{Delivery, MemoryBroker, MultiTenant, TenantKey, TryRecvError};
use uuid::Uuid;

fn key(name: &str) -> TenantKey {
    TenantKey::new(name).expect("valid tenant key")
}

#[tokio::test]
async fn a_tenants_broadcast_reaches_its_own_screens_and_no_other_tenants() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let (acme, globex) = (
        broker.for_tenant(key("acme")),
        broker.for_tenant(key("globex")),
    );
    let contact = Uuid::new_v4();
    let feed = topic_contact_interactions(contact);
    let mut acme_feed = subscribe(&acme, &feed).await.expect("subscribe");
    let mut globex_feed = subscribe(&globex, &feed).await.expect("subscribe");
    let mut acme_lists = subscribe(&acme, &topic_lists()).await.expect("subscribe");
    let mut globex_lists = subscribe(&globex, &topic_lists()).await.expect("subscribe");

    let call = Interaction::new(Uuid::new_v4()).with_parties([Party::contact(contact)]);
    broadcast_interaction(&acme, InteractionChange::Created, &call).await;
    let list = ListPayload {
        list_uuid: Uuid::new_v4(),
        subscriber_count: 1,
        status: "active".to_owned(),
    };
    broadcast_list_event(&acme, ListChange::Created, list).await;

    assert!(matches!(acme_feed.try_recv(), Ok(Delivery::Message(_))));
    assert!(matches!(acme_lists.try_recv(), Ok(Delivery::Message(_))));
    assert!(
        matches!(globex_feed.try_recv(), Err(TryRecvError::Empty)),
        "the uuid topic did not leak"
    );
    assert!(
        matches!(globex_lists.try_recv(), Err(TryRecvError::Empty)),
        "crm:lists did not leak"
    );
    assert!(
        broker
            .get_ref()
            .topics()
            .iter()
            .any(|t| t.as_str() == "crm:org:acme:lists")
    );
}

#[tokio::test]
async fn an_unscoped_broadcast_on_a_multi_tenant_broker_is_refused_counted_and_not_raised() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let list = ListPayload {
        list_uuid: Uuid::new_v4(),
        subscriber_count: 1,
        status: "active".to_owned(),
    };
    let report = broadcast_list_event(&broker, ListChange::Updated, list).await;
    assert_eq!((report.topics, report.failed), (1, 1));
}
