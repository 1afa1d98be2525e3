//! The live pages over HTTP: subscribe to a page's event stream with a plain client, change
//! something through the API, and see the page's update arrive.

use std::time::Duration;

use demo::Sample;
use demo::store::model::{Assignment, Item};
use serde_json::json;

use crate::client::{block, op, start};

const SOON: Duration = Duration::from_secs(1);

#[test]
fn a_contact_feed_shows_an_added_interaction_and_drops_it_when_the_contact_leaves_it() {
    let server = start();
    let grace = server.live(&format!("/live/contacts/{}", Sample::GRACE));
    let (_, html) = {
        let first = grace.snapshot();
        (
            first["op"].clone(),
            first["html"].as_str().unwrap().to_owned(),
        )
    };
    assert!(html.contains("Kick-off: engine schematics review"));

    let created = server.post(
        "/api/interactions",
        &json!({"contact_id": Sample::ADA, "party_ids": [Sample::GRACE], "kind": "meeting", "note": "Planning session"}),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let row = format!("interaction-{id}");
    let added = grace.wait_for("the new entry", SOON, |f| f["target"] == row.as_str());
    assert_eq!(op(&added).0, "upsert");
    assert!(op(&added).1.contains("Planning session"));
    assert!(added["received"].as_u64().unwrap() >= 1);

    // Edited: still involving Grace, the entry is replaced.
    server.post(
        &format!("/api/interactions/{id}"),
        &json!({"contact_id": Sample::ADA, "party_ids": [Sample::GRACE], "kind": "meeting", "note": "Planning, moved to Friday"}),
    );
    let edited = grace.wait_for("the edited entry", SOON, |f| f["target"] == row.as_str());
    assert!(op(&edited).1.contains("moved to Friday"));

    // Grace removed from the parties: her feed drops the entry.
    server.post(
        &format!("/api/interactions/{id}"),
        &json!({"contact_id": Sample::ADA, "party_ids": [], "kind": "meeting", "note": "Planning, moved to Friday"}),
    );
    let removed = grace.wait_for("the removal", SOON, |f| f["target"] == row.as_str());
    assert_eq!(op(&removed).0, "remove");
}

#[test]
fn a_deleted_interaction_leaves_every_feed_it_was_in() {
    let server = start();
    let ada = server.live(&format!("/live/contacts/{}", Sample::ADA));
    let alan = server.live(&format!("/live/contacts/{}", Sample::ALAN));
    ada.snapshot();
    alan.snapshot();
    let created = server.post(
        "/api/interactions",
        &json!({"contact_id": Sample::ADA, "party_ids": [Sample::ALAN], "kind": "email", "note": "Specs"}),
    );
    let row = format!("interaction-{}", created["id"].as_str().unwrap());
    ada.wait_for("the entry on Ada's page", SOON, |f| {
        f["target"] == row.as_str()
    });
    alan.wait_for("the entry on Alan's page", SOON, |f| {
        f["target"] == row.as_str()
    });
    server.post(
        &format!(
            "/api/interactions/{}/delete",
            created["id"].as_str().unwrap()
        ),
        &json!({}),
    );
    for page in [&ada, &alan] {
        let gone = page.wait_for("the removal", SOON, |f| f["target"] == row.as_str());
        assert_eq!(op(&gone).0, "remove");
    }
}

#[test]
fn a_burst_beyond_the_buffer_reloads_the_page_and_says_so() {
    let server = start();
    let ada = server.live(&format!("/live/contacts/{}", Sample::ADA));
    ada.snapshot();
    let answer = server.post(&format!("/api/contacts/{}/burst", Sample::ADA), &json!({}));
    assert_eq!(answer["sent"], 300);
    let reload = ada.wait_for("a reload after lag", Duration::from_secs(3), |f| {
        f["op"] == "snapshot" && f["reloaded"].is_string()
    });
    let reason = reload["reloaded"].as_str().unwrap();
    let missed: u64 = reason
        .strip_prefix("lag (")
        .and_then(|r| r.strip_suffix(" missed)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a lag reason: {reason}"));
    // The page counts every event its subscription received, not only what it rendered (the
    // coalesced burst is one refresh): received + missed == published.
    ada.wait_for("the rest of the burst", Duration::from_secs(3), |f| {
        f["received"].as_u64() == Some(300 - missed)
    });
}

#[test]
fn a_project_row_refreshes_when_its_status_changes() {
    let server = start();
    let page = server.live(&format!("/live/projects/{}", Sample::PROJECT));
    page.snapshot();
    let assignments = block(async {
        let store = demo::Store::memory();
        store.seed().await.unwrap();
        store.all::<Assignment>().await.unwrap()
    });
    let target = assignments.iter().find(|a| a.status == "todo").unwrap();
    server.post(
        &format!("/api/assignments/{}/status", target.id),
        &json!({"status": "doing"}),
    );
    let row = format!("assignment-{}", target.id);
    let frame = page.wait_for("the row", SOON, |f| f["target"] == row.as_str());
    assert!(op(&frame).1.contains("status-doing"));
    assert_eq!(
        server.post_status(
            &format!("/api/assignments/{}/status", target.id),
            &json!({"status": "lost"})
        ),
        422
    );
}

#[test]
fn a_catalogue_row_refreshes_and_a_team_list_reloads() {
    let server = start();
    let catalogue = server.live("/live/catalogue");
    let team = server.live(&format!("/live/teams/{}", Sample::TEAM));
    catalogue.snapshot();
    let members = team.snapshot();
    assert!(op(&members).1.contains("Margaret Hamilton"));
    let ken = format!("member-{}", Sample::person(4));
    assert!(!op(&members).1.contains(&ken));

    let items = block(async {
        let store = demo::Store::memory();
        store.seed().await.unwrap();
        store.all::<Item>().await.unwrap()
    });
    server.post(&format!("/api/items/{}", items[0].id), &json!({"stock": 3}));
    let row = format!("item-{}", items[0].id);
    let frame = catalogue.wait_for("the item row", SOON, |f| f["target"] == row.as_str());
    assert!(op(&frame).1.contains(">3</td>"));

    server.post(
        &format!("/api/teams/{}/members", Sample::TEAM),
        &json!({"person_id": Sample::person(4)}),
    );
    let reloaded = team.wait_for("the member list", SOON, |f| f["op"] == "snapshot");
    assert!(op(&reloaded).1.contains(&ken));
}

#[test]
fn a_job_page_follows_the_process_and_reloads_on_completion() {
    let server = start();
    let list = server.live("/live/jobs");
    list.snapshot();
    let job = server.post("/api/jobs", &json!({"resource_id": Sample::PAYROLL}));
    let id = job["id"].as_str().unwrap().to_owned();
    let page = server.live(&format!("/live/jobs/{id}"));
    page.snapshot();
    let listed = list.wait_for("the job in the list", SOON, |f| {
        f["html"].as_str().unwrap_or("").contains(&id)
    });
    assert!(op(&listed).1.contains("Monthly payroll export"));
    let progress = page.wait_for("a progress update", Duration::from_secs(3), |f| {
        f["target"] == "progress"
    });
    assert!(op(&progress).1.contains("class=\"fill\""));
    let done = page.wait_for("the completed job", Duration::from_secs(8), |f| {
        f["op"] == "snapshot" && f["html"].as_str().unwrap_or("").contains("completed")
    });
    assert!(op(&done).1.contains("width:100%"));
    // Throttled: far fewer refreshes than the 80+ step events published.
    assert!(done["received"].as_u64().unwrap() > 0);
}

#[test]
fn pages_and_assets_are_served() {
    let server = start();
    let home = server.get("/");
    assert!(home.contains("Live pages over publish/subscribe"));
    let contact = server.get(&format!("/contacts/{}", Sample::ADA));
    assert!(contact.contains("Ada Lovelace") && contact.contains("data-live=\"/live/contacts/"));
    assert!(server.get("/assets/app.js").contains("EventSource"));
    assert!(server.get("/assets/style.css").contains(".pill"));
    for path in [
        "/catalogue",
        "/jobs",
        &format!("/teams/{}", Sample::TEAM),
        &format!("/projects/{}", Sample::PROJECT),
    ] {
        assert!(server.get(path).contains("id=\"live\""), "{path}");
    }
}
