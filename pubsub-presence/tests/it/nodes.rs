//! Several nodes on one in-memory broker, each through its own `Node` wrapper.

use std::sync::atomic::Ordering;
use std::time::Duration;

use pubsub_core::MemoryBroker;
use pubsub_presence::{Presence, PresenceConfig, PresenceEvent};

use crate::harness::{Node, View, next, state, topic, until};

async fn start(broker: &MemoryBroker, config: PresenceConfig) -> (Presence, Node) {
    let node = Node::on(broker);
    let presence = Presence::start(node.clone(), config).await.expect("start");
    (presence, node)
}

#[tokio::test]
async fn a_new_follower_gets_every_nodes_presences_in_its_first_state() {
    let broker = MemoryBroker::new();
    let (a, _) = start(&broker, PresenceConfig::fast()).await;
    let (b, _) = start(&broker, PresenceConfig::fast()).await;
    let page = topic("projects:1");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    let _bob = b.track(&page, "bob", &2).await.expect("track");
    tokio::time::sleep(Duration::from_millis(150)).await; // heartbeats: each knows the other
    let (c, _) = start(&broker, PresenceConfig::fast()).await;
    let mut follow = c.follow::<u32>(&page).await.expect("follow");
    let first = state(&mut follow).await;
    assert_eq!(first.keys().collect::<Vec<_>>(), ["ada", "bob"]);
    assert_eq!(c.list::<u32>(&page).await.expect("list").len(), 2);
}

#[tokio::test]
async fn joins_and_leaves_on_one_node_reach_followers_on_the_others_once() {
    let broker = MemoryBroker::new();
    let (a, _) = start(&broker, PresenceConfig::fast()).await;
    let (b, _) = start(&broker, PresenceConfig::fast()).await;
    let page = topic("staff:teams");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    view.apply(&PresenceEvent::State(state(&mut follow).await));
    let ada = a.track(&page, "ada", &1).await.expect("track");
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    ada.update(&2).expect("update");
    let PresenceEvent::Diff(diff) = next(&mut follow, Duration::from_secs(2)).await else {
        panic!("a diff")
    };
    assert_eq!(diff.joins.get("ada").expect("new")[0].meta, 2);
    view.apply(&PresenceEvent::Diff(diff));
    drop(ada);
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.0.is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(follow_is_quiet(&mut follow).await, "a doubled diff");
}

async fn follow_is_quiet<M: serde::de::DeserializeOwned>(
    follow: &mut pubsub_presence::PresenceStream<M>,
) -> bool {
    tokio::time::timeout(Duration::from_millis(50), follow.recv())
        .await
        .is_err()
}

#[tokio::test]
async fn a_node_that_shuts_down_takes_its_presences_with_it_at_once() {
    let broker = MemoryBroker::new();
    let mut config = PresenceConfig::fast();
    config.expiry = Duration::from_secs(30);
    config.heartbeat = Duration::from_secs(1);
    let (a, _) = start(&broker, config.clone()).await;
    let (b, _) = start(&broker, config).await;
    let page = topic("projects:2");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    let started = tokio::time::Instant::now();
    a.shutdown().await;
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.0.is_empty()
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(b.stats().departed, 1);
}

#[tokio::test]
async fn a_crashed_nodes_presences_expire_on_every_other_node() {
    let broker = MemoryBroker::new();
    let (a, a_node) = start(&broker, PresenceConfig::fast()).await;
    let (b, _) = start(&broker, PresenceConfig::fast()).await;
    let (c, _) = start(&broker, PresenceConfig::fast()).await;
    let page = topic("projects:3");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    let _cy = c.track(&page, "cy", &1).await.expect("track");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada", "cy"]
    })
    .await;
    // Cut off: no goodbye, no more heartbeats.
    a_node.cut.store(true, Ordering::SeqCst);
    drop(a);
    let started = tokio::time::Instant::now();
    until(&mut follow, &mut view, Duration::from_secs(3), |v| {
        v.keys() == ["cy"]
    })
    .await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(350),
        "expired too early: {took:?}"
    );
    assert!(
        took < Duration::from_millis(1_500),
        "expired too late: {took:?}"
    );
    assert_eq!(b.stats().expired, 1);
    let listed = c.list::<u32>(&page).await.expect("list");
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["cy"]);
}

#[tokio::test]
async fn a_node_restarted_under_its_name_replaces_its_previous_run_at_once() {
    let broker = MemoryBroker::new();
    let mut config = PresenceConfig::fast();
    config.expiry = Duration::from_secs(30);
    config.heartbeat = Duration::from_secs(1);
    config.name = Some("web-1".to_owned());
    let (old, old_node) = start(&broker, config.clone()).await;
    let mut watcher_config = config.clone();
    watcher_config.name = None;
    let (watcher, _) = start(&broker, watcher_config).await;
    let page = topic("projects:4");
    let _zombie = old.track(&page, "ada", &1).await.expect("track");
    let mut follow = watcher.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    old_node.cut.store(true, Ordering::SeqCst); // killed: no goodbye
    drop(old);
    let started = tokio::time::Instant::now();
    let (new, _) = start(&broker, config).await;
    let _ada = new.track(&page, "ada", &2).await.expect("track");
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.0.len() == 1
            && v.0
                .iter()
                .all(|(_, id)| id.starts_with(&new.node().to_string()))
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_lost_diff_is_a_hole_that_a_state_fills() {
    let broker = MemoryBroker::new();
    let (a, a_node) = start(&broker, PresenceConfig::fast()).await;
    let (b, _) = start(&broker, PresenceConfig::fast()).await;
    let page = topic("projects:5");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    a_node.losing.store(1, Ordering::SeqCst);
    let _bob = a.track(&page, "bob", &1).await.expect("track"); // this diff is lost
    tokio::time::sleep(Duration::from_millis(60)).await;
    let _cy = a.track(&page, "cy", &1).await.expect("track"); // this one reveals the hole
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada", "bob", "cy"]
    })
    .await;
    assert_eq!(b.stats().holes, 1, "{:?}", b.stats());
}

#[tokio::test]
async fn the_first_join_after_a_quiet_window_reaches_another_node_at_once() {
    let broker = MemoryBroker::new();
    let mut config = PresenceConfig::fast();
    config.window = Duration::from_secs(2);
    let (a, _) = start(&broker, config.clone()).await;
    let (b, _) = start(&broker, config).await;
    let page = topic("projects:6");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    state(&mut follow).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = tokio::time::Instant::now();
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    assert!(matches!(
        next(&mut follow, Duration::from_secs(1)).await,
        PresenceEvent::Diff(_)
    ));
    assert!(
        started.elapsed() < Duration::from_millis(20),
        "{:?}",
        started.elapsed()
    );
}
