//! Every event reaches exactly its topics: every candidate topic of the domain is subscribed on a
//! `MemoryBroker`, and each test checks who received what and that the rest received nothing.

use crm_events::{
    CompanyMemberChange, CompanyVisibilityPayload, ContactOptChange, ContactOptPayload, CrmEvent,
    EventTopics, Interaction, InteractionChange, ListChange, ListEventKind, ListLocaleChange,
    ListLocalePayload, ListMemberChange, ListMemberPayload, ListPayload, Party,
    broadcast_company_event, broadcast_company_visibility, broadcast_interaction,
    broadcast_interaction_to, broadcast_interaction_update, broadcast_list_event, topics_for,
};
use pubsub_core::MemoryBroker;
use uuid::Uuid;

use pubsub_core::testing::Screens;

use crate::support::World;

const INTERACTION_CHANGES: [InteractionChange; 3] = [
    InteractionChange::Created,
    InteractionChange::Updated,
    InteractionChange::Deleted,
];

async fn setup() -> (MemoryBroker, World, Screens<CrmEvent>) {
    let broker = MemoryBroker::new();
    let world = World::new();
    let screens = world.screens(&broker).await;
    (broker, world, screens)
}

#[tokio::test]
async fn an_interaction_event_reaches_each_involved_contact_once_and_its_company_feed() {
    let (broker, w, mut screens) = setup().await;
    let call = Interaction::new(Uuid::new_v4())
        .with_contact(w.ann)
        .with_company(w.acme)
        .with_parties([
            Party::contact(w.bob),
            Party::contact(w.ann),
            Party::unresolved(),
        ]);
    for change in INTERACTION_CHANGES {
        let report = broadcast_interaction(&broker, change, &call).await;
        assert_eq!((report.topics, report.failed), (3, 0));
        screens.assert_only(
            &change.event(call.uuid),
            &["contact:ann", "contact:bob", "company_interactions:acme"],
        );
    }
}

#[tokio::test]
async fn an_interaction_without_a_company_reaches_no_company_topic() {
    let (broker, w, mut screens) = setup().await;
    let note = Interaction::new(Uuid::new_v4())
        .with_contact(w.ann)
        .with_parties([Party::contact(w.cat)]);
    for change in INTERACTION_CHANGES {
        broadcast_interaction(&broker, change, &note).await;
        screens.assert_only(&change.event(note.uuid), &["contact:ann", "contact:cat"]);
    }
}

#[tokio::test]
async fn an_interaction_whose_parties_are_not_loaded_reaches_only_its_subject_and_company() {
    let (broker, w, mut screens) = setup().await;
    let email = Interaction::new(Uuid::new_v4())
        .with_contact(w.bob)
        .with_company(w.initech);
    broadcast_interaction(&broker, InteractionChange::Deleted, &email).await;
    screens.assert_only(
        &InteractionChange::Deleted.event(email.uuid),
        &["contact:bob", "company_interactions:initech"],
    );
}

#[tokio::test]
async fn an_interaction_with_no_subject_reaches_its_resolved_parties() {
    let (broker, w, mut screens) = setup().await;
    let meeting = Interaction::new(Uuid::new_v4()).with_parties([
        Party::contact(w.cat),
        Party::unresolved(),
        Party::contact(w.bob),
    ]);
    broadcast_interaction(&broker, InteractionChange::Created, &meeting).await;
    screens.assert_only(
        &InteractionChange::Created.event(meeting.uuid),
        &["contact:cat", "contact:bob"],
    );
}

#[tokio::test]
async fn an_interaction_involving_nobody_and_no_company_reaches_no_one() {
    let (broker, _w, mut screens) = setup().await;
    let orphan = Interaction::new(Uuid::new_v4()).with_parties([Party::unresolved()]);
    let report = broadcast_interaction(&broker, InteractionChange::Created, &orphan).await;
    assert_eq!(report.topics, 0);
    screens.assert_only(&InteractionChange::Created.event(orphan.uuid), &[]);
}

#[tokio::test]
async fn broadcast_interaction_to_reaches_exactly_the_given_contacts_deduplicated_without_nils() {
    let (broker, w, mut screens) = setup().await;
    let id = Uuid::new_v4();
    for change in INTERACTION_CHANGES {
        let report = broadcast_interaction_to(
            &broker,
            change,
            id,
            [Some(w.bob), None, Some(w.cat), Some(w.bob)],
        )
        .await;
        assert_eq!(report.topics, 2);
        screens.assert_only(&change.event(id), &["contact:bob", "contact:cat"]);
    }
}

