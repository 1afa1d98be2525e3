//! One node, in memory: exact and immediate.

use std::time::Duration;

use pubsub_core::{MemoryBroker, Scoped, TenantKey};
use pubsub_presence::{Presence, PresenceConfig, PresenceEvent};
use serde::{Deserialize, Serialize};

use crate::harness::{View, next, state, topic, until};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Viewer {
    name: String,
    tab: u32,
}

fn viewer(tab: u32) -> Viewer {
    Viewer {
        name: "Ada".to_owned(),
        tab,
    }
}

async fn node() -> Presence {
    crate::harness::fast_node(MemoryBroker::new()).await
}

#[tokio::test]
async fn a_user_in_two_tabs_is_one_key_with_two_metas_and_lists_at_once() {
    let presence = node().await;
    let page = topic("crm:contacts:1");
    let one = presence
        .track(&page, "ada", &viewer(1))
        .await
        .expect("track");
    let two = presence
        .track(&page, "ada", &viewer(2))
        .await
        .expect("track");
    let _bob = presence
        .track(&page, "bob", &viewer(1))
        .await
        .expect("track");
    let list = presence.list::<Viewer>(&page).await.expect("list");
    assert_eq!(list.keys().collect::<Vec<_>>(), ["ada", "bob"]);
    let ada = list.get("ada").expect("ada");
    assert_eq!(ada.len(), 2);
    assert_eq!((ada[0].id, ada[0].meta.tab), (one.id(), 1));
    assert_eq!((ada[1].id, ada[1].meta.tab), (two.id(), 2));
    drop(one);
    let list = presence.list::<Viewer>(&page).await.expect("list");
    assert_eq!(list.get("ada").expect("ada").len(), 1);
    drop(two);
    assert!(
        !presence
            .list::<Viewer>(&page)
            .await
            .expect("list")
            .contains("ada")
    );
}

#[tokio::test]
async fn a_follower_gets_the_state_then_joins_updates_and_leaves() {
    let presence = node().await;
    let page = topic("projects:7");
    let _bob = presence
        .track(&page, "bob", &viewer(9))
        .await
        .expect("track");
    let mut follow = presence.follow::<Viewer>(&page).await.expect("follow");
    let first = state(&mut follow).await;
    assert!(first.contains("bob") && first.len() == 1);

    let ada = presence
        .track(&page, "ada", &viewer(1))
        .await
        .expect("track");
    let PresenceEvent::Diff(join) = next(&mut follow, Duration::from_secs(1)).await else {
        panic!("a diff")
    };
    assert_eq!(join.joins.get("ada").expect("ada")[0].meta, viewer(1));
    assert!(join.leaves.is_empty());

    ada.update(&viewer(2)).expect("update");
    let PresenceEvent::Diff(update) = next(&mut follow, Duration::from_secs(1)).await else {
        panic!("a diff")
    };
    let (left, joined) = (
        &update.leaves.get("ada").expect("old")[0],
        &update.joins.get("ada").expect("new")[0],
    );
    assert_eq!((left.id, left.meta.tab), (ada.id(), 1));
    assert_eq!((joined.id, joined.meta.tab), (ada.id(), 2));

    drop(ada);
    let PresenceEvent::Diff(leave) = next(&mut follow, Duration::from_secs(1)).await else {
        panic!("a diff")
    };
    assert!(leave.leaves.contains("ada") && leave.joins.is_empty());
}

#[tokio::test]
async fn a_join_and_a_leave_within_one_window_reach_nobody() {
    let mut config = PresenceConfig::fast();
    config.window = Duration::from_millis(200);
    let presence = Presence::start(MemoryBroker::new(), config)
        .await
        .expect("start");
    let page = topic("projects:8");
    let mut follow = presence.follow::<u32>(&page).await.expect("follow");
    state(&mut follow).await;
    // The first change after a quiet window goes at once; the next ones wait for its end.
    let first = presence.track(&page, "first", &1).await.expect("track");
    assert!(matches!(
        next(&mut follow, Duration::from_millis(100)).await,
        PresenceEvent::Diff(_)
    ));
    let blink = presence.track(&page, "blink", &1).await.expect("track");
    drop(blink);
    drop(first);
    let PresenceEvent::Diff(diff) = next(&mut follow, Duration::from_secs(1)).await else {
        panic!("a diff")
    };
    assert!(diff.joins.is_empty(), "the blink cancelled out: {diff:?}");
    assert_eq!(diff.leaves.keys().collect::<Vec<_>>(), ["first"]);
}

