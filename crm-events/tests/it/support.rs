//! A small CRM world, and a screen on every candidate topic of its contacts and companies.

use crm_events::{
    CrmEvent, topic_company, topic_company_interactions, topic_contact_interactions, topic_lists,
};
use pubsub_core::testing::Screens;
use pubsub_core::{MemoryBroker, TypedTopic};
use uuid::Uuid;

/// Four contacts and three companies; `dan` and `globex` are never involved in the scenarios.
#[derive(Debug, Clone, Copy)]
pub(crate) struct World {
    pub(crate) ann: Uuid,
    pub(crate) bob: Uuid,
    pub(crate) cat: Uuid,
    pub(crate) dan: Uuid,
    pub(crate) acme: Uuid,
    pub(crate) initech: Uuid,
    pub(crate) globex: Uuid,
}

impl World {
    pub(crate) fn new() -> Self {
        World {
            ann: Uuid::new_v4(),
            bob: Uuid::new_v4(),
            cat: Uuid::new_v4(),
            dan: Uuid::new_v4(),
            acme: Uuid::new_v4(),
            initech: Uuid::new_v4(),
            globex: Uuid::new_v4(),
        }
    }

    fn contacts(&self) -> [(&'static str, Uuid); 4] {
        [
            ("ann", self.ann),
            ("bob", self.bob),
            ("cat", self.cat),
            ("dan", self.dan),
        ]
    }

    fn companies(&self) -> [(&'static str, Uuid); 3] {
        [
            ("acme", self.acme),
            ("initech", self.initech),
            ("globex", self.globex),
        ]
    }

    /// One screen per candidate topic of the CRM domain, labelled `contact:<name>`,
    /// `company_interactions:<name>`, `company:<name>` and `lists`.
    pub(crate) async fn screens(&self, broker: &MemoryBroker) -> Screens<CrmEvent> {
        let mut topics: Vec<(String, TypedTopic<CrmEvent>)> = Vec::new();
        for (name, id) in self.contacts() {
            topics.push((format!("contact:{name}"), topic_contact_interactions(id)));
        }
        for (name, id) in self.companies() {
            topics.push((
                format!("company_interactions:{name}"),
                topic_company_interactions(id),
            ));
            topics.push((format!("company:{name}"), topic_company(id)));
        }
        topics.push(("lists".to_owned(), topic_lists()));
        Screens::watch(
            broker,
            topics.iter().map(|(label, topic)| (label.as_str(), topic)),
        )
        .await
        .expect("subscribe")
    }
}
