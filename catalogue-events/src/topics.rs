//! The catalogue's one topic, exactly as `PhoenixKitCatalogue` names it, and the subscribe helpers.
//!
//! | topic | function | events |
//! |---|---|---|
//! | `phoenix_kit_catalogue` | [`topic`] | all of them |

use pubsub_core::{Broker, BrokerExt, Topic, TypedSubscription, TypedTopic};

use crate::events::CatalogueEvent;

/// `phoenix_kit_catalogue`: the one shared topic of every catalogue event.
///
/// ```
/// assert_eq!(catalogue_events::TOPIC.as_str(), "phoenix_kit_catalogue");
/// ```
pub const TOPIC: Topic = Topic::from_static("phoenix_kit_catalogue");

/// The catalogue topic, `phoenix_kit_catalogue`, typed by [`CatalogueEvent`].
///
/// List and detail screens subscribe once and re-fetch the affected slice on any event.
///
/// ```
/// assert_eq!(catalogue_events::topic().as_str(), "phoenix_kit_catalogue");
/// ```
pub fn topic() -> TypedTopic<CatalogueEvent> {
    TypedTopic::new(TOPIC)
}

/// Subscribes to the catalogue topic; effective when this returns, so call it *before* loading
/// the screen's initial state.
///
/// There is only one topic, so unlike the other domain crates this takes no topic argument (as
/// upstream's `subscribe/0`). Keep the subscription's [`id`](TypedSubscription::id) to pass as
/// `from` to the screen broadcasts, so this screen skips its own events.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let screen = catalogue_events::subscribe(&broker).await?;
/// assert!(screen.contains(&catalogue_events::topic()));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`Broker::subscribe`]: a network backend that cannot confirm the subscription, or a
/// wrapper that refuses the topic.
pub async fn subscribe<B: Broker + ?Sized>(
    broker: &B,
) -> Result<TypedSubscription<CatalogueEvent>, pubsub_core::Error> {
    broker.subscribe_events(&topic()).await
}

/// Removes the catalogue topic from `subscription`; returns whether it held it. Dropping the
/// subscription does the same.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = pubsub_core::MemoryBroker::new();
/// let mut screen = catalogue_events::subscribe(&broker).await?;
/// assert!(catalogue_events::unsubscribe(&broker, &mut screen));
/// assert_eq!(broker.topic_count(), 0);
/// # Ok(()) }
/// ```
pub fn unsubscribe<B: Broker + ?Sized>(
    broker: &B,
    subscription: &mut TypedSubscription<CatalogueEvent>,
) -> bool {
    broker.remove_event_topic(subscription, &topic())
}
