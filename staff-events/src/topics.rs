//! The staff topics, typed to [`StaffEvent`], and the subscribe helpers.
//!
//! | topic | function | receives |
//! |---|---|---|
//! | `staff:departments` | [`topic_departments()`] | every department event |
//! | `staff:teams` | [`topic_teams()`] | every team and team-membership event |
//! | `staff:people` | [`topic_people()`] | every person, bulk, team-membership and person-skill event |
//! | `staff:skills` | [`topic_skills()`] | every skill and person-skill event |
//! | `staff:department:<uuid>` | [`topic_department()`] | one department's events and those of its teams |
//! | `staff:team:<uuid>` | [`topic_team()`] | one team's events and its memberships' |
//! | `staff:person:<uuid>` | [`topic_person()`] | one person's events, memberships and skills |
//! | `staff:skill:<uuid>` | [`topic_skill()`] | one skill's events and who gained or lost it |

use pubsub_core::{Broker, BrokerExt, Error, Topic, TopicPattern, TypedSubscription, TypedTopic};
use uuid::Uuid;

use crate::events::StaffEvent;

/// `staff:departments`: any department mutation.
///
/// ```
/// assert_eq!(staff_events::DEPARTMENTS.as_str(), "staff:departments");
/// ```
pub const DEPARTMENTS: Topic = Topic::from_static("staff:departments");

/// `staff:teams`: any team mutation.
///
/// ```
/// assert_eq!(staff_events::TEAMS.as_str(), "staff:teams");
/// ```
pub const TEAMS: Topic = Topic::from_static("staff:teams");

/// `staff:people`: any person mutation.
///
/// ```
/// assert_eq!(staff_events::PEOPLE.as_str(), "staff:people");
/// ```
pub const PEOPLE: Topic = Topic::from_static("staff:people");

/// `staff:skills`: any skill mutation.
///
/// ```
/// assert_eq!(staff_events::SKILLS.as_str(), "staff:skills");
/// ```
pub const SKILLS: Topic = Topic::from_static("staff:skills");

/// `staff:department:<uuid>`: one department.
///
/// ```
/// let topic = staff_events::DEPARTMENT.topic(uuid::Uuid::nil());
/// assert_eq!(topic.as_str(), "staff:department:00000000-0000-0000-0000-000000000000");
/// ```
pub const DEPARTMENT: TopicPattern = TopicPattern::new("staff:department:", "");

/// `staff:team:<uuid>`: one team.
///
/// ```
/// let topic = staff_events::TEAM.topic(uuid::Uuid::nil());
/// assert_eq!(topic.as_str(), "staff:team:00000000-0000-0000-0000-000000000000");
/// ```
pub const TEAM: TopicPattern = TopicPattern::new("staff:team:", "");

/// `staff:person:<uuid>`: one person.
///
/// ```
/// let topic = staff_events::PERSON.topic(uuid::Uuid::nil());
/// assert_eq!(topic.as_str(), "staff:person:00000000-0000-0000-0000-000000000000");
/// ```
pub const PERSON: TopicPattern = TopicPattern::new("staff:person:", "");

/// `staff:skill:<uuid>`: one skill.
///
/// ```
/// let topic = staff_events::SKILL.topic(uuid::Uuid::nil());
/// assert_eq!(topic.as_str(), "staff:skill:00000000-0000-0000-0000-000000000000");
/// ```
pub const SKILL: TopicPattern = TopicPattern::new("staff:skill:", "");

/// The topic of any department mutation: `staff:departments`. It reaches every subscriber,
/// whatever their tenant.
///
/// ```
/// assert_eq!(staff_events::topic_departments().as_str(), "staff:departments");
/// ```
pub fn topic_departments() -> TypedTopic<StaffEvent> {
    TypedTopic::new(DEPARTMENTS)
}

/// The topic of any team mutation: `staff:teams`.
///
/// ```
/// assert_eq!(staff_events::topic_teams().as_str(), "staff:teams");
/// ```
pub fn topic_teams() -> TypedTopic<StaffEvent> {
    TypedTopic::new(TEAMS)
}

/// The topic of any person mutation: `staff:people`.
///
/// ```
/// assert_eq!(staff_events::topic_people().as_str(), "staff:people");
/// ```
pub fn topic_people() -> TypedTopic<StaffEvent> {
    TypedTopic::new(PEOPLE)
}

