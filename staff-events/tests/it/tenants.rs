//! Through the core's tenant-scoping wrapper, a tenant's broadcast reaches only that tenant's
//! screens, and unscoped use of a multi-tenant broker is refused without failing the caller.

use pubsub_core::{Delivery, MemoryBroker, MultiTenant, TenantKey, TryRecvError};
use staff_events::{
    TeamMembershipChange, TeamMembershipPayload, broadcast_team_membership, subscribe,
    topic_people, topic_person, topic_team, topic_teams,
};
use uuid::Uuid;

fn key(name: &str) -> TenantKey {
    TenantKey::new(name).unwrap()
}

fn membership(team: Uuid, person: Uuid) -> TeamMembershipPayload {
    TeamMembershipPayload {
        team_uuid: team,
        staff_person_uuid: person,
        uuid: Uuid::new_v4(),
    }
}

#[tokio::test]
async fn a_tenants_broadcast_reaches_its_own_screens_and_no_other_tenants() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let (acme, globex) = (
        broker.for_tenant(key("acme")),
        broker.for_tenant(key("globex")),
    );
    let (team, person) = (Uuid::new_v4(), Uuid::new_v4());
    let mut acme_subs = Vec::new();
    let mut globex_subs = Vec::new();
    for topic in [
        topic_teams(),
        topic_team(team),
        topic_people(),
        topic_person(person),
    ] {
        acme_subs.push(subscribe(&acme, &topic).await.unwrap());
        globex_subs.push(subscribe(&globex, &topic).await.unwrap());
    }

    let report =
        broadcast_team_membership(&acme, TeamMembershipChange::Added, membership(team, person))
            .await;
    assert_eq!((report.topics, report.failed), (4, 0));

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
        topics.contains(&"staff:org:acme:teams".to_owned()),
        "{topics:?}"
    );
    assert!(
        topics.contains(&format!("staff:org:acme:person:{person}")),
        "{topics:?}"
    );
}

#[tokio::test]
async fn an_unscoped_broadcast_on_a_multi_tenant_broker_is_refused_counted_and_not_raised() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let payload = membership(Uuid::new_v4(), Uuid::new_v4());
    let report = broadcast_team_membership(&broker, TeamMembershipChange::Removed, payload).await;
    assert_eq!((report.topics, report.failed), (4, 4));
}
