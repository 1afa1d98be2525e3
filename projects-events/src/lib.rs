//! Live updates for projects, templates, the task library, assignments and dependencies: the
//! topics, events and fan-out rules of `PhoenixKit`'s `PhoenixKitProjects.PubSub`, over any
//! [`pubsub_core::Broker`].
//!
//! A context function broadcasts after its database commit; every screen subscribed to one of
//! the event's topics receives it and reloads what it shows.
//!
//! # Topics
//!
//! | topic | function | receives |
//! |---|---|---|
//! | `projects:all` | [`topic_all()`] | every content event: projects, templates, tasks, assignments, dependencies |
//! | `projects:tasks` | [`topic_tasks()`] | task-library events (`task_*`) |
//! | `projects:templates` | [`topic_templates()`] | project events whose payload says `is_template: true` |
//! | `projects:project:<uuid>` | [`topic_project(uuid)`](topic_project) | one project's events, and those of its assignments and dependencies |
//! | host-supplied | [`topic_embed(topic)`](topic_embed) | embed UI intents (`opened`, `closed`, `saved`, `deleted`) |
//!
//! The strings are exact: a Rust service and an Elixir service sharing a Redis agree on them.
//!
//! # Events and rules
//!
//! | events | payload | broadcast with | topics |
//! |---|---|---|---|
//! | `project_created`, `project_updated`, `project_status_changed`, `project_deleted`, `project_started`, `project_archived`, `project_unarchived`, `project_completed`, `project_reopened` | [`ProjectPayload`] | [`broadcast_project`] + [`ProjectChange`] | all, `project:<uuid>`, and templates when `is_template` |
//! | `project_modules_changed` | [`ProjectModulesPayload`] | [`broadcast_project`] + [`ModulesChanged`] | all, `project:<uuid>` |
//! | `project_features_changed`, `project_grants_changed`, `project_invoice_generated`, `project_labels_changed`, `work_logged`, `project_members_changed`, `portal_rotated`, `project_event_*`, `whiteboard_*` | [`ProjectRefPayload`] | [`broadcast_project`] + [`ProjectActivity`] | all, `project:<uuid>` |
//! | `task_created`, `task_updated`, `task_deleted` | [`TaskPayload`] | [`broadcast_task`] + [`TaskChange`] | all, tasks |
//! | `assignment_created`, `assignment_updated`, `assignment_deleted` | [`AssignmentPayload`] | [`broadcast_assignment`] + [`AssignmentChange`] | all, `project:<project_uuid>` |
//! | `assignment_reordered` | [`AssignmentReorderedPayload`] | [`broadcast_assignment`] + [`AssignmentsReordered`] | all, `project:<project_uuid>` |
//! | `dependency_added`, `dependency_removed` | [`DependencyPayload`] | [`broadcast_dependency`] + [`DependencyChange`] | all, `project:<project_uuid>` |
//! | `opened`, `closed`, `saved`, `deleted` | [`EmbedPayload`] (host-defined map) | [`broadcast_embed`] + [`EmbedIntent`] | the host's topic only |
//!
//! A payload that does not say `is_template: true` never reaches `projects:templates`.
//! [`topics_for`] gives the topics of any [`ProjectsEvent`]; the `topics_for_*` functions are the
//! individual rules. Both return typed topics (`Vec<TypedTopic<ProjectsEvent>>`), and the
//! broadcast functions hand them with the event to the core's typed `broadcast_event`, so a
//! projects topic cannot carry another domain's event. Payloads hold identifiers and the few fields a subscriber needs to decide
//! what to reload, never whole records.
//!
//! ## Why kinds and payloads
//!
//! Subscribers match on one flat enum, [`ProjectsEvent`], whose variants mirror the Elixir atoms
//! and whose JSON is `{"event": "project_created", "payload": {...}}`. Publishers instead call a
//! broadcast function with a small *kind* and the payload SPEC.md names, like the Elixir
//! `broadcast_project(event, payload)`: `broadcast_project(&broker, ProjectChange::Created,
//! payload)`. A kind only exists for the events its rule covers, so a task event cannot go
//! through the project rule. Where one rule covers events with different payloads
//! (`broadcast_project`, `broadcast_assignment`), the kinds implement a sealed trait
//! ([`ProjectKind`], [`AssignmentKind`]) whose associated `Payload` type the compiler checks
//! against the payload argument: one function per rule, as upstream, and no mismatched pair
//! compiles.
//!
//! Embed intents are a separate type, [`EmbedEvent`], on host topics typed to it. Upstream
//! keeps their verbs distinct from the content verbs so handlers of the two never collide; here
//! the types keep them apart, and [`topics_for`] stays total over content events. Both carry the
//! domain tag `projects`.
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
//! (`projects:project:<uuid>`) is safe against cross-tenant fan-out only because the uuid is
//! needed to subscribe; the all/list topics (`projects:all`, `projects:tasks`,
//! `projects:templates`) reach every subscriber, whatever their tenant. An app that needs
//! isolation wraps its broker in the core's tenant-scoping wrapper,
//! [`Scoped`](pubsub_core::Scoped) (and [`MultiTenant`](pubsub_core::MultiTenant) to refuse
//! unscoped topics), which threads a tenant key into every topic (`projects:org:<org_id>:all`);
//! this crate's functions work unchanged through it:
//!
//! ```
//! use projects_events::{broadcast_task, subscribe, topic_tasks, TaskChange, TaskPayload};
//! use pubsub_core::{MemoryBroker, MultiTenant, TenantKey};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let broker = MultiTenant::new(MemoryBroker::new());
//! let (acme, globex) = (broker.for_tenant(TenantKey::new("acme")?), broker.for_tenant(TenantKey::new("globex")?));
//! let mut acme_tasks = subscribe(&acme, &topic_tasks()).await?;
//! let mut globex_tasks = subscribe(&globex, &topic_tasks()).await?;
//!
//! let task = TaskPayload { uuid: uuid::Uuid::new_v4(), title: "Order tiles".into() };
//! broadcast_task(&acme, TaskChange::Created, task).await;
//! assert!(acme_tasks.try_recv().is_ok());
//! assert!(globex_tasks.try_recv().is_err()); // another tenant: nothing
//! # Ok(()) }
//! ```
//!
//! # Examples
//!
//! A project screen subscribes *before* its initial load, so no change can fall between the
//! load and the subscription, then reloads on each event, and on a lag or gap notice:
//!
//! ```
//! use projects_events::{subscribe, topic_project, ProjectsEvent};
//! use pubsub_core::{Delivery, MemoryBroker};
//! # use projects_events::{broadcast_project, ProjectActivity, ProjectRefPayload};
//! # fn load_project(_uuid: uuid::Uuid) -> u32 { 1 }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
//! let broker = MemoryBroker::new();
//! let project = uuid::Uuid::new_v4();
//!
//! let mut updates = subscribe(&broker, &topic_project(project)).await?; // first subscribe,
//! let mut loads = load_project(project); // then load.
//! # broadcast_project(&broker, ProjectActivity::WorkLogged, ProjectRefPayload { uuid: project }).await;
//! # drop(broker); // ends the loop below once the buffered events are read
//!
//! while let Some(delivery) = updates.recv().await {
//!     match delivery {
//!         Delivery::Message(event) => match &*event {
//!             ProjectsEvent::ProjectDeleted(_) => break, // leave the screen
//!             _ => loads += load_project(project),
//!         },
//!         // Missed events (a slow screen, a reconnect): reload everything.
//!         Delivery::Lagged(_) | Delivery::Gap => loads += load_project(project),
//!     }
//! }
//! assert_eq!(loads, 2);
//! # Ok(()) }
//! ```
//!
//! A context function broadcasts after the commit; the broadcast cannot fail the save:
//!
//! ```
//! use projects_events::{broadcast_project, ProjectChange, ProjectPayload};
//! use pubsub_core::Broker;
//! # struct Project { uuid: uuid::Uuid, name: String, is_template: bool }
//! # #[derive(Debug)] struct DbError;
//! # async fn commit(project: Project) -> Result<Project, DbError> { Ok(project) }
//!
//! async fn archive_project(broker: &dyn Broker, project: Project) -> Result<Project, DbError> {
//!     let project = commit(project).await?; // the database transaction
//!     let mut payload = ProjectPayload::new(project.uuid, project.name.clone());
//!     payload.is_template = project.is_template;
//!     broadcast_project(broker, ProjectChange::Archived, payload).await; // best-effort
//!     Ok(project)
//! }
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), DbError> {
//! # let broker = pubsub_core::MemoryBroker::new();
//! # let project = Project { uuid: uuid::Uuid::new_v4(), name: "Roof".into(), is_template: false };
//! # archive_project(&broker, project).await?;
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
    broadcast_assignment, broadcast_dependency, broadcast_embed, broadcast_project, broadcast_task,
};
pub use events::{
    AssignmentChange, AssignmentKind, AssignmentPayload, AssignmentReorderedPayload,
    AssignmentsReordered, DOMAIN, DependencyChange, DependencyPayload, EmbedEvent, EmbedIntent,
    EmbedPayload, ModulesChanged, ProjectActivity, ProjectChange, ProjectKind,
    ProjectModulesPayload, ProjectPayload, ProjectRefPayload, ProjectsEvent, TaskChange,
    TaskPayload,
};
pub use history::suggested_history;
pub use rules::{
    topics_for, topics_for_assignment, topics_for_dependency, topics_for_project, topics_for_task,
};
pub use topics::{
    ALL, PROJECT, TASKS, TEMPLATES, subscribe, topic_all, topic_embed, topic_project, topic_tasks,
    topic_templates, unsubscribe,
};
