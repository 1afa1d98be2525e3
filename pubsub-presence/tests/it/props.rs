//! The invariant across three nodes: whatever the interleaving of track, update, untrack and
//! crash, once the expiry has passed every live node lists exactly the live trackers'
//! presences, and every follower's state plus diffs equals that list.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use proptest::prelude::*;
use pubsub_core::MemoryBroker;
use pubsub_presence::{Presence, PresenceConfig, PresenceEvent, Tracked};

use crate::harness::{Node, View, pairs, topic};

#[derive(Debug, Clone)]
enum Op {
    Track { node: usize, key: u8 },
    Update { node: usize, pick: usize },
    Untrack { node: usize, pick: usize },
    Crash { node: usize },
    Pause,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..5u8).prop_map(|(node, key)| Op::Track { node, key }),
        2 => (0..3usize, any::<usize>()).prop_map(|(node, pick)| Op::Update { node, pick }),
        2 => (0..3usize, any::<usize>()).prop_map(|(node, pick)| Op::Untrack { node, pick }),
        1 => (0..3usize).prop_map(|node| Op::Crash { node }),
        1 => Just(Op::Pause),
    ]
}

struct Member {
    presence: Option<Presence>,
    node: Node,
    guards: Vec<Tracked>,
}

async fn run(ops: Vec<Op>) {
    let broker = MemoryBroker::new();
    let config = PresenceConfig::fast();
    let page = topic("projects:prop");
    let mut members = Vec::new();
    for _ in 0..3 {
        let node = Node::on(&broker);
        let presence = Presence::start(node.clone(), config.clone())
            .await
            .expect("start");
        members.push(Member {
            presence: Some(presence),
            node,
            guards: Vec::new(),
        });
    }
    // A fourth node only follows, and never crashes.
    let watcher = Presence::start(Node::on(&broker), config.clone())
        .await
        .expect("start");
    let mut follow = watcher.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    let mut value = 0u32;
    for op in ops {
        match op {
            Op::Track { node, key } => {
                if let Some(presence) = &members[node].presence {
                    let guard = presence
                        .track(&page, &format!("k{key}"), &value)
                        .await
                        .expect("track");
                    members[node].guards.push(guard);
                }
            }
            Op::Update { node, pick } => {
                let guards = &members[node].guards;
                if !guards.is_empty() {
                    value += 1;
                    guards[pick % guards.len()].update(&value).expect("update");
                }
            }
            Op::Untrack { node, pick } => {
                let guards = &mut members[node].guards;
                if !guards.is_empty() {
                    let i = pick % guards.len();
                    drop(guards.swap_remove(i));
                }
            }
            Op::Crash { node } => {
                let member = &mut members[node];
                member.node.cut.store(true, Ordering::SeqCst);
                member.guards.clear();
                member.presence = None;
            }
            Op::Pause => tokio::time::sleep(Duration::from_millis(30)).await,
        }
        // Keep the follower's view current as events arrive.
        while let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(1), follow.recv()).await
        {
            view.apply(&event);
        }
    }
    tokio::time::sleep(config.expiry + config.heartbeat * 3).await;
    let expected: BTreeSet<(String, String)> = members
        .iter()
        .flat_map(|m| {
            m.guards
                .iter()
                .map(|g| (g.key().to_owned(), g.id().to_string()))
        })
        .collect();
    for member in &members {
        if let Some(presence) = &member.presence {
            let listed = presence.list::<u32>(&page).await.expect("list");
            assert_eq!(pairs(&listed), expected, "node {}", presence.node());
        }
    }
    let listed = watcher.list::<u32>(&page).await.expect("list");
    assert_eq!(pairs(&listed), expected, "watcher");
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(20), follow.recv()).await
    {
        view.apply(&event);
    }
    assert_eq!(view.0, expected, "the follower's state plus diffs");
    let _ = PresenceEvent::<u32>::State(listed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn after_the_expiry_every_node_lists_exactly_the_live_trackers(ops in prop::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        runtime.block_on(run(ops));
    }
}
