//! Live updates for departments, teams, people, team memberships and skills: the topics, events
//! and fan-out rules of `PhoenixKit`'s `PhoenixKitStaff.PubSub`, over any
//! [`pubsub_core::Broker`].
//!
//! A context function broadcasts after its database commit; every screen subscribed to one of
//! the event's topics receives it and reloads what it shows.
//!
//! # Topics
//!
//! | topic | function | receives |
//! |---|---|---|
//! | `staff:departments` | [`topic_departments()`] | every department event |
//! | `staff:teams` | [`topic_teams()`] | every team and team-membership event |
//! | `staff:people` | [`topic_people()`] | every person (also bulk), team-membership and person-skill event |
//! | `staff:skills` | [`topic_skills()`] | every skill and person-skill event |
//! | `staff:department:<uuid>` | [`topic_department(uuid)`](topic_department) | one department's events, and those of its teams |
//! | `staff:team:<uuid>` | [`topic_team(uuid)`](topic_team) | one team's events and memberships |
//! | `staff:person:<uuid>` | [`topic_person(uuid)`](topic_person) | one person's events, memberships and skills |
//! | `staff:skill:<uuid>` | [`topic_skill(uuid)`](topic_skill) | one skill's events and who gained, changed or lost it |
//!
//! The strings are exact: a Rust service and an Elixir service sharing a Redis agree on them.
//!
//! # Events and rules
//!
//! | events | payload | broadcast with | topics |
//! |---|---|---|---|
//! | `department_created`, `department_updated`, `department_deleted` | [`DepartmentPayload`] | [`broadcast_department`] + [`DepartmentChange`] | departments, `department:<uuid>` |
//! | `team_created`, `team_updated`, `team_deleted` | [`TeamPayload`] | [`broadcast_team`] + [`TeamChange`] | teams, `team:<uuid>`, and `department:<department_uuid>` when present |
//! | `person_created`, `person_updated`, `person_deleted`, `person_employment_changed` | [`PersonPayload`] | [`broadcast_person`] + [`PersonChange`] | people, `person:<uuid>` |
//! | bulk `person_updated`, `person_deleted` | [`PeopleBulkPayload`] (`bulk: true`) | [`broadcast_people_bulk`] + [`PeopleBulkChange`] | people only |
//! | `team_person_added`, `team_person_removed` | [`TeamMembershipPayload`] | [`broadcast_team_membership`] + [`TeamMembershipChange`] | teams, `team:<team_uuid>`, people, `person:<staff_person_uuid>` |
//! | `skill_created`, `skill_updated`, `skill_deleted` | [`SkillPayload`] | [`broadcast_skill`] + [`SkillChange`] | skills, `skill:<uuid>` |
//! | `person_skill_added`, `person_skill_updated`, `person_skill_removed` | [`PersonSkillPayload`] | [`broadcast_person_skill`] + [`PersonSkillChange`] | skills, `skill:<skill_uuid>`, people, `person:<staff_person_uuid>` |
//!
//! [`topics_for`] gives the topics of any [`StaffEvent`]; the `topics_for_*` functions are the
//! individual rules. Both return typed topics (`Vec<TypedTopic<StaffEvent>>`), and the
//! broadcast functions hand them with the event to the core's typed `broadcast_event`, so a
//! staff topic cannot carry another domain's event. Payloads hold identifiers and the few fields a subscriber needs to decide
//! what to reload, never whole records.
//!
//! ## Why kinds and payloads
//!
//! Subscribers match on one flat enum, [`StaffEvent`], whose variants mirror the Elixir atoms
//! and whose JSON is `{"event": "team_updated", "payload": {...}}`. Publishers instead call a
//! broadcast function with a small *kind* and the payload SPEC.md names, like the Elixir
//! `broadcast_team(event, payload)`: `broadcast_team(&broker, TeamChange::Updated, payload)`. A
//! kind only exists for the events its rule covers, so a team event cannot go through the
//! person rule, and a payload of the wrong shape does not compile.
//!
//! `person_updated` and `person_deleted` come in two shapes on the wire, one person
//! (`{"uuid": ..}`) or a bulk change (`{"bulk": true}`), so their payload is a
//! [`PersonTarget`]. The two shapes have separate broadcast functions, [`broadcast_person`] and
//! [`broadcast_people_bulk`], as they have separate rules.
//!
//! # Best-effort broadcasts
//!
//! The broadcast functions never fail or panic in the caller (upstream's raise into it): a
//! saved record must not be reported as failed because a notification hiccuped. Each is built on
//! the core's typed [`pubsub_core::broadcast_event`], which logs a failed publish with `tracing`
//! (topic, domain, event, error) and counts it; the returned [`BroadcastReport`](pubsub_core::BroadcastReport) says what
//! happened, for callers who care.
//!
//! # Tenants
//!
//! Topics are global: there is no tenant partition. A uuid-keyed topic
//! (`staff:department:<uuid>`, `staff:team:<uuid>`, `staff:person:<uuid>`,
//! `staff:skill:<uuid>`) is safe against cross-tenant fan-out only because the uuid is needed to
//! subscribe; the all/list topics (`staff:departments`, `staff:teams`, `staff:people`,
//! `staff:skills`) reach every subscriber, whatever their tenant. An app that needs isolation
//! wraps its broker in the core's tenant-scoping wrapper, [`Scoped`](pubsub_core::Scoped) (and
//! [`MultiTenant`](pubsub_core::MultiTenant) to refuse unscoped topics), which threads a tenant
//! key into every topic (`staff:org:<org_id>:people`); this crate's functions work unchanged
//! through it:
//!
//! ```
//! use pubsub_core::{MemoryBroker, MultiTenant, TenantKey};
//! use staff_events::{broadcast_people_bulk, subscribe, topic_people, PeopleBulkChange};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let broker = MultiTenant::new(MemoryBroker::new());
//! let (acme, globex) = (broker.for_tenant(TenantKey::new("acme")?), broker.for_tenant(TenantKey::new("globex")?));
//! let mut acme_people = subscribe(&acme, &topic_people()).await?;
//! let mut globex_people = subscribe(&globex, &topic_people()).await?;
//!
//! broadcast_people_bulk(&acme, PeopleBulkChange::Updated).await;
//! assert!(acme_people.try_recv().is_ok());
//! assert!(globex_people.try_recv().is_err()); // another tenant: nothing
//! # Ok(()) }
//! ```
//!
//! # Examples
//!
//! A team page subscribes *before* its initial load, so no change can fall between the load and
//! the subscription, then reloads on each event, and on a lag or gap notice:
//!
//! ```
//! use pubsub_core::{Delivery, MemoryBroker};
//! use staff_events::{subscribe, topic_team, StaffEvent};
//! # use staff_events::{broadcast_team_membership, TeamMembershipChange, TeamMembershipPayload};
//! # fn load_team(_uuid: uuid::Uuid) -> u32 { 1 }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::new();
//! let team = uuid::Uuid::new_v4();
//!
//! let mut updates = subscribe(&broker, &topic_team(team)).await?; // first subscribe,
//! let mut loads = load_team(team); // then load.
//! # let payload = TeamMembershipPayload { team_uuid: team, staff_person_uuid: uuid::Uuid::new_v4(), uuid: uuid::Uuid::new_v4() };
//! # broadcast_team_membership(&broker, TeamMembershipChange::Added, payload).await;
//! # drop(broker); // ends the loop below once the buffered events are read
//!
//! while let Some(delivery) = updates.recv().await {
//!     match delivery {
//!         Delivery::Message(event) => match &*event {
//!             StaffEvent::TeamDeleted(_) => break, // leave the page
//!             _ => loads += load_team(team),
//!         },
//!         // Missed events (a slow screen, a reconnect): reload everything.
//!         Delivery::Lagged(_) | Delivery::Gap => loads += load_team(team),
//!     }
//! }
//! assert_eq!(loads, 2);
//! # Ok(()) }
//! ```
//!
//! A context function broadcasts after the commit; the broadcast cannot fail the save:
//!
//! ```
//! use pubsub_core::Broker;
//! use staff_events::{broadcast_team, TeamChange, TeamPayload};
//! # struct Team { uuid: uuid::Uuid, name: String, department_uuid: Option<uuid::Uuid> }
//! # #[derive(Debug)] struct DbError;
//! # async fn commit(team: Team) -> Result<Team, DbError> { Ok(team) }
//!
//! async fn rename_team(broker: &dyn Broker, mut team: Team, name: &str) -> Result<Team, DbError> {
//!     team.name = name.to_owned();
//!     let team = commit(team).await?; // the database transaction
//!     let payload = TeamPayload {
//!         uuid: team.uuid,
//!         name: team.name.clone(),
//!         department_uuid: team.department_uuid,
//!     };
//!     broadcast_team(broker, TeamChange::Updated, payload).await; // best-effort
//!     Ok(team)
//! }
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), DbError> {
//! # let broker = pubsub_core::MemoryBroker::new();
//! # let team = Team { uuid: uuid::Uuid::new_v4(), name: "Crew".into(), department_uuid: None };
//! # rename_team(&broker, team, "Night crew").await?;
//! # Ok(()) }
//! ```

/// This crate's README examples, compiled and run as doc tests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod broadcast;
mod events;
mod history;
mod rules;
mod topics;

pub use broadcast::{
    broadcast_department, broadcast_people_bulk, broadcast_person, broadcast_person_skill,
    broadcast_skill, broadcast_team, broadcast_team_membership,
};
pub use events::{
    DOMAIN, DepartmentChange, DepartmentPayload, PeopleBulkChange, PeopleBulkPayload, PersonChange,
    PersonPayload, PersonSkillChange, PersonSkillPayload, PersonTarget, SkillChange, SkillPayload,
    StaffEvent, TeamChange, TeamMembershipChange, TeamMembershipPayload, TeamPayload,
};
pub use history::suggested_history;
pub use rules::{
    topics_for, topics_for_department, topics_for_people_bulk, topics_for_person,
    topics_for_person_skill, topics_for_skill, topics_for_team, topics_for_team_membership,
};
pub use topics::{
    DEPARTMENT, DEPARTMENTS, PEOPLE, PERSON, SKILL, SKILLS, TEAM, TEAMS, subscribe,
    topic_department, topic_departments, topic_people, topic_person, topic_skill, topic_skills,
    topic_team, topic_teams, unsubscribe,
};
