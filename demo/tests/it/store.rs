//! The store: records by kind and id, seeded once.

use demo::store::model::{Contact, Interaction, Item};
use demo::{Sample, Store};
use uuid::Uuid;

use crate::client::block;

#[test]
fn a_record_put_is_read_back_and_deleted() {
    block(async {
        let store = Store::memory();
        let contact = Contact {
            id: Uuid::new_v4(),
            name: "Ada".into(),
            company: "AE".into(),
        };
        store.put(&contact).await.unwrap();
        assert_eq!(
            store.get::<Contact>(contact.id).await.unwrap(),
            Some(contact.clone())
        );
        assert!(
            store.get::<Item>(contact.id).await.unwrap().is_none(),
            "kinds are separate"
        );
        assert!(store.delete::<Contact>(contact.id).await.unwrap());
        assert!(!store.delete::<Contact>(contact.id).await.unwrap());
        assert!(store.get::<Contact>(contact.id).await.unwrap().is_none());
    });
}

#[test]
fn seeding_twice_writes_the_sample_data_once() {
    block(async {
        let store = Store::memory();
        store.seed().await.unwrap();
        let extra = Contact {
            id: Uuid::new_v4(),
            name: "Extra".into(),
            company: String::new(),
        };
        store.put(&extra).await.unwrap();
        store.seed().await.unwrap();
        let contacts = store.all::<Contact>().await.unwrap();
        assert_eq!(contacts.len(), 6, "five samples and the extra one");
        assert!(contacts.iter().any(|c| c.id == Sample::ADA));
    });
}

#[test]
fn an_interaction_involves_its_subject_and_its_parties_only() {
    let interaction = Interaction {
        id: Uuid::new_v4(),
        contact_id: Sample::ADA,
        party_ids: vec![Sample::GRACE],
        kind: "call".into(),
        note: String::new(),
        at: 0,
    };
    assert!(interaction.involves(Sample::ADA));
    assert!(interaction.involves(Sample::GRACE));
    assert!(!interaction.involves(Sample::ALAN));
    let model = interaction.to_event_model();
    let mut involved = crm_events::involved_contact_uuids(&model);
    involved.sort();
    let mut expected = vec![Sample::ADA, Sample::GRACE];
    expected.sort();
    assert_eq!(involved, expected);
}

#[test]
fn filter_keeps_the_matching_records() {
    block(async {
        let store = Store::memory();
        store.seed().await.unwrap();
        let feed = store
            .filter::<Interaction>(|i| i.involves(Sample::ALAN))
            .await
            .unwrap();
        assert_eq!(feed.len(), 2, "one as subject, one as party");
    });
}