/// The topic of any skill mutation: `staff:skills`.
///
/// ```
/// assert_eq!(staff_events::topic_skills().as_str(), "staff:skills");
/// ```
pub fn topic_skills() -> TypedTopic<StaffEvent> {
    TypedTopic::new(SKILLS)
}

/// The topic of one department: `staff:department:<uuid>`. It also carries the events of the
/// department's teams.
///
/// ```
/// let uuid: uuid::Uuid = "0190a5d2-7e3c-7000-8000-000000000001".parse()?;
/// assert_eq!(
///     staff_events::topic_department(uuid).as_str(),
///     "staff:department:0190a5d2-7e3c-7000-8000-000000000001"
/// );
/// # Ok::<(), uuid::Error>(())
/// ```
pub fn topic_department(uuid: Uuid) -> TypedTopic<StaffEvent> {
    TypedTopic::new(DEPARTMENT.topic(uuid))
}

/// The topic of one team: `staff:team:<uuid>`. It also carries the team's membership events.
///
/// ```
/// let uuid: uuid::Uuid = "0190a5d2-7e3c-7000-8000-000000000001".parse()?;
/// assert_eq!(
///     staff_events::topic_team(uuid).as_str(),
///     "staff:team:0190a5d2-7e3c-7000-8000-000000000001"
/// );
/// # Ok::<(), uuid::Error>(())
/// ```
pub fn topic_team(uuid: Uuid) -> TypedTopic<StaffEvent> {
    TypedTopic::new(TEAM.topic(uuid))
}

/// The topic of one person: `staff:person:<uuid>`. It also carries the person's team
/// memberships and skills.
///
/// ```
/// let uuid: uuid::Uuid = "0190a5d2-7e3c-7000-8000-000000000001".parse()?;
/// assert_eq!(
///     staff_events::topic_person(uuid).as_str(),
///     "staff:person:0190a5d2-7e3c-7000-8000-000000000001"
/// );
/// # Ok::<(), uuid::Error>(())
/// ```
pub fn topic_person(uuid: Uuid) -> TypedTopic<StaffEvent> {
    TypedTopic::new(PERSON.topic(uuid))
}

/// The topic of one skill: `staff:skill:<uuid>`. It also carries who gained, changed or lost
/// the skill.
///
/// ```
/// let uuid: uuid::Uuid = "0190a5d2-7e3c-7000-8000-000000000001".parse()?;
/// assert_eq!(
///     staff_events::topic_skill(uuid).as_str(),
///     "staff:skill:0190a5d2-7e3c-7000-8000-000000000001"
/// );
/// # Ok::<(), uuid::Error>(())
/// ```
pub fn topic_skill(uuid: Uuid) -> TypedTopic<StaffEvent> {
    TypedTopic::new(SKILL.topic(uuid))
}

/// Subscribes to a staff topic; the subscription is effective when this returns, so call it
/// before loading the screen's initial state.
///
/// ```
/// use staff_events::{subscribe, topic_teams};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let subscription = subscribe(&broker, &topic_teams()).await?;
/// assert!(subscription.contains(&topic_teams()));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`Broker::subscribe`]: a network backend that cannot confirm the subscription, or a
/// wrapper that refuses the topic.
pub async fn subscribe<B: Broker + ?Sized>(
    broker: &B,
    topic: &TypedTopic<StaffEvent>,
) -> Result<TypedSubscription<StaffEvent>, Error> {
    broker.subscribe_events(topic).await
}

/// Removes `topic` from a subscription; returns whether it held it. Dropping the subscription
/// unsubscribes from all its topics at once.
///
/// ```
/// use staff_events::{subscribe, topic_people, unsubscribe};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut subscription = subscribe(&broker, &topic_people()).await?;
/// assert!(unsubscribe(&broker, &mut subscription, &topic_people()));
/// assert_eq!(broker.topic_count(), 0);
/// # Ok(()) }
/// ```
pub fn unsubscribe<B: Broker + ?Sized>(
    broker: &B,
    subscription: &mut TypedSubscription<StaffEvent>,
    topic: &TypedTopic<StaffEvent>,
) -> bool {
    broker.remove_event_topic(subscription, topic)
}
