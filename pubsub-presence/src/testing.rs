//! The presence conformance suite (feature `testing`): every backend runs the same cases.
//!
//! A backend implements [`PresenceFactory`] (a new [`Presence`] node on one shared backend per
//! call: for the in-memory broker, nodes on clones of one broker; for Redis, nodes on their own
//! connections to one server) and expands [`presence_suite!`](crate::presence_suite), which
//! writes one `#[tokio::test]` per case. Every case uses at least two nodes, so it also checks
//! that presence crosses nodes.
//!
//! ```
//! use pubsub_core::MemoryBroker;
//! use pubsub_presence::{Presence, PresenceConfig};
//! use pubsub_presence::testing::PresenceFactory;
//!
//! struct Memory(MemoryBroker);
//!
//! impl PresenceFactory for Memory {
//!     async fn node(&self) -> Presence {
//!         Presence::start(self.0.clone(), PresenceConfig::fast()).await.unwrap()
//!     }
//! }
//!
//! // In a test file:  pubsub_presence::presence_suite!(Memory(MemoryBroker::new()));
//! ```

// Reason: every case fails its test by panicking, as assertions do.
#![allow(clippy::missing_panics_doc)]

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use pubsub_core::Topic;

use crate::{Presence, PresenceEvent, PresenceStream, Presences};

/// How long a case waits for what must come.
const WAIT: Duration = Duration::from_secs(5);

/// Makes nodes of one backend, with timings like [`PresenceConfig::fast`](crate::PresenceConfig::fast)
/// (a window of 20 ms and an expiry of at least 400 ms: the suite tells batching, and a clean
/// leave from an expiry, by the time).
pub trait PresenceFactory: Send + Sync {
    /// A new node; every node of one factory shares the backend with the others.
    fn node(&self) -> impl Future<Output = Presence> + Send;
}

/// Writes one `#[tokio::test]` per case of the suite for `$factory`.
#[macro_export]
macro_rules! presence_suite {
    ($factory:expr) => {
        $crate::presence_suite!(@cases $factory;
            a_presence_tracked_on_one_node_is_listed_on_another,
            a_new_follower_starts_with_every_nodes_presences,
            joins_updates_and_leaves_reach_a_follower_on_another_node_once,
            a_user_in_tabs_on_two_nodes_is_one_key_with_two_metas,
            a_node_that_shuts_down_takes_its_presences_along_at_once,
            a_burst_of_tracks_reaches_a_follower_as_a_few_diffs
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            $crate::testing::$case(&$factory).await;
        }
    )*};
}

fn topic(case: &str) -> Topic {
    Topic::new(format!("conformance:{case}:{}", uuid::Uuid::new_v4())).expect("topic")
}

/// A topic's presences as (key, meta id) pairs, the form a [`View`] holds.
///
/// ```
/// let none: pubsub_presence::Presences<u8> = Default::default();
/// assert!(pubsub_presence::testing::pairs(&none).is_empty());
/// ```
pub fn pairs<M>(presences: &Presences<M>) -> BTreeSet<(String, String)> {
    presences
        .iter()
        .flat_map(|(key, metas)| metas.iter().map(move |m| (key.clone(), m.id.to_string())))
        .collect()
}

/// A follower's view: its state with its diffs applied, as (key, meta id) pairs. A doubled
/// join or a leave of an absent presence panics: a test that reads a stream through a `View`
/// checks exactly-once as it goes.
///
/// ```
/// use pubsub_presence::PresenceEvent;
/// use pubsub_presence::testing::View;
/// let mut view = View::default();
/// view.apply(&PresenceEvent::<u8>::State(Default::default()));
/// assert!(view.0.is_empty() && view.keys().is_empty());
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct View(pub BTreeSet<(String, String)>);

impl View {
    /// Applies a state (replaces) or a diff (leaves, then joins).
    pub fn apply<M>(&mut self, event: &PresenceEvent<M>) {
        match event {
            PresenceEvent::State(state) => self.0 = pairs(state),
            PresenceEvent::Diff(diff) => {
                for pair in pairs(&diff.leaves) {
                    assert!(self.0.remove(&pair), "a leave of {pair:?}, not present");
                }
                for pair in pairs(&diff.joins) {
                    assert!(self.0.insert(pair.clone()), "a join of {pair:?}, present");
                }
            }
        }
    }

    /// The keys present, in order.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        keys.dedup();
        keys
    }
}

async fn next<M: crate::FromMeta>(stream: &mut PresenceStream<M>) -> PresenceEvent<M> {
    tokio::time::timeout(WAIT, stream.recv())
        .await
        .expect("a presence event in time")
        .expect("the stream is open")
}

/// Reads until `done`; returns how many events it took.
async fn until<M: crate::FromMeta>(
    stream: &mut PresenceStream<M>,
    view: &mut View,
    done: impl Fn(&View) -> bool,
) -> usize {
    let mut events = 0;
    while !done(view) {
        let event = next(stream).await;
        view.apply(&event);
        events += 1;
    }
    events
}

/// Lets a new node hear the others (their answers to its hello).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

/// Case: `track` on A, `list` on B.
pub async fn a_presence_tracked_on_one_node_is_listed_on_another(factory: &impl PresenceFactory) {
    let (a, b) = (factory.node().await, factory.node().await);
    settle().await;
    let page = topic("listed");
    let ada = a.track(&page, "ada", &1u32).await.expect("track");
    let listed = b.list::<u32>(&page).await.expect("list");
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["ada"]);
    assert_eq!(listed.get("ada").expect("ada")[0].id, ada.id());
    assert_eq!(listed.get("ada").expect("ada")[0].meta, 1);
}

