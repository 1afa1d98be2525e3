//! Through the core's tenant-scoping wrapper, a tenant's broadcast reaches only that tenant's
//! screens, and unscoped use of a multi-tenant broker is refused without failing the caller.

use projects_events::{
    EmbedIntent, EmbedPayload, ProjectChange, ProjectPayload, broadcast_embed, broadcast_project,
    subscribe, topic_all, topic_embed, topic_project, topic_templates,
};
use pubsub_core::{BrokerExt, Delivery, MemoryBroker, MultiTenant, TenantKey, Topic, TryRecvError};
use uuid::Uuid;

fn key(name: &str) -> TenantKey {
    TenantKey::new(name).unwrap()
}

fn template(uuid: Uuid) -> ProjectPayload {
    let mut payload = ProjectPayload::new(uuid, "Bathroom template");
    payload.is_template = true;
    payload
}

#[tokio::test]
async fn a_tenants_broadcast_reaches_its_own_screens_and_no_other_tenants() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let (acme, globex) = (
        broker.for_tenant(key("acme")),
        broker.for_tenant(key("globex")),
    );
    let project = Uuid::new_v4();
    let mut acme_subs = Vec::new();
    let mut globex_subs = Vec::new();
    for topic in [topic_all(), topic_templates(), topic_project(project)] {
        acme_subs.push(subscribe(&acme, &topic).await.unwrap());
        globex_subs.push(subscribe(&globex, &topic).await.unwrap());
    }

    let report = broadcast_project(&acme, ProjectChange::Created, template(project)).await;
    assert_eq!((report.topics, report.failed), (3, 0));

    for sub in &mut acme_subs {
        assert!(matches!(sub.try_recv(), Ok(Delivery::Message(_))));
    }
    for sub in &mut globex_subs {
        assert!(
            matches!(sub.try_recv(), Err(TryRecvError::Empty)),
            "nothing leaks to another tenant"
        );
    }
    let topics: Vec<String> = broker
        .get_ref()
        .topics()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        topics.contains(&"projects:org:acme:all".to_owned()),
        "{topics:?}"
    );
    assert!(
        topics.contains(&"projects:org:acme:templates".to_owned()),
        "{topics:?}"
    );
    assert!(
        topics.contains(&format!("projects:org:acme:project:{project}")),
        "{topics:?}"
    );
}

#[tokio::test]
async fn an_embed_intent_is_scoped_to_the_tenant_too() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let (acme, globex) = (
        broker.for_tenant(key("acme")),
        broker.for_tenant(key("globex")),
    );
    let host = topic_embed(Topic::new("host:popup:1").unwrap());
    let mut acme_popup = acme.subscribe_events(&host).await.unwrap();
    let mut globex_popup = globex.subscribe_events(&host).await.unwrap();

    broadcast_embed(&acme, &host, EmbedIntent::Opened, EmbedPayload::new()).await;
    assert!(matches!(acme_popup.try_recv(), Ok(Delivery::Message(_))));
    assert!(matches!(globex_popup.try_recv(), Err(TryRecvError::Empty)));
}

#[tokio::test]
async fn an_unscoped_broadcast_on_a_multi_tenant_broker_is_refused_counted_and_not_raised() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let report = broadcast_project(&broker, ProjectChange::Updated, template(Uuid::new_v4())).await;
    assert_eq!((report.topics, report.failed), (3, 3));
}
