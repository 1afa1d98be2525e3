//! The best-effort broadcast functions: a fan-out rule plus one publish per typed topic through
//! [`pubsub_core::broadcast_event`], so the rule's topics and the event are both [`CrmEvent`].
//!
//! Call them after the database commit. They never fail or panic in the caller: a failed publish
//! is logged with `tracing` (topic, domain, event, error) and counted, and the returned
//! [`BroadcastReport`] says how many topics were tried and how many failed. Ignoring it is fine.

use pubsub_core::{BroadcastReport, Broker, broadcast_event};
use uuid::Uuid;

use crate::events::{
    CompanyMemberChange, CompanyVisibilityPayload, CrmEvent, InteractionChange, ListEventKind,
};
use crate::interaction::Interaction;
use crate::rules;

/// Tells every contact an interaction involves, and its company's feed, that it changed:
/// `crm:contact:<uuid>:interactions` of each involved contact (see
/// [`involved_contact_uuids`](crate::involved_contact_uuids)) and
/// `crm:company:<uuid>:interactions` when it has a company. Best-effort; call after commit.
///
/// For an edit that may change who is involved, use [`broadcast_interaction_update`].
///
/// ```
/// use crm_events::{Interaction, InteractionChange, Party, broadcast_interaction};
/// use pubsub_core::MemoryBroker;
/// use uuid::Uuid;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
/// let mut bobs_tab = crm_events::subscribe(&broker, &crm_events::topic_contact_interactions(bob)).await?;
///
/// // In the context function, after the insert committed:
/// let call = Interaction::new(Uuid::new_v4()).with_contact(ann).with_parties([Party::contact(bob)]);
/// let report = broadcast_interaction(&broker, InteractionChange::Created, &call).await;
/// assert_eq!(report.topics, 2);
/// assert!(bobs_tab.try_recv().is_ok());
/// # Ok(()) }
/// ```
pub async fn broadcast_interaction<B: Broker + ?Sized>(
    broker: &B,
    change: InteractionChange,
    interaction: &Interaction,
) -> BroadcastReport {
    let topics = rules::topics_for_interaction(interaction);
    broadcast_event(broker, &topics, change.event(interaction.uuid)).await
}

/// Sends an interaction event to the interactions topic of each contact in `contact_uuids`
/// (de-duplicated, `None`s dropped), and nowhere else. Best-effort; call after commit.
///
/// For when the caller already knows the audience, such as an update that computed the union of
/// the old and new involved contacts itself (otherwise [`broadcast_interaction_update`] does it).
///
/// ```
/// use crm_events::{InteractionChange, broadcast_interaction_to};
/// use pubsub_core::MemoryBroker;
/// use uuid::Uuid;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = MemoryBroker::new();
/// let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
/// let report =
///     broadcast_interaction_to(&broker, InteractionChange::Updated, Uuid::new_v4(), [ann, bob, ann]).await;
/// assert_eq!(report.topics, 2);
/// # }
/// ```
pub async fn broadcast_interaction_to<B, I>(
    broker: &B,
    change: InteractionChange,
    interaction_uuid: Uuid,
    contact_uuids: I,
) -> BroadcastReport
where
    B: Broker + ?Sized,
    I: IntoIterator,
    I::Item: Into<Option<Uuid>>,
{
    let topics = rules::topics_for_interaction_to(contact_uuids);
    broadcast_event(broker, &topics, change.event(interaction_uuid)).await
}

/// Sends `interaction_updated` for an edit: to the union of the contacts involved `before` and
/// `after` it, so a contact the edit removed still gets the refresh that drops the entry, and to
/// the company interactions topic. The payload's `interaction_uuid` is `after.uuid`.
/// Best-effort; call after commit.
///
/// ```
/// use crm_events::{Interaction, Party, broadcast_interaction_update};
/// use pubsub_core::MemoryBroker;
/// use uuid::Uuid;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
/// let mut bobs_tab = crm_events::subscribe(&broker, &crm_events::topic_contact_interactions(bob)).await?;
///
/// let before = Interaction::new(Uuid::new_v4()).with_contact(ann).with_parties([Party::contact(bob)]);
/// let after = before.clone().with_parties([]); // bob is no longer a party
/// broadcast_interaction_update(&broker, &before, &after).await;
/// assert!(bobs_tab.try_recv().is_ok()); // bob's tab drops the entry
/// # Ok(()) }
/// ```
pub async fn broadcast_interaction_update<B: Broker + ?Sized>(
    broker: &B,
    before: &Interaction,
    after: &Interaction,
) -> BroadcastReport {
    let topics = rules::topics_for_interaction_update(before, after);
    broadcast_event(
        broker,
        &topics,
        InteractionChange::Updated.event(after.uuid),
    )
    .await
}