#[tokio::test]
async fn a_thousand_tracks_within_a_second_reach_a_follower_as_a_few_diffs() {
    let presence = node().await;
    let page = topic("catalogue:items");
    let mut follow = presence.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    view.apply(&PresenceEvent::State(state(&mut follow).await));
    let mut guards = Vec::new();
    let started = tokio::time::Instant::now();
    for i in 0..1_000u32 {
        guards.push(
            presence
                .track(&page, &format!("user-{i}"), &i)
                .await
                .expect("track"),
        );
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let events = until(&mut follow, &mut view, Duration::from_secs(5), |v| {
        v.0.len() == 1_000
    })
    .await;
    // A 20 ms window: at most one diff per window while tracking, plus the first at once
    // (about 50 for tracks spread over a second; fewer when they come faster).
    let windows = started.elapsed().as_millis() / 20 + 2;
    assert!(
        events as u128 <= windows,
        "{events} diffs for 1,000 tracks over {:?}",
        started.elapsed()
    );
    assert!(events < 1_000 / 4, "{events} diffs");
}

#[tokio::test]
async fn a_follower_that_stops_reading_is_bounded_and_gets_a_full_state_again() {
    let mut config = PresenceConfig::fast();
    config.follower_capacity = 4;
    config.window = Duration::from_millis(1);
    let presence = Presence::start(MemoryBroker::new(), config)
        .await
        .expect("start");
    let page = topic("projects:9");
    let mut slow = presence.follow::<u32>(&page).await.expect("follow");
    state(&mut slow).await;
    let mut guards = Vec::new();
    for i in 0..40u32 {
        guards.push(
            presence
                .track(&page, &format!("u{i}"), &i)
                .await
                .expect("track"),
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        presence.stats().follower_resets >= 1,
        "{:?}",
        presence.stats()
    );
    // At most `capacity` diffs were held; then a full state with all 40.
    let mut view = View::default();
    let mut states = 0;
    while view.0.len() < 40 {
        let event = next(&mut slow, Duration::from_secs(1)).await;
        if matches!(event, PresenceEvent::State(_)) {
            states += 1;
        }
        view.apply(&event);
    }
    assert_eq!(states, 1);
    assert_eq!(view.keys().len(), 40);
}

#[tokio::test]
async fn tenant_scoped_presence_stays_inside_its_tenant() {
    let broker = MemoryBroker::new();
    let acme = crate::harness::fast_node(Scoped::new(
        broker.clone(),
        TenantKey::new("acme").expect("tenant"),
    ))
    .await;
    let globex = crate::harness::fast_node(Scoped::new(
        broker.clone(),
        TenantKey::new("globex").expect("tenant"),
    ))
    .await;
    let page = topic("projects:1");
    let _ada = acme.track(&page, "ada", &1).await.expect("track");
    let mut theirs = globex.follow::<u32>(&page).await.expect("follow");
    assert!(
        state(&mut theirs).await.is_empty(),
        "another tenant's presence leaked"
    );
    let ours =
        crate::harness::fast_node(Scoped::new(broker, TenantKey::new("acme").expect("tenant")))
            .await;
    assert!(ours.list::<u32>(&page).await.expect("list").contains("ada"));
}

#[tokio::test]
async fn out_of_bound_keys_and_metadata_are_refused_with_a_reason() {
    let presence = node().await;
    let page = topic("t");
    assert!(presence.track(&page, "", &1).await.is_err());
    assert!(presence.track(&page, &"k".repeat(257), &1).await.is_err());
    let big = "x".repeat(20_000);
    let error = presence
        .track(&page, "ada", &big)
        .await
        .expect_err("too big");
    assert!(error.to_string().contains("at most"), "{error}");
    let long = topic(&"t".repeat(510));
    assert!(
        presence.track(&long, "ada", &1).await.is_err(),
        "no room for the prefix"
    );
    assert_eq!(presence.stats().tracked, 0);
    assert_eq!(presence.stats().topics, 0);
}

#[tokio::test]
async fn a_topic_nobody_holds_any_more_is_let_go() {
    let presence = node().await;
    let page = topic("projects:10");
    let guard = presence.track(&page, "ada", &1).await.expect("track");
    let follow = presence.follow::<u32>(&page).await.expect("follow");
    assert_eq!(presence.stats().topics, 1);
    drop(guard);
    drop(follow);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(presence.stats().topics, 0);
    assert_eq!(presence.stats().tracked, 0);
}
