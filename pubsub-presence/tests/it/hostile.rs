//! A flood of hostile presence messages from the wire: bounded, counted, never a panic, and the
//! real presences keep flowing.

use std::time::Duration;

use pubsub_core::{MemoryBroker, Message};

use crate::harness::{View, topic, until};

#[tokio::test]
async fn a_flood_of_forged_and_malformed_messages_is_refused_and_real_presences_still_arrive() {
    let broker = MemoryBroker::new();
    let watcher = crate::harness::fast_node(broker.clone()).await;
    let real = crate::harness::fast_node(broker.clone()).await;
    let page = topic("projects:1");
    let mut follow = watcher.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    let wire = topic("$presence:t:projects:1");
    let control = topic("$presence:nodes");
    let long_key = "k".repeat(300);
    let forged = [
        r#"{"event":"diff","payload":{"node":0,"topic":"projects:1","prev":0,"clock":1,"joins":[],"leaves":[]}}"#.to_owned(),
        format!(r#"{{"event":"diff","payload":{{"node":5,"topic":"projects:1","prev":0,"clock":1,"joins":[{{"key":"{long_key}","seq":1,"meta":1}}],"leaves":[]}}}}"#),
        r#"{"event":"diff","payload":{"node":5,"topic":"projects:1","prev":3,"clock":2,"joins":[],"leaves":[]}}"#.to_owned(),
        r#"{"event":"state","payload":{"node":5,"topic":"a::b","clock":1,"entries":[],"more":false}}"#.to_owned(),
        r#"{"event":"nonsense","payload":{}}"#.to_owned(),
        r#"{"event":"diff","payload":"#.to_owned(),
    ];
    let _ada = real.track(&page, "ada", &1).await.expect("track");
    for round in 0..2_000usize {
        let json = &forged[round % forged.len()];
        let message = Message::from_json("presence", "diff", json.clone());
        broker.publish(&wire, message).await.expect("publish");
        // Syncs for made-up topics: answers are bounded.
        let sync = format!(
            r#"{{"event":"sync","payload":{{"node":7,"topic":"made:up:{round}","target":null}}}}"#
        );
        broker
            .publish(&control, Message::from_json("presence", "sync", sync))
            .await
            .expect("publish");
        if round % 10 == 0 {
            // Paced, so the flood is refused message by message rather than lost to lag.
            tokio::task::yield_now().await;
        }
    }
    until(&mut follow, &mut view, Duration::from_secs(5), |v| {
        v.keys() == ["ada"]
    })
    .await;
    let _bob = real.track(&page, "bob", &1).await.expect("track");
    until(&mut follow, &mut view, Duration::from_secs(5), |v| {
        v.keys() == ["ada", "bob"]
    })
    .await;
    // Bob's diff came after the flood on the same topic: every forged message was seen.
    let stats = watcher.stats();
    // 2,000 forged presence messages, and 2,000 syncs from a node that never said it is alive.
    assert_eq!(stats.rejected, 4_000, "{stats:?}");
    assert_eq!(stats.sent, 0, "nothing answered a forged sync: {stats:?}");
    assert_eq!(stats.resyncs, 0, "{stats:?}");
}

#[tokio::test]
async fn a_flood_of_syncs_costs_one_state_per_window() {
    let broker = MemoryBroker::new();
    let a = crate::harness::fast_node(broker.clone()).await;
    let b = crate::harness::fast_node(broker.clone()).await;
    let page = topic("projects:synced");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    tokio::time::sleep(std::time::Duration::from_millis(150)).await; // A knows B
    let before = a.stats().sent;
    let b_id = u64::from_str_radix(&b.node().to_string(), 16).expect("hex id");
    let control = topic("$presence:nodes");
    let started = tokio::time::Instant::now();
    for round in 0..1_000usize {
        // As if B asked 1,000 times (anyone on the broker can speak for B).
        let sync = format!(
            r#"{{"event":"sync","payload":{{"node":{b_id},"topic":"projects:synced","target":null}}}}"#
        );
        broker
            .publish(&control, Message::from_json("presence", "sync", sync))
            .await
            .expect("publish");
        if round % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let states = a.stats().sent - before;
    let windows = started.elapsed().as_millis() / 20 + 2;
    assert!(
        (1..=windows).contains(&u128::from(states)),
        "{states} states for 1,000 syncs in {:?}",
        started.elapsed()
    );
}
