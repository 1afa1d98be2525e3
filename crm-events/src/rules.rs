//! The fan-out rules as pure functions: which topics an event reaches.
//!
//! Every function returns de-duplicated topics in a stable order (first occurrence wins), never
//! fails, and touches no broker, so the rules can be read, tested and reused (for example to list
//! the topics a screen must subscribe to). The broadcast functions are these rules plus publishing.
//!
//! Unlike the other domains, most CRM events do not carry their audience: an
//! `interaction_created` payload holds only `interaction_uuid`, and who must hear of it depends
//! on the interaction's contacts and company. So [`topics_for`] names the audience of any event
//! ([`EventTopics`]), and the rule functions compute it from their inputs.

use std::collections::HashSet;

use pubsub_core::TypedTopic;
use uuid::Uuid;

use crate::events::CrmEvent;
use crate::interaction::{Interaction, Parties};
use crate::topics::{
    topic_company, topic_company_interactions, topic_contact_interactions, topic_lists,
};

/// The contacts an interaction involves: its subject contact, then every resolved party contact,
/// de-duplicated in first-seen order; missing ones dropped. Parties not loaded count as none.
/// Never fails.
///
/// ```
/// use crm_events::{Interaction, Party, involved_contact_uuids};
/// use uuid::Uuid;
///
/// let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
/// let meeting = Interaction::new(Uuid::new_v4())
///     .with_contact(ann)
///     .with_parties([Party::contact(bob), Party::contact(ann), Party::unresolved()]);
/// assert_eq!(involved_contact_uuids(&meeting), [ann, bob]);
///
/// // Parties not loaded: only the subject is known.
/// let unloaded = Interaction::new(Uuid::new_v4()).with_contact(ann);
/// assert_eq!(involved_contact_uuids(&unloaded), [ann]);
/// ```
pub fn involved_contact_uuids(interaction: &Interaction) -> Vec<Uuid> {
    unique(candidates(interaction)).collect()
}

/// The subject contact, then each party's contact, as stored: not de-duplicated, `None`s kept.
fn candidates(interaction: &Interaction) -> impl Iterator<Item = Option<Uuid>> + '_ {
    let parties = match &interaction.parties {
        Parties::NotLoaded => &[][..],
        Parties::Loaded(parties) => parties.as_slice(),
    };
    std::iter::once(interaction.contact_uuid).chain(parties.iter().map(|party| party.contact_uuid))
}

/// The topics of `broadcast_interaction`: each involved contact's
/// `crm:contact:<uuid>:interactions` (in [`involved_contact_uuids`] order), then
/// `crm:company:<uuid>:interactions` when the interaction has a company.
///
/// ```
/// use crm_events::{Interaction, Party, topics_for_interaction};
/// use uuid::Uuid;
///
/// let (ann, acme) = (Uuid::nil(), Uuid::max());
/// let call = Interaction::new(Uuid::new_v4()).with_contact(ann).with_company(acme).with_parties([]);
/// let names: Vec<String> = topics_for_interaction(&call).iter().map(ToString::to_string).collect();
/// assert_eq!(names, [
///     "crm:contact:00000000-0000-0000-0000-000000000000:interactions",
///     "crm:company:ffffffff-ffff-ffff-ffff-ffffffffffff:interactions",
/// ]);
/// ```
pub fn topics_for_interaction(interaction: &Interaction) -> Vec<TypedTopic<CrmEvent>> {
    let mut topics = contact_topics(candidates(interaction));
    topics.extend(interaction.company_uuid.map(topic_company_interactions));
    topics
}

/// The topics of an interaction update: the union of the contacts involved before and after the
/// edit (old ones first), so a contact the edit removed still gets the refresh that drops the
/// entry; then the company interactions topic of each version (normally one, as the anchor does
/// not change).
///
/// ```
/// use crm_events::{Interaction, Party, topics_for_interaction, topics_for_interaction_update};
/// use uuid::Uuid;
///
/// let (ann, bob, cat) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
/// let before = Interaction::new(Uuid::new_v4()).with_contact(ann).with_parties([Party::contact(bob)]);
/// let after = before.clone().with_parties([Party::contact(cat)]); // bob removed, cat added
///
/// let topics = topics_for_interaction_update(&before, &after);
/// assert_eq!(topics, crm_events::topics_for_interaction_to([ann, bob, cat]));
/// ```
pub fn topics_for_interaction_update(
    before: &Interaction,
    after: &Interaction,
) -> Vec<TypedTopic<CrmEvent>> {
    let mut topics = contact_topics(candidates(before).chain(candidates(after)));
    topics
        .extend(unique([before.company_uuid, after.company_uuid]).map(topic_company_interactions));
    topics
}

/// The topics of `broadcast_interaction_to`: the interactions topic of each given contact,
/// de-duplicated in first-seen order, `None`s dropped. No company topic.
///
/// Accepts UUIDs or `Option<Uuid>`s.
///
/// ```
/// use crm_events::topics_for_interaction_to;
/// use uuid::Uuid;
///
/// let ann = Uuid::new_v4();
/// assert_eq!(topics_for_interaction_to([Some(ann), None, Some(ann)]).len(), 1);
/// assert!(topics_for_interaction_to(Vec::<Uuid>::new()).is_empty());
/// ```
pub fn topics_for_interaction_to<I>(contact_uuids: I) -> Vec<TypedTopic<CrmEvent>>
where
    I: IntoIterator,
    I::Item: Into<Option<Uuid>>,
{
    contact_topics(contact_uuids.into_iter().map(Into::into))
}