#[tokio::test]
async fn an_update_reaches_the_union_of_old_and_new_contacts_so_a_removed_contact_is_refreshed() {
    let (broker, w, mut screens) = setup().await;
    let before = Interaction::new(Uuid::new_v4())
        .with_contact(w.ann)
        .with_company(w.acme)
        .with_parties([Party::contact(w.bob)]);
    let after = before.clone().with_parties([Party::contact(w.cat)]);
    let report = broadcast_interaction_update(&broker, &before, &after).await;
    assert_eq!(report.topics, 4);
    screens.assert_only(
        &CrmEvent::InteractionUpdated(crm_events::InteractionPayload {
            interaction_uuid: after.uuid,
        }),
        &[
            "contact:ann",
            "contact:bob",
            "contact:cat",
            "company_interactions:acme",
        ],
    );
}

#[tokio::test]
async fn an_update_that_changes_the_subject_reaches_the_old_and_the_new_subject() {
    let (broker, w, mut screens) = setup().await;
    let before = Interaction::new(Uuid::new_v4())
        .with_contact(w.ann)
        .with_parties([]);
    let after = Interaction {
        contact_uuid: Some(w.cat),
        ..before.clone()
    };
    broadcast_interaction_update(&broker, &before, &after).await;
    screens.assert_only(
        &InteractionChange::Updated.event(after.uuid),
        &["contact:ann", "contact:cat"],
    );
}

#[tokio::test]
async fn a_company_event_reaches_each_company_roster_once_and_nothing_else() {
    let (broker, w, mut screens) = setup().await;
    let changes = [
        CompanyMemberChange::Joined,
        CompanyMemberChange::Left,
        CompanyMemberChange::Changed,
    ];
    for change in changes {
        let companies = [Some(w.acme), None, Some(w.initech), Some(w.acme)];
        let report = broadcast_company_event(&broker, change, companies, w.ann).await;
        assert_eq!(report.topics, 2);
        screens.assert_only(&change.event(w.ann), &["company:acme", "company:initech"]);
    }
}

#[tokio::test]
async fn a_visibility_change_reaches_each_affected_contact_feed_once_and_no_company_topic() {
    let (broker, w, mut screens) = setup().await;
    let contacts = [Some(w.ann), None, Some(w.bob), Some(w.ann)];
    let report = broadcast_company_visibility(&broker, w.acme, contacts).await;
    assert_eq!(report.topics, 2);
    screens.assert_only(
        &CrmEvent::CompanyVisibilityChanged(CompanyVisibilityPayload {
            company_uuid: w.acme,
        }),
        &["contact:ann", "contact:bob"],
    );
}

async fn assert_list_event<K: ListEventKind>(
    broker: &MemoryBroker,
    screens: &mut Screens<CrmEvent>,
    kind: K,
    payload: K::Payload,
) where
    K::Payload: Clone,
{
    let expected = kind.event(payload.clone());
    let report = broadcast_list_event(broker, kind, payload).await;
    assert_eq!((report.topics, report.failed), (1, 0));
    screens.assert_only(&expected, &["lists"]);
}

#[tokio::test]
async fn every_list_event_reaches_crm_lists_only() {
    let (broker, w, mut screens) = setup().await;
    let list = ListPayload {
        list_uuid: Uuid::new_v4(),
        subscriber_count: 7,
        status: "active".to_owned(),
    };
    for kind in [
        ListChange::Created,
        ListChange::Updated,
        ListChange::Archived,
        ListChange::Unarchived,
        ListChange::Recounted,
    ] {
        assert_list_event(&broker, &mut screens, kind, list.clone()).await;
    }
    let member = ListMemberPayload {
        list_uuid: list.list_uuid,
        member_uuid: Uuid::new_v4(),
        subscriber_count: 8,
        status: "active".to_owned(),
    };
    for kind in [ListMemberChange::Added, ListMemberChange::Removed] {
        assert_list_event(&broker, &mut screens, kind, member.clone()).await;
    }
    let locale = ListLocalePayload {
        list_uuid: list.list_uuid,
        locale: "de".to_owned(),
        mode: "overwrite".to_owned(),
        updated_count: 3,
    };
    assert_list_event(&broker, &mut screens, ListLocaleChange::Applied, locale).await;
    let opted_out = ContactOptPayload {
        contact_uuid: w.ann,
        opted_out_at: Some("2024-05-01T09:30:00Z".to_owned()),
    };
    assert_list_event(&broker, &mut screens, ContactOptChange::OptOut, opted_out).await;
    let opted_in = ContactOptPayload {
        contact_uuid: w.ann,
        opted_out_at: None,
    };
    assert_list_event(&broker, &mut screens, ContactOptChange::OptIn, opted_in).await;
}

#[test]
fn topics_for_names_the_audience_of_every_event_as_the_spec_table_does() {
    for (event, _) in crate::wire::golden() {
        let expected = match pubsub_core::Event::name(&event) {
            "interaction_created" | "interaction_updated" | "interaction_deleted" => {
                EventTopics::InvolvedContacts
            }
            "company_visibility_changed" => EventTopics::AffectedContacts,
            "member_joined" | "member_left" | "member_changed" => EventTopics::Companies,
            _ => EventTopics::Fixed(vec![crm_events::topic_lists()]),
        };
        assert_eq!(topics_for(&event), expected, "{event:?}");
    }
}
