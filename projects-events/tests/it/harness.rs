//! A screen per candidate topic on a `MemoryBroker`, to see exactly who received what.

use std::collections::BTreeMap;

use projects_events::{
    ProjectsEvent, subscribe, topic_all, topic_project, topic_tasks, topic_templates,
};
use pubsub_core::{Delivery, MemoryBroker, TryRecvError, TypedSubscription, TypedTopic};
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

/// One subscription per candidate topic.
pub(crate) struct Screens {
    subs: Vec<(String, TypedSubscription<ProjectsEvent>)>,
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
    pub(crate) fn received(&mut self) -> BTreeMap<String, Vec<ProjectsEvent>> {
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
    pub(crate) fn assert_only(&mut self, event: &ProjectsEvent, expected: &[String]) {
        let got = self.received();
        let want: BTreeMap<String, Vec<ProjectsEvent>> = expected
            .iter()
            .map(|t| (t.clone(), vec![event.clone()]))
            .collect();
        assert_eq!(got, want, "fan-out of {event:?}");
    }
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
