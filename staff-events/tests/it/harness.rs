//! A screen per candidate topic on a `MemoryBroker`, to see exactly who received what.

use std::collections::BTreeMap;

use pubsub_core::{Delivery, MemoryBroker, TryRecvError, TypedSubscription, TypedTopic};
use staff_events::{
    StaffEvent, subscribe, topic_department, topic_departments, topic_people, topic_person,
    topic_skill, topic_skills, topic_team, topic_teams,
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

/// One subscription per candidate topic.
pub(crate) struct Screens {
    subs: Vec<(String, TypedSubscription<StaffEvent>)>,
}

impl Screens {
    pub(crate) async fn watch(broker: &MemoryBroker) -> Self {
        let mut subs = Vec::new();
        for topic in candidate_topics() {
            subs.push((topic.to_string(), subscribe(broker, &topic).await.unwrap()));
        }
        Screens { subs }
    }

    /// Drains every subscription: topic name to the events it received (empty ones left out).
    pub(crate) fn received(&mut self) -> BTreeMap<String, Vec<StaffEvent>> {
        let mut out = BTreeMap::new();
        for (name, sub) in &mut self.subs {
            let mut events = Vec::new();
            loop {
                match sub.try_recv() {
                    Ok(Delivery::Message(event)) => events.push((*event).clone()),
                    Ok(other) => panic!("{name}: unexpected notice {other:?}"),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => panic!("{name}: subscription closed"),
                }
            }
            if !events.is_empty() {
                out.insert(name.clone(), events);
            }
        }
        out
    }

    /// Asserts that exactly the `expected` topics received `event`, once each, and no other
    /// topic received anything.
    pub(crate) fn assert_only(&mut self, event: &StaffEvent, expected: &[String]) {
        let got = self.received();
        let want: BTreeMap<String, Vec<StaffEvent>> = expected
            .iter()
            .map(|t| (t.clone(), vec![event.clone()]))
            .collect();
        assert_eq!(got, want, "fan-out of {event:?}");
    }
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
