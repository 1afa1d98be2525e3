//! The projects topics, typed to [`ProjectsEvent`], and the subscribe helpers.
//!
//! | topic | function | receives |
//! |---|---|---|
//! | `projects:all` | [`topic_all()`] | every content event |
//! | `projects:tasks` | [`topic_tasks()`] | task-library events |
//! | `projects:templates` | [`topic_templates()`] | project events whose payload says `is_template: true` |
//! | `projects:project:<uuid>` | [`topic_project()`] | one project's events, its assignments' and dependencies' |
//! | host-supplied | [`topic_embed()`] | embed UI intents ([`EmbedEvent`]) |

use pubsub_core::{Broker, BrokerExt, Error, Topic, TopicPattern, TypedSubscription, TypedTopic};
use uuid::Uuid;

use crate::events::{EmbedEvent, ProjectsEvent};

/// `projects:all`: any project, template, task, assignment or dependency mutation.
///
/// ```
/// assert_eq!(projects_events::ALL.as_str(), "projects:all");
/// ```
pub const ALL: Topic = Topic::from_static("projects:all");

/// `projects:tasks`: task-library mutations.
///
/// ```
/// assert_eq!(projects_events::TASKS.as_str(), "projects:tasks");
/// ```
pub const TASKS: Topic = Topic::from_static("projects:tasks");

/// `projects:templates`: template-project mutations.
///
/// ```
/// assert_eq!(projects_events::TEMPLATES.as_str(), "projects:templates");
/// ```
pub const TEMPLATES: Topic = Topic::from_static("projects:templates");

/// `projects:project:<uuid>`: updates scoped to one project.
///
/// ```
/// let topic = projects_events::PROJECT.topic(uuid::Uuid::nil());
/// assert_eq!(topic.as_str(), "projects:project:00000000-0000-0000-0000-000000000000");
/// ```
pub const PROJECT: TopicPattern = TopicPattern::new("projects:project:", "");

/// The topic of any project, template, task, assignment or dependency mutation:
/// `projects:all`. It reaches every subscriber, whatever their tenant.
///
/// ```
/// assert_eq!(projects_events::topic_all().as_str(), "projects:all");
/// ```
pub fn topic_all() -> TypedTopic<ProjectsEvent> {
    TypedTopic::new(ALL)
}

/// The topic of task-library mutations: `projects:tasks`.
///
/// ```
/// assert_eq!(projects_events::topic_tasks().as_str(), "projects:tasks");
/// ```
pub fn topic_tasks() -> TypedTopic<ProjectsEvent> {
    TypedTopic::new(TASKS)
}

/// The topic of template-project mutations: `projects:templates`.
///
/// ```
/// assert_eq!(projects_events::topic_templates().as_str(), "projects:templates");
/// ```
pub fn topic_templates() -> TypedTopic<ProjectsEvent> {
    TypedTopic::new(TEMPLATES)
}

/// The topic of one project: `projects:project:<uuid>`. It carries the project's own events and
/// those of its assignments and dependencies.
///
/// ```
/// let uuid: uuid::Uuid = "0190a5d2-7e3c-7000-8000-000000000001".parse()?;
/// assert_eq!(
///     projects_events::topic_project(uuid).as_str(),
///     "projects:project:0190a5d2-7e3c-7000-8000-000000000001"
/// );
/// # Ok::<(), uuid::Error>(())
/// ```
pub fn topic_project(uuid: Uuid) -> TypedTopic<ProjectsEvent> {
    TypedTopic::new(PROJECT.topic(uuid))
}

/// A host-supplied topic for embed UI intents, typed to [`EmbedEvent`]. The name is the host's
/// and opaque to this crate; it should not be one of the `projects:*` topics.
///
/// ```
/// use projects_events::topic_embed;
/// use pubsub_core::Topic;
/// let host = topic_embed(Topic::new("host:popup:42")?);
/// assert_eq!(host.as_str(), "host:popup:42");
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
pub fn topic_embed(topic: Topic) -> TypedTopic<EmbedEvent> {
    TypedTopic::new(topic)
}

/// Subscribes to a projects topic; the subscription is effective when this returns, so call it
/// before loading the screen's initial state.
///
/// ```
/// use projects_events::{subscribe, topic_all};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let subscription = subscribe(&broker, &topic_all()).await?;
/// assert!(subscription.contains(&topic_all()));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`Broker::subscribe`]: a network backend that cannot confirm the subscription, or a
/// wrapper that refuses the topic.
pub async fn subscribe<B: Broker + ?Sized>(
    broker: &B,
    topic: &TypedTopic<ProjectsEvent>,
) -> Result<TypedSubscription<ProjectsEvent>, Error> {
    broker.subscribe_events(topic).await
}

/// Removes `topic` from a subscription; returns whether it held it. Dropping the subscription
/// unsubscribes from all its topics at once.
///
/// ```
/// use projects_events::{subscribe, topic_all, unsubscribe};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut subscription = subscribe(&broker, &topic_all()).await?;
/// assert!(unsubscribe(&broker, &mut subscription, &topic_all()));
/// assert_eq!(broker.topic_count(), 0);
/// # Ok(()) }
/// ```
pub fn unsubscribe<B: Broker + ?Sized>(
    broker: &B,
    subscription: &mut TypedSubscription<ProjectsEvent>,
    topic: &TypedTopic<ProjectsEvent>,
) -> bool {
    broker.remove_event_topic(subscription, topic)
}
