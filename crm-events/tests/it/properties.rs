//! Properties of the fan-out rules over any interaction and any set of UUIDs.

use std::collections::HashSet;

use crm_events::{
    CrmEvent, Interaction, Parties, Party, involved_contact_uuids, topic_company,
    topic_company_interactions, topic_contact_interactions, topics_for_company_event,
    topics_for_company_visibility, topics_for_interaction, topics_for_interaction_to,
    topics_for_interaction_update,
};
use proptest::prelude::*;
use pubsub_core::TypedTopic;
use uuid::Uuid;

/// What every rule returns: topics typed to the CRM event.
type CrmTopic = TypedTopic<CrmEvent>;

/// A small pool, so generated interactions often repeat contacts.
fn pooled_uuid() -> impl Strategy<Value = Uuid> {
    (0u128..6).prop_map(|n| Uuid::from_u128(0x1000 + n))
}

fn maybe_uuid() -> impl Strategy<Value = Option<Uuid>> {
    proptest::option::of(pooled_uuid())
}

fn parties() -> impl Strategy<Value = Parties> {
    prop_oneof![
        Just(Parties::NotLoaded),
        proptest::collection::vec(
            maybe_uuid().prop_map(|contact_uuid| Party { contact_uuid }),
            0..8
        )
        .prop_map(Parties::Loaded),
    ]
}

fn interaction() -> impl Strategy<Value = Interaction> {
    (any::<u128>(), maybe_uuid(), maybe_uuid(), parties()).prop_map(
        |(id, contact_uuid, company_uuid, parties)| Interaction {
            uuid: Uuid::from_u128(id),
            contact_uuid,
            company_uuid,
            parties,
        },
    )
}

/// The model: the subject and every resolved party contact, as a set.
fn model_contacts(i: &Interaction) -> HashSet<Uuid> {
    let mut set: HashSet<Uuid> = i.contact_uuid.into_iter().collect();
    if let Parties::Loaded(parties) = &i.parties {
        set.extend(parties.iter().filter_map(|p| p.contact_uuid));
    }
    set
}

fn model_topics(i: &Interaction) -> HashSet<CrmTopic> {
    let mut set: HashSet<CrmTopic> = model_contacts(i)
        .into_iter()
        .map(topic_contact_interactions)
        .collect();
    set.extend(i.company_uuid.map(topic_company_interactions));
    set
}

fn no_duplicates(topics: &[CrmTopic]) -> bool {
    topics.iter().collect::<HashSet<_>>().len() == topics.len()
}

proptest! {
    #[test]
    fn involved_contacts_are_the_model_set_without_duplicates_subject_first(i in interaction()) {
        let involved = involved_contact_uuids(&i);
        prop_assert_eq!(involved.iter().copied().collect::<HashSet<_>>(), model_contacts(&i));
        prop_assert_eq!(involved.iter().collect::<HashSet<_>>().len(), involved.len());
        if let Some(subject) = i.contact_uuid {
            prop_assert_eq!(involved.first(), Some(&subject));
        }
    }

    #[test]
    fn interaction_topics_are_the_involved_contacts_topics_plus_the_company_iff_present(
        i in interaction()
    ) {
        let topics = topics_for_interaction(&i);
        prop_assert!(no_duplicates(&topics));
        prop_assert_eq!(topics.iter().cloned().collect::<HashSet<_>>(), model_topics(&i));
        let has_company_topic = topics
            .iter()
            .any(|t| t.as_str().starts_with("crm:company:"));
        prop_assert_eq!(has_company_topic, i.company_uuid.is_some());
    }

    #[test]
    fn update_topics_are_the_union_of_before_and_after(before in interaction(), after in interaction()) {
        let topics = topics_for_interaction_update(&before, &after);
        prop_assert!(no_duplicates(&topics));
        let union: HashSet<CrmTopic> = model_topics(&before).union(&model_topics(&after)).cloned().collect();
        prop_assert_eq!(topics.iter().cloned().collect::<HashSet<_>>(), union);
    }

    #[test]
    fn explicit_contact_sets_give_one_topic_per_present_contact(ids in proptest::collection::vec(maybe_uuid(), 0..10)) {
        let expected: HashSet<CrmTopic> = ids
            .iter()
            .flatten()
            .map(|c| topic_contact_interactions(*c))
            .collect();
        for topics in [topics_for_interaction_to(ids.clone()), topics_for_company_visibility(ids.clone())] {
            prop_assert!(no_duplicates(&topics));
            prop_assert_eq!(topics.into_iter().collect::<HashSet<_>>(), expected.clone());
        }
    }

    #[test]
    fn company_events_give_one_roster_topic_per_present_company_in_first_seen_order(
        ids in proptest::collection::vec(maybe_uuid(), 0..10)
    ) {
        let mut expected = Vec::new();
        for id in ids.iter().flatten() {
            let topic = topic_company(*id);
            if !expected.contains(&topic) {
                expected.push(topic);
            }
        }
        prop_assert_eq!(topics_for_company_event(ids), expected);
    }
}
