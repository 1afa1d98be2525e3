//! Two nodes exchanging the typed events of every domain crate: a broadcast on node B reaches the
//! screens of node A exactly as SPEC.md routes it.

use std::fmt::Debug;

use pubsub_core::{Delivery, Event, TypedSubscription};
use pubsub_redis::{ChannelMode, RedisBroker};
use uuid::Uuid;

use crate::WAIT;
use crate::server::{Target, pair};

/// The next typed event at `sub`, or a panic after [`WAIT`].
async fn next_event<E: Event + Clone>(sub: &mut TypedSubscription<E>) -> E {
    match tokio::time::timeout(WAIT, sub.recv()).await {
        Ok(Some(Delivery::Message(event))) => (*event).clone(),
        other => panic!("expected an event, got {other:?}"),
    }
}

/// Asserts that nothing more arrives at `sub` for a short while.
async fn quiet<E: Event + Debug>(sub: &mut TypedSubscription<E>) {
    let extra = tokio::time::timeout(std::time::Duration::from_millis(150), sub.recv()).await;
    assert!(extra.is_err(), "unexpected extra delivery {extra:?}");
}

async fn crm_interaction_reaches_every_involved_contact_on_the_other_node(
    a: &RedisBroker,
    b: &RedisBroker,
) {
    use crm_events::{
        CrmEvent, Interaction, InteractionChange, InteractionPayload, Parties, Party,
        broadcast_interaction, subscribe, topic_company_interactions, topic_contact_interactions,
    };
    let (ann, bob, dan, acme) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let mut ann_feed = subscribe(a, &topic_contact_interactions(ann))
        .await
        .expect("subscribe");
    let mut bob_feed = subscribe(a, &topic_contact_interactions(bob))
        .await
        .expect("subscribe");
    let mut dan_feed = subscribe(a, &topic_contact_interactions(dan))
        .await
        .expect("subscribe");
    let mut acme_feed = subscribe(a, &topic_company_interactions(acme))
        .await
        .expect("subscribe");
    let interaction = Interaction {
        uuid: Uuid::new_v4(),
        contact_uuid: Some(ann),
        company_uuid: Some(acme),
        parties: Parties::Loaded(vec![
            Party {
                contact_uuid: Some(bob),
            },
            Party {
                contact_uuid: Some(ann),
            },
        ]),
    };
    let report = broadcast_interaction(b, InteractionChange::Created, &interaction).await;
    assert_eq!((report.topics, report.failed), (3, 0));
    let expected = CrmEvent::InteractionCreated(InteractionPayload {
        interaction_uuid: interaction.uuid,
    });
    for feed in [&mut ann_feed, &mut bob_feed, &mut acme_feed] {
        assert_eq!(next_event(feed).await, expected);
        quiet(feed).await;
    }
    quiet(&mut dan_feed).await;
}

async fn projects_template_reaches_all_its_project_and_templates(a: &RedisBroker, b: &RedisBroker) {
    use projects_events::{
        ProjectChange, ProjectPayload, ProjectsEvent, broadcast_project, subscribe, topic_all,
        topic_project, topic_tasks, topic_templates,
    };
    let id = Uuid::new_v4();
    let mut all = subscribe(a, &topic_all()).await.expect("subscribe");
    let mut templates = subscribe(a, &topic_templates()).await.expect("subscribe");
    let mut project = subscribe(a, &topic_project(id)).await.expect("subscribe");
    let mut tasks = subscribe(a, &topic_tasks()).await.expect("subscribe");
    let mut payload = ProjectPayload::new(id, "Roof");
    payload.is_template = true;
    broadcast_project(b, ProjectChange::Created, payload.clone()).await;
    let expected = ProjectsEvent::ProjectCreated(payload);
    for screen in [&mut all, &mut templates, &mut project] {
        assert_eq!(next_event(screen).await, expected);
    }
    quiet(&mut tasks).await;
}

async fn staff_team_reaches_teams_the_team_and_its_department(a: &RedisBroker, b: &RedisBroker) {
    use staff_events::{
        StaffEvent, TeamChange, TeamPayload, broadcast_team, subscribe, topic_department,
        topic_people, topic_team, topic_teams,
    };
    let (team, department) = (Uuid::new_v4(), Uuid::new_v4());
    let mut teams = subscribe(a, &topic_teams()).await.expect("subscribe");
    let mut team_page = subscribe(a, &topic_team(team)).await.expect("subscribe");
    let mut department_page = subscribe(a, &topic_department(department))
        .await
        .expect("subscribe");
    let mut people = subscribe(a, &topic_people()).await.expect("subscribe");
    let payload = TeamPayload {
        uuid: team,
        name: "Roofers".into(),
        department_uuid: Some(department),
    };
    broadcast_team(b, TeamChange::Updated, payload.clone()).await;
    let expected = StaffEvent::TeamUpdated(payload);
    for screen in [&mut teams, &mut team_page, &mut department_page] {
        assert_eq!(next_event(screen).await, expected);
    }
    quiet(&mut people).await;
}

async fn catalogue_change_reaches_the_catalogue_topic(a: &RedisBroker, b: &RedisBroker) {
    use catalogue_events::{CatalogueEvent, DataChangedPayload, DataKind, broadcast, subscribe};
    let (item, catalogue) = (Uuid::new_v4(), Uuid::new_v4());
    let mut screen = subscribe(a).await.expect("subscribe");
    broadcast(b, DataKind::Item, Some(item), Some(catalogue)).await;
    let expected = CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
        kind: DataKind::Item,
        uuid: Some(item),
        parent_catalogue_uuid: Some(catalogue),
    });
    assert_eq!(next_event(&mut screen).await, expected);
    broadcast(b, DataKind::Links, None, None).await;
    let bulk = next_event(&mut screen).await;
    assert!(matches!(
        bulk,
        CatalogueEvent::CatalogueDataChanged(DataChangedPayload {
            kind: DataKind::Links,
            uuid: None,
            ..
        })
    ));
}

async fn every_domain_crosses_nodes(mode: ChannelMode) {
    let target = Target::new();
    let (a, b) = pair(target.url(), mode, 64).await;
    crm_interaction_reaches_every_involved_contact_on_the_other_node(&a, &b).await;
    projects_template_reaches_all_its_project_and_templates(&a, &b).await;
    staff_team_reaches_teams_the_team_and_its_department(&a, &b).await;
    catalogue_change_reaches_the_catalogue_topic(&a, &b).await;
    assert_eq!(a.stats().local.decode_errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_domain_crates_events_cross_nodes_in_namespace_mode() {
    every_domain_crosses_nodes(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_domain_crates_events_cross_nodes_in_per_topic_mode() {
    every_domain_crosses_nodes(ChannelMode::PerTopic).await;
}
