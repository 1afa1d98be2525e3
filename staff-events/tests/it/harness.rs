//! The candidate topics of the scenarios, each watched by a screen on a `MemoryBroker` to see
//! exactly who received what, and the topic names the tests expect.

use pubsub_core::testing::Screens;
use pubsub_core::{MemoryBroker, TypedTopic};
use staff_events::{
    StaffEvent, topic_department, topic_departments, topic_people, topic_person, topic_skill,
    topic_skills, topic_team, topic_teams,
};
use uuid::Uuid;

/// Fixed identities, so failures name recognisable topics.
pub(crate) const DEPARTMENT: Uuid = Uuid::from_u128(0x1111_1111_1111_4111_8111_1111_1111_1111);
pub(crate) const OTHER_DEPARTMENT: Uuid =
    Uuid::from_u128(0x2222_2222_2222_4222_8222_2222_2222_2222);
pub(crate) const TEAM: Uuid = Uuid::from_u128(0x3333_3333_3333_4333_8333_3333_3333_3333);
pub(crate) const PERSON: Uuid = Uuid::from_u128(0x4444_4444_4444_4444_8444_4444_4444_4444);
pub(crate) const SKILL: Uuid = Uuid::from_u128(0x5555_5555_5555_4555_8555_5555_5555_5555);
pub(crate) const RECORD: Uuid = Uuid::from_u128(0x6666_6666_6666_4666_8666_6666_6666_6666);

/// Every topic of the domain a test watches: the four list topics, and the department, team,
/// person and skill topic of every uuid the scenarios use (so a rule keyed by the wrong field,
/// say a membership's own uuid instead of its team's, shows up as a wrong receiver).
pub(crate) fn candidate_topics() -> Vec<TypedTopic<StaffEvent>> {
    let mut topics = vec![
        topic_departments(),
        topic_teams(),
        topic_people(),
        topic_skills(),
    ];
    for uuid in [DEPARTMENT, OTHER_DEPARTMENT, TEAM, PERSON, SKILL, RECORD] {
        topics.extend([
            topic_department(uuid),
            topic_team(uuid),
            topic_person(uuid),
            topic_skill(uuid),
        ]);
    }
    topics
}

/// One screen per candidate topic, labelled by its topic name.
pub(crate) async fn watch_candidates(broker: &MemoryBroker) -> Screens<StaffEvent> {
    let topics = candidate_topics();
    let labelled = topics.iter().map(|topic| (topic.to_string(), topic));
    Screens::watch(broker, labelled).await.unwrap()
}

pub(crate) fn departments() -> String {
    "staff:departments".to_owned()
}

pub(crate) fn teams() -> String {
    "staff:teams".to_owned()
}

pub(crate) fn people() -> String {
    "staff:people".to_owned()
}

pub(crate) fn skills() -> String {
    "staff:skills".to_owned()
}

pub(crate) fn department(uuid: Uuid) -> String {
    format!("staff:department:{uuid}")
}

pub(crate) fn team(uuid: Uuid) -> String {
    format!("staff:team:{uuid}")
}

pub(crate) fn person(uuid: Uuid) -> String {
    format!("staff:person:{uuid}")
}

pub(crate) fn skill(uuid: Uuid) -> String {
    format!("staff:skill:{uuid}")
}
