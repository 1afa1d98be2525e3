//! Through the core's tenant-scoping wrapper, a tenant's broadcast reaches only that tenant's
//! screens, and unscoped use of a multi-tenant broker is refused without failing the caller.

use catalogue_events::{DataKind, broadcast, subscribe};
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
    let mut acme_screen = subscribe(&acme).await.expect("subscribe");
    let mut globex_screen = subscribe(&globex).await.expect("subscribe");

    broadcast(
        &acme,
        DataKind::Item,
        Some(Uuid::new_v4()),
        Some(Uuid::new_v4()),
    )
    .await;

    assert!(matches!(acme_screen.try_recv(), Ok(Delivery::Message(_))));
    assert!(matches!(globex_screen.try_recv(), Err(TryRecvError::Empty)));
    assert!(
        broker
            .get_ref()
            .topics()
            .iter()
            .any(|t| t.as_str() == "phoenix_kit_catalogue:org:acme")
    );
}

#[tokio::test]
async fn an_unscoped_broadcast_on_a_multi_tenant_broker_is_refused_counted_and_not_raised() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let report = broadcast(&broker, DataKind::Links, None, None).await;
    assert_eq!((report.topics, report.failed), (1, 1));
}
