//! "Also viewing" on the contact and team pages: two demo nodes on one Redis, viewers joining
//! over WebSocket connections to either, each seeing the other, live.

use std::time::Duration;

use demo::{AppState, Config, Sample};
use futures_util::{SinkExt, StreamExt};
use pubsub_core::Topic;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::client::{block, start_shared_with, start_with};
use crate::redis_server::RedisServer;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn config(url: &str) -> Config {
    Config {
        redis: Some(url.to_owned()),
        namespace: "demo-viewers".to_owned(),
        ..Config::default()
    }
}

async fn connect(base: &str) -> Ws {
    let url = format!(
        "{}/socket",
        base.trim_end_matches('/').replacen("http", "ws", 1)
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("socket")
        .0
}

async fn recv(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

/// Joins `topic` as `viewer` named `name`, following its presence; the reply.
async fn view(ws: &mut Ws, topic: &str, viewer: &str, name: &str) -> Value {
    let join = json!({"ref": "1", "topic": topic, "event": "$join",
        "payload": {"presence": true, "params": {"viewer": viewer, "name": name}}});
    ws.send(Message::text(join.to_string()))
        .await
        .expect("send");
    recv(ws).await
}

fn names(presences: &Value) -> Vec<String> {
    presences
        .as_object()
        .map(|o| {
            o.values()
                .map(|v| {
                    v["metas"][0]["meta"]["name"]
                        .as_str()
                        .unwrap_or("?")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn viewers_on_two_nodes_see_each_other_join_and_leave() {
    let redis = RedisServer::start();
    let (a, a_state): (_, AppState) = {
        let config = config(&redis.url());
        start_shared_with(move || async move { AppState::connect(&config).await.expect("a") })
    };
    let b = {
        let config = config(&redis.url());
        start_with(move || async move { AppState::connect(&config).await.expect("b") })
    };
    let page = a.get(&format!("/teams/{}", Sample::TEAM));
    let topic = format!("viewers:teams:{}", Sample::TEAM);
    assert!(
        page.contains(&format!(r#"data-topic="{topic}""#)),
        "the panel is on the page"
    );
    block(async {
        let mut ada = connect(&a.url).await;
        let reply = view(&mut ada, &topic, "browser-a", "Ada").await;
        assert_eq!(reply["payload"]["response"]["presence"], true, "{reply}");
        let state = recv(&mut ada).await;
        assert_eq!(state["event"], "$presence_state");
        assert_eq!(names(&state["payload"]), ["Ada"]);

        let mut bob = connect(&b.url).await;
        view(&mut bob, &topic, "browser-b", "Bob").await;
        let state = recv(&mut bob).await;
        let mut seen = names(&state["payload"]);
        seen.sort();
        assert_eq!(
            seen,
            ["Ada", "Bob"],
            "the other node's viewer is in the first state"
        );
        let diff = recv(&mut ada).await;
        assert_eq!(diff["event"], "$presence_diff");
        assert_eq!(names(&diff["payload"]["joins"]), ["Bob"]);

        // Out-of-bounds params from a browser: joined, not shown.
        let mut eve = connect(&b.url).await;
        let reply = view(&mut eve, &topic, "browser-e", &"E".repeat(500)).await;
        assert_eq!(reply["payload"]["status"], "ok");
        drop(eve);

        drop(bob);
        let diff = recv(&mut ada).await;
        assert_eq!(names(&diff["payload"]["leaves"]), ["Bob"], "{diff}");
        let listed = a_state
            .presence
            .list::<Value>(&Topic::new(&topic).expect("topic"))
            .await
            .expect("list");
        assert_eq!(listed.keys().collect::<Vec<_>>(), ["browser-a"]);
    });
}
