//! The broadcast functions of SPEC.md: a rule of [`rules`](crate::rules) plus a best-effort
//! publish to each of its topics.
//!
//! Call them after the database commit. They never fail and never panic in the caller: each is
//! built on the core's typed [`pubsub_core::broadcast_event`] (the rule's topics and the event
//! are both [`StaffEvent`]), which logs a failed publish with `tracing` (topic, domain, event,
//! error), counts it, and carries on with the other topics. They return a [`BroadcastReport`]
//! (how many topics were tried, how many failed), not upstream's untrue `:ok`; ignoring it is
//! fine.

use pubsub_core::{BroadcastReport, Broker, broadcast_event};

use crate::events::{
    DepartmentChange, DepartmentPayload, PeopleBulkChange, PersonChange, PersonPayload,
    PersonSkillChange, PersonSkillPayload, SkillChange, SkillPayload, StaffEvent, TeamChange,
    TeamMembershipChange, TeamMembershipPayload, TeamPayload,
};
use crate::rules::topics_for;

/// Publishes `event` to the topics its rule gives.
async fn send<B: Broker + ?Sized>(broker: &B, event: StaffEvent) -> BroadcastReport {
    let topics = topics_for(&event);
    broadcast_event(broker, &topics, event).await
}

/// Broadcasts a department event to `staff:departments` and `staff:department:<uuid>`.
/// Best-effort.
///
/// ```
/// use staff_events::{broadcast_department, DepartmentChange, DepartmentPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let payload = DepartmentPayload { uuid: uuid::Uuid::new_v4(), name: "Sales".into() };
/// let report = broadcast_department(&broker, DepartmentChange::Created, payload).await;
/// assert_eq!((report.topics, report.failed), (2, 0));
/// # }
/// ```
pub async fn broadcast_department<B: Broker + ?Sized>(
    broker: &B,
    change: DepartmentChange,
    payload: DepartmentPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}

/// Broadcasts a team event to `staff:teams` and `staff:team:<uuid>`, and, when the payload has a
/// `department_uuid`, to `staff:department:<department_uuid>`. Best-effort.
///
/// ```
/// use staff_events::{broadcast_team, subscribe, topic_department, TeamChange, TeamPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let department = uuid::Uuid::new_v4();
/// let mut department_page = subscribe(&broker, &topic_department(department)).await?;
///
/// let payload = TeamPayload { uuid: uuid::Uuid::new_v4(), name: "Crew".into(), department_uuid: Some(department) };
/// let report = broadcast_team(&broker, TeamChange::Updated, payload).await;
/// assert_eq!(report.topics, 3);
/// assert!(department_page.try_recv().is_ok());
/// # Ok(()) }
/// ```
pub async fn broadcast_team<B: Broker + ?Sized>(
    broker: &B,
    change: TeamChange,
    payload: TeamPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}

/// Broadcasts an event of one person to `staff:people` and `staff:person:<uuid>`. Best-effort.
///
/// ```
/// use staff_events::{broadcast_person, PersonChange, PersonPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let payload = PersonPayload { uuid: uuid::Uuid::new_v4() };
/// let report = broadcast_person(&broker, PersonChange::EmploymentChanged, payload).await;
/// assert_eq!(report.topics, 2);
/// # }
/// ```
pub async fn broadcast_person<B: Broker + ?Sized>(
    broker: &B,
    change: PersonChange,
    payload: PersonPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}

/// Broadcasts a bulk `person_updated` or `person_deleted` (payload `{"bulk": true}`) to
/// `staff:people` only. Best-effort.
///
/// ```
/// use staff_events::{broadcast_people_bulk, PeopleBulkChange};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let report = broadcast_people_bulk(&broker, PeopleBulkChange::Deleted).await;
/// assert_eq!(report.topics, 1);
/// # }
/// ```
pub async fn broadcast_people_bulk<B: Broker + ?Sized>(
    broker: &B,
    change: PeopleBulkChange,
) -> BroadcastReport {
    send(broker, change.event()).await
}

/// Broadcasts a team-membership event to `staff:teams`, `staff:team:<team_uuid>`,
/// `staff:people` and `staff:person:<staff_person_uuid>`. Best-effort.
///
/// ```
/// use staff_events::{broadcast_team_membership, TeamMembershipChange, TeamMembershipPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let payload = TeamMembershipPayload {
///     team_uuid: uuid::Uuid::new_v4(),
///     staff_person_uuid: uuid::Uuid::new_v4(),
///     uuid: uuid::Uuid::new_v4(),
/// };
/// let report = broadcast_team_membership(&broker, TeamMembershipChange::Added, payload).await;
/// assert_eq!(report.topics, 4);
/// # }
/// ```
pub async fn broadcast_team_membership<B: Broker + ?Sized>(
    broker: &B,
    change: TeamMembershipChange,
    payload: TeamMembershipPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}

/// Broadcasts a skill event to `staff:skills` and `staff:skill:<uuid>`. Best-effort.
///
/// ```
/// use staff_events::{broadcast_skill, SkillChange, SkillPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let payload = SkillPayload { uuid: uuid::Uuid::new_v4(), name: "Welding".into() };
/// assert!(broadcast_skill(&broker, SkillChange::Created, payload).await.is_complete());
/// # }
/// ```
pub async fn broadcast_skill<B: Broker + ?Sized>(
    broker: &B,
    change: SkillChange,
    payload: SkillPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}

/// Broadcasts a person-skill event to `staff:skills`, `staff:skill:<skill_uuid>`,
/// `staff:people` and `staff:person:<staff_person_uuid>`. Best-effort.
///
/// ```
/// use staff_events::{broadcast_person_skill, PersonSkillChange, PersonSkillPayload};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = pubsub_core::MemoryBroker::new();
/// let payload = PersonSkillPayload {
///     skill_uuid: uuid::Uuid::new_v4(),
///     staff_person_uuid: uuid::Uuid::new_v4(),
///     uuid: uuid::Uuid::new_v4(),
/// };
/// let report = broadcast_person_skill(&broker, PersonSkillChange::Added, payload).await;
/// assert_eq!(report.topics, 4);
/// # }
/// ```
pub async fn broadcast_person_skill<B: Broker + ?Sized>(
    broker: &B,
    change: PersonSkillChange,
    payload: PersonSkillPayload,
) -> BroadcastReport {
    send(broker, change.event(payload)).await
}
