//! `involved_contact_uuids`: subject plus resolved parties, de-duplicated, nils dropped, parties
//! not loaded count as none.

use crm_events::{Interaction, Parties, Party, involved_contact_uuids};
use uuid::Uuid;

use crate::support::World;

fn interaction() -> Interaction {
    Interaction::new(Uuid::new_v4())
}

#[test]
fn the_subject_comes_first_then_the_resolved_parties_in_order() {
    let w = World::new();
    let i = interaction()
        .with_contact(w.ann)
        .with_parties([Party::contact(w.cat), Party::contact(w.bob)]);
    assert_eq!(involved_contact_uuids(&i), [w.ann, w.cat, w.bob]);
}

#[test]
fn a_subject_who_is_also_a_party_is_listed_once() {
    let w = World::new();
    let i = interaction().with_contact(w.ann).with_parties([
        Party::contact(w.bob),
        Party::contact(w.ann),
        Party::contact(w.bob),
    ]);
    assert_eq!(involved_contact_uuids(&i), [w.ann, w.bob]);
}

#[test]
fn parties_without_a_resolved_contact_are_dropped() {
    let w = World::new();
    let i = interaction().with_contact(w.ann).with_parties([
        Party::unresolved(),
        Party::contact(w.bob),
        Party::unresolved(),
    ]);
    assert_eq!(involved_contact_uuids(&i), [w.ann, w.bob]);
}

#[test]
fn a_missing_subject_is_dropped_and_the_parties_remain() {
    let w = World::new();
    let i = interaction().with_parties([Party::contact(w.bob)]);
    assert_eq!(involved_contact_uuids(&i), [w.bob]);
}

#[test]
fn parties_not_loaded_count_as_none_and_do_not_fail() {
    let w = World::new();
    let i = interaction().with_contact(w.ann);
    assert_eq!(i.parties, Parties::NotLoaded);
    assert_eq!(involved_contact_uuids(&i), [w.ann]);
    assert!(involved_contact_uuids(&interaction()).is_empty());
}

#[test]
fn not_loaded_and_loaded_but_empty_are_different_values_with_the_same_audience() {
    let w = World::new();
    let not_loaded = interaction().with_contact(w.ann);
    let empty = not_loaded.clone().with_parties([]);
    assert_ne!(not_loaded, empty);
    assert_eq!(
        involved_contact_uuids(&not_loaded),
        involved_contact_uuids(&empty)
    );
}

#[test]
fn an_interaction_with_no_subject_and_only_unresolved_parties_involves_nobody() {
    let i = interaction().with_parties([Party::unresolved(), Party::unresolved()]);
    assert!(involved_contact_uuids(&i).is_empty());
}

#[test]
fn the_company_is_not_a_contact() {
    let w = World::new();
    let i = interaction().with_contact(w.ann).with_company(w.acme);
    assert_eq!(involved_contact_uuids(&i), [w.ann]);
}
