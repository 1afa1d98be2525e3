//! Presence on channel joins (feature `presence`), over real WebSocket connections.

use std::sync::Arc;

use pubsub_core::{MemoryBroker, Topic};
use pubsub_presence::{Presence, PresenceConfig};
use serde_json::{Value, json};

use crate::support::*;

async fn presence_server() -> (Server, Arc<Presence>, MemoryBroker) {
    let broker = MemoryBroker::new();
    let presence = Arc::new(
        Presence::start(broker.clone(), PresenceConfig::fast())
            .await
            .unwrap(),
    );
    let server = serve_channels(broker.clone(), {
        let presence = Arc::clone(&presence);
        move |channels| channels.presence(presence)
    })
    .await;
    (server, presence, broker)
}

/// Joins `topic` asking for its presence; the reply.
async fn join_presence(ws: &mut Ws, reference: &str, topic: &str) -> Value {
    join_with(ws, reference, topic, json!({"presence": true})).await
}

/// The next presence frame of `ws`, skipping nothing else (there is nothing else here).
async fn presence_frame(ws: &mut Ws) -> Value {
    let frame = recv(ws).await;
    assert!(
        frame["event"]
            .as_str()
            .is_some_and(|e| e.starts_with("$presence_")),
        "{frame}"
    );
    frame
}

fn keys(payload: &Value) -> Vec<String> {
    payload
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_join_is_tracked_and_its_followers_get_the_state_then_diffs() {
    let (server, presence, _broker) = presence_server().await;
    let mut ada = ws_connect(server.addr, "user=ada").await;
    let reply = join_presence(&mut ada, "1", "room:1").await;
    assert_eq!(reply["payload"]["status"], "ok", "{reply}");
    assert_eq!(reply["payload"]["response"]["presence"], true, "{reply}");
    let state = presence_frame(&mut ada).await;
    assert_eq!(state["event"], "$presence_state");
    assert_eq!(state["join_ref"], "1");
    assert_eq!(keys(&state["payload"]), ["ada"]);
    assert_eq!(
        state["payload"]["ada"]["metas"][0]["meta"],
        json!({"name": "ada"})
    );

    let mut bob = ws_connect(server.addr, "user=bob").await;
    join_presence(&mut bob, "1", "room:1").await;
    assert_eq!(
        keys(&presence_frame(&mut bob).await["payload"]),
        ["ada", "bob"]
    );
    let diff = presence_frame(&mut ada).await;
    assert_eq!(diff["event"], "$presence_diff");
    assert_eq!(keys(&diff["payload"]["joins"]), ["bob"]);
    assert_eq!(keys(&diff["payload"]["leaves"]), Vec::<String>::new());

    // Leaving the topic untracks; so does closing the connection.
    send(
        &mut bob,
        json!({"ref": "2", "topic": "room:1", "event": "$leave"}),
    )
    .await;
    let diff = presence_frame(&mut ada).await;
    assert_eq!(keys(&diff["payload"]["leaves"]), ["bob"]);
    let mut cy = ws_connect(server.addr, "user=cy").await;
    join_presence(&mut cy, "1", "room:1").await;
    assert_eq!(
        keys(&presence_frame(&mut ada).await["payload"]["joins"]),
        ["cy"]
    );
    drop(cy);
    let diff = presence_frame(&mut ada).await;
    assert_eq!(keys(&diff["payload"]["leaves"]), ["cy"]);
    let listed = presence
        .list::<Value>(&Topic::new("room:1").unwrap())
        .await
        .unwrap();
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["ada"]);
}

#[tokio::test]
async fn a_refused_join_is_not_tracked_and_gets_no_presence() {
    let (server, presence, _broker) = presence_server().await;
    let mut eve = ws_connect(server.addr, "user=eve").await;
    let reply = join_presence(&mut eve, "1", "secret:room:1").await;
    assert_eq!(reply["payload"]["status"], "error");
    let mut ada = ws_connect(server.addr, "user=ada").await;
    join_presence(&mut ada, "1", "room:2").await;
    presence_frame(&mut ada).await;
    assert!(
        until_heartbeat(&mut eve, "2").await.is_empty(),
        "a refused join gets no presence frames"
    );
    let secret = presence
        .list::<Value>(&Topic::new("secret:room:1").unwrap())
        .await
        .unwrap();
    assert!(secret.is_empty(), "{secret:?}");
}

#[tokio::test]
async fn a_join_that_does_not_ask_for_presence_is_tracked_but_gets_no_frames() {
    let (server, presence, _broker) = presence_server().await;
    let mut ada = ws_connect(server.addr, "user=ada").await;
    let reply = join(&mut ada, "1", "room:3", None).await;
    assert!(
        reply["payload"]["response"].get("presence").is_none(),
        "{reply}"
    );
    let listed = presence
        .list::<Value>(&Topic::new("room:3").unwrap())
        .await
        .unwrap();
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["ada"]);
    assert!(until_heartbeat(&mut ada, "2").await.is_empty());
}

#[tokio::test]
async fn without_a_presence_node_a_join_says_it_does_not_follow() {
    let server = serve(MemoryBroker::new()).await;
    let mut ada = ws_connect(server.addr, "user=ada").await;
    let reply = join_presence(&mut ada, "1", "room:4").await;
    assert_eq!(reply["payload"]["status"], "ok");
    assert_eq!(reply["payload"]["response"]["presence"], false, "{reply}");
}