/// The topics of `broadcast_company_event` (`member_joined`, `member_left`, `member_changed`):
/// `crm:company:<uuid>` of each given company, de-duplicated in first-seen order, `None`s
/// dropped.
///
/// ```
/// use crm_events::topics_for_company_event;
/// use uuid::Uuid;
///
/// let acme = Uuid::nil();
/// let topics = topics_for_company_event([Some(acme), None, Some(acme)]);
/// assert_eq!(topics.len(), 1);
/// assert_eq!(topics[0].as_str(), "crm:company:00000000-0000-0000-0000-000000000000");
/// ```
pub fn topics_for_company_event<I>(company_uuids: I) -> Vec<TypedTopic<CrmEvent>>
where
    I: IntoIterator,
    I::Item: Into<Option<Uuid>>,
{
    unique(company_uuids.into_iter().map(Into::into))
        .map(topic_company)
        .collect()
}

/// The topics of `broadcast_company_visibility`: the interactions topic of each affected contact,
/// de-duplicated in first-seen order, `None`s dropped.
///
/// ```
/// use crm_events::topics_for_company_visibility;
/// use uuid::Uuid;
///
/// let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
/// assert_eq!(topics_for_company_visibility([ann, bob, ann]).len(), 2);
/// ```
pub fn topics_for_company_visibility<I>(contact_uuids: I) -> Vec<TypedTopic<CrmEvent>>
where
    I: IntoIterator,
    I::Item: Into<Option<Uuid>>,
{
    contact_topics(contact_uuids.into_iter().map(Into::into))
}

/// The topics of `broadcast_list_event`: `crm:lists`, always.
///
/// ```
/// assert_eq!(crm_events::topics_for_list_event(), [crm_events::topic_lists()]);
/// ```
pub fn topics_for_list_event() -> Vec<TypedTopic<CrmEvent>> {
    vec![topic_lists()]
}

/// Where a CRM event goes, as far as the event itself can tell: the answer of [`topics_for`].
///
/// ```
/// use crm_events::EventTopics;
/// assert_ne!(EventTopics::InvolvedContacts, EventTopics::Fixed(vec![crm_events::topic_lists()]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTopics {
    /// These topics, known from the event alone (list events: `crm:lists`).
    Fixed(Vec<TypedTopic<CrmEvent>>),
    /// The interactions topic of each involved contact, plus the company interactions topic when
    /// the interaction has a company: [`topics_for_interaction`],
    /// [`topics_for_interaction_update`], [`topics_for_interaction_to`]. The payload names only
    /// the interaction.
    InvolvedContacts,
    /// The interactions topic of each affected contact: [`topics_for_company_visibility`]. The
    /// payload names only the company.
    AffectedContacts,
    /// The roster topic of each company concerned: [`topics_for_company_event`]. The payload names
    /// only the contact.
    Companies,
}

/// The topics of any CRM event, total over [`CrmEvent`].
///
/// List events carry nothing that partitions them, so their topics are fixed. The other events'
/// payloads do not name their audience (SPEC keeps payloads minimal), so for them this names
/// which rule function computes the topics from the broadcast's inputs.
///
/// ```
/// use crm_events::{CrmEvent, EventTopics, InteractionPayload, topics_for};
///
/// let created = CrmEvent::InteractionCreated(InteractionPayload { interaction_uuid: uuid::Uuid::new_v4() });
/// assert_eq!(topics_for(&created), EventTopics::InvolvedContacts);
/// ```
pub fn topics_for(event: &CrmEvent) -> EventTopics {
    match event {
        CrmEvent::InteractionCreated(_)
        | CrmEvent::InteractionUpdated(_)
        | CrmEvent::InteractionDeleted(_) => EventTopics::InvolvedContacts,
        CrmEvent::CompanyVisibilityChanged(_) => EventTopics::AffectedContacts,
        CrmEvent::MemberJoined(_) | CrmEvent::MemberLeft(_) | CrmEvent::MemberChanged(_) => {
            EventTopics::Companies
        }
        CrmEvent::ListCreated(_)
        | CrmEvent::ListUpdated(_)
        | CrmEvent::ListArchived(_)
        | CrmEvent::ListUnarchived(_)
        | CrmEvent::ListRecounted(_)
        | CrmEvent::MemberAdded(_)
        | CrmEvent::MemberRemoved(_)
        | CrmEvent::ListLocaleApplied(_)
        | CrmEvent::ContactOptOut(_)
        | CrmEvent::ContactOptIn(_) => EventTopics::Fixed(topics_for_list_event()),
    }
}

/// The interactions topics of `contacts`, de-duplicated, `None`s dropped.
fn contact_topics(contacts: impl IntoIterator<Item = Option<Uuid>>) -> Vec<TypedTopic<CrmEvent>> {
    unique(contacts).map(topic_contact_interactions).collect()
}

/// The present UUIDs of `ids`, each once, in first-seen order.
fn unique(ids: impl IntoIterator<Item = Option<Uuid>>) -> impl Iterator<Item = Uuid> {
    let mut seen = HashSet::new();
    ids.into_iter().flatten().filter(move |id| seen.insert(*id))
}