/// Case: a follower on a third node starts with what A and B track.
pub async fn a_new_follower_starts_with_every_nodes_presences(factory: &impl PresenceFactory) {
    let (a, b) = (factory.node().await, factory.node().await);
    let page = topic("first-state");
    let _ada = a.track(&page, "ada", &1u32).await.expect("track");
    let _bob = b.track(&page, "bob", &2u32).await.expect("track");
    settle().await;
    let c = factory.node().await;
    let mut follow = c.follow::<u32>(&page).await.expect("follow");
    let PresenceEvent::State(state) = next(&mut follow).await else {
        panic!("a state first")
    };
    assert_eq!(state.keys().collect::<Vec<_>>(), ["ada", "bob"]);
}

/// Case: a join, an update (a leave and a join of one id) and a leave on A, each seen once on
/// B's follower.
pub async fn joins_updates_and_leaves_reach_a_follower_on_another_node_once(
    factory: &impl PresenceFactory,
) {
    let (a, b) = (factory.node().await, factory.node().await);
    settle().await;
    let page = topic("diffs");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    view.apply(&next(&mut follow).await);
    let ada = a.track(&page, "ada", &1u32).await.expect("track");
    until(&mut follow, &mut view, |v| v.keys() == ["ada"]).await;
    ada.update(&2u32).expect("update");
    let PresenceEvent::Diff(diff) = next(&mut follow).await else {
        panic!("a diff")
    };
    assert_eq!(diff.leaves.get("ada").expect("old")[0].meta, 1);
    assert_eq!(diff.joins.get("ada").expect("new")[0].meta, 2);
    assert_eq!(diff.joins.get("ada").expect("new")[0].id, ada.id());
    view.apply(&PresenceEvent::Diff(diff));
    drop(ada);
    until(&mut follow, &mut view, |v| v.0.is_empty()).await;
    // Nothing doubled: the next event is the marker's join.
    let _marker = a.track(&page, "marker", &0u32).await.expect("track");
    let PresenceEvent::Diff(diff) = next(&mut follow).await else {
        panic!("a diff")
    };
    assert_eq!(
        diff.joins.keys().collect::<Vec<_>>(),
        ["marker"],
        "{diff:?}"
    );
    assert!(diff.leaves.is_empty(), "{diff:?}");
}

/// Case: one user in a tab on A and one on B.
pub async fn a_user_in_tabs_on_two_nodes_is_one_key_with_two_metas(factory: &impl PresenceFactory) {
    let (a, b) = (factory.node().await, factory.node().await);
    settle().await;
    let page = topic("tabs");
    let one = a.track(&page, "ada", &1u32).await.expect("track");
    let two = b.track(&page, "ada", &2u32).await.expect("track");
    let mut follow = a.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, |v| v.0.len() == 2).await;
    let listed = a.list::<u32>(&page).await.expect("list");
    assert_eq!(listed.len(), 1);
    let ids: BTreeSet<_> = listed
        .get("ada")
        .expect("ada")
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, BTreeSet::from([one.id(), two.id()]));
}

/// Case: A shuts down; its presences leave B's follower well before any expiry.
pub async fn a_node_that_shuts_down_takes_its_presences_along_at_once(
    factory: &impl PresenceFactory,
) {
    let (a, b) = (factory.node().await, factory.node().await);
    settle().await;
    let page = topic("shutdown");
    let _ada = a.track(&page, "ada", &1u32).await.expect("track");
    let _bob = b.track(&page, "bob", &1u32).await.expect("track");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, |v| v.keys() == ["ada", "bob"]).await;
    let started = tokio::time::Instant::now();
    a.shutdown().await;
    until(&mut follow, &mut view, |v| v.keys() == ["bob"]).await;
    // Not by expiry: the factory's nodes expire a silent node after at least 400 ms.
    assert!(
        started.elapsed() < Duration::from_millis(350),
        "{:?}",
        started.elapsed()
    );
    assert!(a.track(&page, "again", &1u32).await.is_err(), "closed");
}

/// Case: 200 tracks on A over 80 ms or more reach B's follower as one diff per window.
pub async fn a_burst_of_tracks_reaches_a_follower_as_a_few_diffs(factory: &impl PresenceFactory) {
    let (a, b) = (factory.node().await, factory.node().await);
    settle().await;
    let page = topic("burst");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    view.apply(&next(&mut follow).await);
    let mut guards = Vec::new();
    let started = tokio::time::Instant::now();
    for i in 0..200u32 {
        guards.push(
            a.track(&page, &format!("user-{i:03}"), &i)
                .await
                .expect("track"),
        );
        if i % 5 == 4 {
            tokio::time::sleep(Duration::from_millis(2)).await; // spread over 80 ms or more
        }
    }
    let events = until(&mut follow, &mut view, |v| v.0.len() == 200).await;
    // One diff per 20 ms window at most (the factory's window), and the first at once.
    let windows = started.elapsed().as_millis() / 20 + 2;
    assert!(
        events as u128 <= windows,
        "{events} diffs for 200 tracks over {:?}",
        started.elapsed()
    );
}
