//! The CRM topics, exactly as `PhoenixKit` names them, and the subscribe helpers.
//!
//! | topic | function | events |
//! |---|---|---|
//! | `crm:contact:<uuid>:interactions` | [`topic_contact_interactions`] | `interaction_*`, `company_visibility_changed` |
//! | `crm:company:<uuid>:interactions` | [`topic_company_interactions`] | `interaction_*` of company-anchored interactions |
//! | `crm:company:<uuid>` | [`topic_company`] | `member_joined`, `member_left`, `member_changed` |
//! | `crm:lists` | [`topic_lists`] | `list_*`, `member_added`, `member_removed`, `contact_opt_out`, `contact_opt_in` |

use pubsub_core::{Broker, BrokerExt, Topic, TopicPattern, TypedSubscription, TypedTopic};
use uuid::Uuid;

use crate::events::CrmEvent;

/// `crm:contact:<uuid>:interactions`: the interaction feed of one contact, as subject or party.
///
/// ```
/// let id = uuid::Uuid::nil();
/// assert_eq!(
///     crm_events::CONTACT_INTERACTIONS.topic(id).as_str(),
///     "crm:contact:00000000-0000-0000-0000-000000000000:interactions"
/// );
/// ```
pub const CONTACT_INTERACTIONS: TopicPattern = TopicPattern::new("crm:contact:", ":interactions");

/// `crm:company:<uuid>:interactions`: a company's feed of company-anchored interactions.
///
/// ```
/// let id = uuid::Uuid::nil();
/// assert_eq!(
///     crm_events::COMPANY_INTERACTIONS.topic(id).as_str(),
///     "crm:company:00000000-0000-0000-0000-000000000000:interactions"
/// );
/// ```
pub const COMPANY_INTERACTIONS: TopicPattern = TopicPattern::new("crm:company:", ":interactions");

/// `crm:company:<uuid>`: a company page's roster.
///
/// ```
/// let id = uuid::Uuid::nil();
/// assert_eq!(
///     crm_events::COMPANY.topic(id).as_str(),
///     "crm:company:00000000-0000-0000-0000-000000000000"
/// );
/// ```
pub const COMPANY: TopicPattern = TopicPattern::new("crm:company:", "");

/// `crm:lists`: mailing-list membership and counters.
///
/// ```
/// assert_eq!(crm_events::LISTS.as_str(), "crm:lists");
/// ```
pub const LISTS: Topic = Topic::from_static("crm:lists");

/// The interaction feed of contact `contact_uuid`: `crm:contact:<uuid>:interactions`.
///
/// A contact's Interactions tab subscribes here; it receives every interaction in which the
/// contact is the subject or a party.
///
/// ```
/// let contact = uuid::Uuid::nil();
/// assert_eq!(
///     crm_events::topic_contact_interactions(contact).as_str(),
///     "crm:contact:00000000-0000-0000-0000-000000000000:interactions"
/// );
/// ```
pub fn topic_contact_interactions(contact_uuid: Uuid) -> TypedTopic<CrmEvent> {
    TypedTopic::new(CONTACT_INTERACTIONS.topic(contact_uuid))
}

/// The feed of interactions anchored to company `company_uuid`:
/// `crm:company:<uuid>:interactions`.
///
/// ```
/// let company = uuid::Uuid::nil();
/// assert_eq!(
///     crm_events::topic_company_interactions(company).as_str(),
///     "crm:company:00000000-0000-0000-0000-000000000000:interactions"
/// );
/// ```
pub fn topic_company_interactions(company_uuid: Uuid) -> TypedTopic<CrmEvent> {
    TypedTopic::new(COMPANY_INTERACTIONS.topic(company_uuid))
}

/// The roster of company `company_uuid`: `crm:company:<uuid>`.
///
/// ```
/// let company = uuid::Uuid::nil();
/// assert_eq!(
///     crm_events::topic_company(company).as_str(),
///     "crm:company:00000000-0000-0000-0000-000000000000"
/// );
/// ```
pub fn topic_company(company_uuid: Uuid) -> TypedTopic<CrmEvent> {
    TypedTopic::new(COMPANY.topic(company_uuid))
}

/// Mailing lists, their membership and counters: `crm:lists`.
///
/// Every subscriber of this topic receives every list event: it is not partitioned.
///
/// ```
/// assert_eq!(crm_events::topic_lists().as_str(), "crm:lists");
/// ```
pub fn topic_lists() -> TypedTopic<CrmEvent> {
    TypedTopic::new(LISTS)
}

/// Subscribes to a CRM topic; the subscription yields [`CrmEvent`]s and is effective when this
/// returns, so call it *before* loading the screen's initial state.
///
/// Add more CRM topics to the same subscription with
/// [`BrokerExt::add_event_topic`](pubsub_core::BrokerExt::add_event_topic).
///
/// ```
/// use pubsub_core::MemoryBroker;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let feed = crm_events::subscribe(&broker, &crm_events::topic_lists()).await?;
/// assert!(feed.contains(&crm_events::topic_lists()));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`Broker::subscribe`]: a network backend that cannot confirm the subscription, or a
/// tenant-scoping wrapper refusing the topic.
pub async fn subscribe<B: Broker + ?Sized>(
    broker: &B,
    topic: &TypedTopic<CrmEvent>,
) -> Result<TypedSubscription<CrmEvent>, pubsub_core::Error> {
    broker.subscribe_events(topic).await
}

/// Removes `topic` from `subscription`; returns whether it held it. Dropping the subscription
/// unsubscribes from every topic at once.
///
/// ```
/// use pubsub_core::MemoryBroker;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let lists = crm_events::topic_lists();
/// let mut feed = crm_events::subscribe(&broker, &lists).await?;
/// assert!(crm_events::unsubscribe(&broker, &mut feed, &lists));
/// assert_eq!(broker.topic_count(), 0);
/// # Ok(()) }
/// ```
pub fn unsubscribe<B: Broker + ?Sized>(
    broker: &B,
    subscription: &mut TypedSubscription<CrmEvent>,
    topic: &TypedTopic<CrmEvent>,
) -> bool {
    broker.remove_event_topic(subscription, topic)
}
