//! Two demo nodes on one Redis: a change made through one appears on a page served by the other.

use std::time::Duration;

use demo::{AppState, Config, Sample};
use serde_json::json;

use crate::client::{op, start_with};
use crate::redis_server::RedisServer;

fn node(url: &str) -> crate::client::Server {
    let config = Config {
        redis: Some(url.to_owned()),
        namespace: "demo-test".to_owned(),
        ..Config::default()
    };
    start_with(move || async move { AppState::connect(&config).await.expect("node connects") })
}

#[test]
fn a_change_through_one_node_reaches_a_page_on_the_other() {
    let redis = RedisServer::start();
    let a = node(&redis.url());
    let b = node(&redis.url());

    let page = b.live(&format!("/live/contacts/{}", Sample::KATHERINE));
    let first = page.snapshot();
    assert!(
        op(&first).1.contains("Trajectory tables delivered"),
        "seeded once, shared"
    );

    let created = a.post(
        "/api/interactions",
        &json!({"contact_id": Sample::ADA, "party_ids": [Sample::KATHERINE], "kind": "call", "note": "Across nodes"}),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let row = format!("interaction-{id}");
    let added = page.wait_for(
        "the entry from the other node",
        Duration::from_secs(1),
        |f| f["target"] == row.as_str(),
    );
    assert!(op(&added).1.contains("Across nodes"));

    a.post(
        &format!("/api/interactions/{id}"),
        &json!({"contact_id": Sample::ADA, "party_ids": [], "kind": "call", "note": "Across nodes"}),
    );
    let removed = page.wait_for(
        "the removal from the other node",
        Duration::from_secs(1),
        |f| f["target"] == row.as_str(),
    );
    assert_eq!(op(&removed).0, "remove");
}