/// Sends a roster event about contact `contact_uuid` to `crm:company:<uuid>` of each company in
/// `company_uuids` (de-duplicated, `None`s dropped). Best-effort; call after commit.
///
/// ```
/// use crm_events::{CompanyMemberChange, broadcast_company_event};
/// use pubsub_core::MemoryBroker;
/// use uuid::Uuid;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = MemoryBroker::new();
/// let (acme, ann) = (Uuid::new_v4(), Uuid::new_v4());
/// let report = broadcast_company_event(&broker, CompanyMemberChange::Joined, [Some(acme), None], ann).await;
/// assert_eq!(report.topics, 1);
/// # }
/// ```
pub async fn broadcast_company_event<B, I>(
    broker: &B,
    change: CompanyMemberChange,
    company_uuids: I,
    contact_uuid: Uuid,
) -> BroadcastReport
where
    B: Broker + ?Sized,
    I: IntoIterator,
    I::Item: Into<Option<Uuid>>,
{
    let topics = rules::topics_for_company_event(company_uuids);
    broadcast_event(broker, &topics, change.event(contact_uuid)).await
}

/// Sends `company_visibility_changed` (payload `{company_uuid}`) to the interactions topic of
/// each contact in `contact_uuids` (de-duplicated, `None`s dropped), so their feeds show or hide
/// the company's interactions. Best-effort; call after commit.
///
/// ```
/// use crm_events::broadcast_company_visibility;
/// use pubsub_core::MemoryBroker;
/// use uuid::Uuid;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = MemoryBroker::new();
/// let (acme, ann, bob) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
/// let report = broadcast_company_visibility(&broker, acme, [ann, bob]).await;
/// assert_eq!(report.topics, 2);
/// # }
/// ```
pub async fn broadcast_company_visibility<B, I>(
    broker: &B,
    company_uuid: Uuid,
    contact_uuids: I,
) -> BroadcastReport
where
    B: Broker + ?Sized,
    I: IntoIterator,
    I::Item: Into<Option<Uuid>>,
{
    let topics = rules::topics_for_company_visibility(contact_uuids);
    let event = CrmEvent::CompanyVisibilityChanged(CompanyVisibilityPayload { company_uuid });
    broadcast_event(broker, &topics, event).await
}

/// Sends a mailing-list event to `crm:lists`. The kind decides the payload type (see
/// [`ListEventKind`]): [`ListChange`](crate::ListChange) takes a
/// [`ListPayload`](crate::ListPayload), [`ListMemberChange`](crate::ListMemberChange) a
/// [`ListMemberPayload`](crate::ListMemberPayload), and so on. Best-effort; call after commit.
///
/// ```
/// use crm_events::{ContactOptChange, ContactOptPayload, ListChange, ListPayload, broadcast_list_event};
/// use pubsub_core::MemoryBroker;
/// use uuid::Uuid;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = MemoryBroker::new();
/// let list = ListPayload { list_uuid: Uuid::new_v4(), subscriber_count: 42, status: "active".into() };
/// broadcast_list_event(&broker, ListChange::Recounted, list).await;
///
/// let opt_in = ContactOptPayload { contact_uuid: Uuid::new_v4(), opted_out_at: None };
/// let report = broadcast_list_event(&broker, ContactOptChange::OptIn, opt_in).await;
/// assert_eq!(report.topics, 1);
/// # }
/// ```
pub async fn broadcast_list_event<B, K>(broker: &B, kind: K, payload: K::Payload) -> BroadcastReport
where
    B: Broker + ?Sized,
    K: ListEventKind,
{
    broadcast_event(broker, &rules::topics_for_list_event(), kind.event(payload)).await
}
