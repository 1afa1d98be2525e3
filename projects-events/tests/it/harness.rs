//! The candidate topics of the scenarios, each watched by a screen on a `MemoryBroker` to see
//! exactly who received what, and the topic names the tests expect.

use projects_events::{ProjectsEvent, topic_all, topic_project, topic_tasks, topic_templates};
use pubsub_core::testing::Screens;
use pubsub_core::{MemoryBroker, TypedTopic};
use uuid::Uuid;

/// Fixed identities, so failures name recognisable topics.
pub(crate) const PROJECT: Uuid = Uuid::from_u128(0x1111_1111_1111_4111_8111_1111_1111_1111);
pub(crate) const OTHER_PROJECT: Uuid = Uuid::from_u128(0x2222_2222_2222_4222_8222_2222_2222_2222);
pub(crate) const TEMPLATE: Uuid = Uuid::from_u128(0x3333_3333_3333_4333_8333_3333_3333_3333);
pub(crate) const ASSIGNMENT: Uuid = Uuid::from_u128(0x4444_4444_4444_4444_8444_4444_4444_4444);
pub(crate) const DEPENDS_ON: Uuid = Uuid::from_u128(0x5555_5555_5555_4555_8555_5555_5555_5555);
pub(crate) const TASK: Uuid = Uuid::from_u128(0x6666_6666_6666_4666_8666_6666_6666_6666);

/// Every topic of the domain a test watches: the fixed ones and the project topic of every uuid
/// the scenarios use (also uuids that are not projects, to catch a rule keyed by the wrong field).
pub(crate) fn candidate_topics() -> Vec<TypedTopic<ProjectsEvent>> {
    let mut topics = vec![topic_all(), topic_tasks(), topic_templates()];
    topics.extend(
        [
            PROJECT,
            OTHER_PROJECT,
            TEMPLATE,
            ASSIGNMENT,
            DEPENDS_ON,
            TASK,
        ]
        .into_iter()
        .map(topic_project),
    );
    topics
}

/// One screen per candidate topic, labelled by its topic name.
pub(crate) async fn watch_candidates(broker: &MemoryBroker) -> Screens<ProjectsEvent> {
    let topics = candidate_topics();
    let labelled = topics.iter().map(|topic| (topic.to_string(), topic));
    Screens::watch(broker, labelled).await.unwrap()
}

pub(crate) fn all() -> String {
    "projects:all".to_owned()
}

pub(crate) fn tasks() -> String {
    "projects:tasks".to_owned()
}

pub(crate) fn templates() -> String {
    "projects:templates".to_owned()
}

pub(crate) fn project(uuid: Uuid) -> String {
    format!("projects:project:{uuid}")
}
