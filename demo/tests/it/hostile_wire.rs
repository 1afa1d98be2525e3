//! Hostile values behind the API: events published straight to the broker and records written
//! straight to the store, as another node on the same Redis (or `redis-cli`) could. Every live
//! page keeps streaming and renders the next valid change.

use std::time::Duration;

use catalogue_events::DataKind;
use demo::jobs::{JobEvent, ProcessPayload, StepPayload, WorkflowPayload, broadcast_job};
use demo::store::Record;
use demo::store::model::{Assignment, Interaction, Item, Job};
use demo::{AppState, Config, Sample};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::client::{Live, block, op, start_shared, start_shared_with};
use crate::redis_server::RedisServer;

const SOON: Duration = Duration::from_secs(2);

/// Longer than the job page's throttle window, so each event gets a window of its own.
const PAST_THROTTLE: Duration = Duration::from_millis(320);

/// Every `width:N%` in the frame's HTML is at most 100.
fn assert_widths_within_100(frame: &Value) {
    let html = op(frame).1;
    for part in html.split("width:").skip(1) {
        let n: u64 = part
            .split('%')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unreadable width in {html}"));
        assert!(n <= 100, "width {n}% in {html}");
    }
}

/// A job that is running on process `process`, written to the store.
fn running_job(state: &AppState, process: Uuid) -> Job {
    let job = Job {
        id: Uuid::new_v4(),
        resource_id: Sample::FEED,
        name: "Hostile import".into(),
        process_id: Some(process),
        steps_done: 1,
        steps_total: 4,
        status: "running".into(),
        at: 0,
    };
    block(state.store.put(&job)).expect("put job");
    job
}

fn step(process: Uuid, step: u32, percent: u8, kind: usize) -> JobEvent {
    let payload = StepPayload {
        process_uuid: process,
        step,
        percent,
    };
    match kind % 3 {
        0 => JobEvent::StepStarted(payload),
        1 => JobEvent::StepProgress(payload),
        _ => JobEvent::StepCompleted(payload),
    }
}

/// Publishes a valid step event with a percent no hostile one uses and waits for the page to
/// render it: the stream is alive.
fn sentinel(state: &AppState, page: &Live, process: Uuid, percent: u8) {
    block(broadcast_job(&*state.broker, step(process, 2, percent, 1)));
    let note = format!(r#"<span class="muted">{percent}%</span>"#);
    let frame = page.wait_for(&format!("the valid step at {percent}%"), SOON, |f| {
        f["target"] == "progress" && op(f).1.contains(&note)
    });
    assert_widths_within_100(&frame);
}

#[test]
fn hostile_step_events_on_the_wire_are_skipped_and_the_job_page_keeps_streaming() {
    let (server, state) = start_shared();
    let process = Uuid::new_v4();
    let job = running_job(&state, process);
    let page = server.live(&format!("/live/jobs/{}", job.id));
    assert_widths_within_100(&page.snapshot());

    let hostile: [(u32, u8); 10] = [
        (0, 0),
        (0, 50),
        (0, 100),
        (5, 10),
        (u32::MAX, 100),
        (u32::MAX, u8::MAX),
        (2, 101),
        (2, u8::MAX),
        (1, 200),
        (4, 255),
    ];
    for (i, (n, percent)) in hostile.into_iter().enumerate() {
        block(broadcast_job(&*state.broker, step(process, n, percent, i)));
        std::thread::sleep(PAST_THROTTLE);
        let marker = u8::try_from(i).expect("few cases") * 2 + 11;
        sentinel(&state, &page, process, marker);
        std::thread::sleep(PAST_THROTTLE);
    }

    // Lifecycle events about other workflows and processes: ignored or a plain reload.
    let stranger = Uuid::new_v4();
    let lifecycle = [
        JobEvent::ProcessCreated(ProcessPayload {
            workflow_uuid: job.id,
            process_uuid: stranger,
        }),
        JobEvent::WorkflowStarted(WorkflowPayload {
            workflow_uuid: job.id,
            resource_uuid: stranger,
        }),
    ];
    for event in lifecycle {
        block(broadcast_job(&*state.broker, event));
    }
    std::thread::sleep(PAST_THROTTLE);
    sentinel(&state, &page, process, 99);
}

/// A record in the `item` collection that is not an item (as `redis-cli HSET` could write).
#[derive(Clone, Serialize, Deserialize)]
struct NotAnItem {
    id: Uuid,
    stock: String,
}

impl Record for NotAnItem {
    const KIND: &'static str = "item";
    fn id(&self) -> Uuid {
        self.id
    }
}

#[test]
fn extreme_and_undecodable_items_in_the_store_render_on_the_live_catalogue() {
    let (server, state) = start_shared();
    let catalogue = server.live("/live/catalogue");
    catalogue.snapshot();

    // An item with the largest numbers, announced as another node would.
    let extreme = Item {
        id: Uuid::new_v4(),
        catalogue_id: Sample::CATALOGUE,
        name: "Hostile".into(),
        price_cents: u64::MAX,
        stock: u32::MAX,
    };
    let junk = NotAnItem {
        id: Uuid::new_v4(),
        stock: "lots".into(),
    };
    block(async {
        state.store.put(&extreme).await.expect("put");
        state.store.put(&junk).await.expect("put");
        for id in [extreme.id, junk.id, Uuid::new_v4()] {
            catalogue_events::broadcast(
                &*state.broker,
                DataKind::Item,
                Some(id),
                Some(Sample::CATALOGUE),
            )
            .await;
        }
    });
    let row = format!("item-{}", extreme.id);
    let frame = catalogue.wait_for("the extreme row", SOON, |f| f["target"] == row.as_str());
    let html = op(&frame).1;
    assert!(html.contains(">4294967295</td>"), "{html}");
    assert!(
        html.contains("{&quot;stock&quot;:1000000}") && html.contains("disabled"),
        "the +10 button stays within the bound: {html}"
    );
    let junk_row = format!("item-{}", junk.id);
    let gone = catalogue.wait_for("the undecodable row", SOON, |f| {
        f["target"] == junk_row.as_str()
    });
    assert_eq!(op(&gone).0, "remove");
    // A whole-list reload skips the undecodable record and shows the rest.
    block(catalogue_events::broadcast(
        &*state.broker,
        DataKind::Catalogue,
        None,
        Some(Sample::CATALOGUE),
    ));
    let list = catalogue.wait_for("the reloaded list", SOON, |f| f["op"] == "snapshot");
    assert!(op(&list).1.contains("Hostile") && op(&list).1.contains("Fountain pen"));
    assert_eq!(server.get_status("/catalogue"), 200);
    let (status, text) = server.send(
        &format!("/api/items/{}", junk.id),
        "application/json",
        br#"{"stock":1}"#,
    );
    assert_eq!(status, 404, "an undecodable record is not there: {text}");
}

#[test]
fn extreme_jobs_assignments_and_interactions_in_the_store_render_on_their_pages() {
    let (server, state) = start_shared();

    // A job whose saved counts overflow any arithmetic on them.
    let job = Job {
        id: Uuid::new_v4(),
        resource_id: Sample::PAYROLL,
        name: "Overflowing".into(),
        process_id: None,
        steps_done: u32::MAX,
        steps_total: 0,
        status: "running".into(),
        at: u64::MAX,
    };
    block(state.store.put(&job)).expect("put job");
    assert_eq!(server.get_status(&format!("/jobs/{}", job.id)), 200);
    let page = server.live(&format!("/live/jobs/{}", job.id));
    assert_widths_within_100(&page.snapshot());
    let jobs = server.live("/live/jobs");
    assert!(op(&jobs.snapshot()).1.contains("Overflowing"));

    // An assignment at the last position: adding one after it still works.
    let at_the_end = Assignment {
        id: Uuid::new_v4(),
        project_id: Sample::PROJECT,
        title: "At the end".into(),
        status: "todo".into(),
        position: u32::MAX,
    };
    block(state.store.put(&at_the_end)).expect("put assignment");
    let project = server.live(&format!("/live/projects/{}", Sample::PROJECT));
    project.snapshot();
    let added = server.post(
        &format!("/api/projects/{}/assignments", Sample::PROJECT),
        &json!({"title": "After the end"}),
    );
    let row = format!("assignment-{}", added["id"].as_str().expect("id"));
    project.wait_for("the added row", SOON, |f| f["target"] == row.as_str());

    // An interaction from the far future with parties nobody knows.
    let odd = Interaction {
        id: Uuid::new_v4(),
        contact_id: Sample::ADA,
        party_ids: (0..500).map(|_| Uuid::new_v4()).collect(),
        kind: "<script>".into(),
        note: "{{body}}".repeat(100),
        at: u64::MAX,
    };
    block(state.store.put(&odd)).expect("put interaction");
    let contact = server.live(&format!("/live/contacts/{}", Sample::ADA));
    let feed = contact.snapshot();
    assert!(op(&feed).1.contains("(unknown)") && !op(&feed).1.contains("<script>"));
    assert_eq!(
        server.get_status(&format!("/contacts/{}", Sample::ADA)),
        200
    );
}

#[test]
fn events_about_unknown_records_leave_every_live_page_streaming() {
    let (server, state) = start_shared();
    let project = server.live(&format!("/live/projects/{}", Sample::PROJECT));
    let team = server.live(&format!("/live/teams/{}", Sample::TEAM));
    let contact = server.live(&format!("/live/contacts/{}", Sample::ADA));
    for page in [&project, &team, &contact] {
        page.snapshot();
    }
    let stranger = Uuid::new_v4();
    block(async {
        let broker = &*state.broker;
        projects_events::broadcast_assignment(
            broker,
            projects_events::AssignmentChange::Deleted,
            projects_events::AssignmentPayload {
                uuid: stranger,
                project_uuid: Sample::PROJECT,
            },
        )
        .await;
        staff_events::broadcast_team_membership(
            broker,
            staff_events::TeamMembershipChange::Added,
            staff_events::TeamMembershipPayload {
                team_uuid: Sample::TEAM,
                staff_person_uuid: stranger,
                uuid: stranger,
            },
        )
        .await;
        crm_events::broadcast_interaction_to(
            broker,
            crm_events::InteractionChange::Updated,
            stranger,
            [Sample::ADA],
        )
        .await;
    });
    let removed = project.wait_for("the unknown row's removal", SOON, |f| f["op"] == "remove");
    assert_eq!(removed["target"], format!("assignment-{stranger}"));
    team.wait_for("a reload", SOON, |f| f["op"] == "snapshot");
    contact.wait_for("the unknown entry's removal", SOON, |f| f["op"] == "remove");

    // The next real change still arrives.
    let created = server.post(
        "/api/interactions",
        &json!({"contact_id": Sample::ADA, "kind": "note", "note": "Still here"}),
    );
    let row = format!("interaction-{}", created["id"].as_str().expect("id"));
    contact.wait_for("the real entry", SOON, |f| f["target"] == row.as_str());
}

#[test]
fn a_hostile_node_on_the_shared_redis_cannot_break_another_nodes_pages() {
    let redis = RedisServer::start();
    let config = Config {
        redis: Some(redis.url()),
        namespace: "demo-hostile".to_owned(),
        ..Config::default()
    };
    let node = |config: Config| {
        start_shared_with(
            move || async move { AppState::connect(&config).await.expect("connects") },
        )
    };
    let (server, _) = node(config.clone());
    let (_, hostile) = node(config);

    let catalogue = server.live("/live/catalogue");
    catalogue.snapshot();
    let items = block(hostile.store.all::<Item>()).expect("items");
    let mut item = items[0].clone();
    item.stock = u32::MAX;
    item.price_cents = u64::MAX;
    block(async {
        hostile.store.put(&item).await.expect("put");
        catalogue_events::broadcast(
            &*hostile.broker,
            DataKind::Item,
            Some(item.id),
            Some(Sample::CATALOGUE),
        )
        .await;
    });
    let row = format!("item-{}", item.id);
    let frame = catalogue.wait_for("the hostile row", SOON, |f| f["target"] == row.as_str());
    assert!(op(&frame).1.contains(">4294967295</td>"));

    let process = Uuid::new_v4();
    let job = running_job(&hostile, process);
    let page = server.live(&format!("/live/jobs/{}", job.id));
    page.snapshot();
    block(broadcast_job(&*hostile.broker, step(process, 0, 50, 1)));
    std::thread::sleep(PAST_THROTTLE);
    sentinel(&hostile, &page, process, 42);

    // The node still takes valid edits of the item another node broke.
    server.post(&format!("/api/items/{}", item.id), &json!({"stock": 12}));
    catalogue.wait_for("the repaired row", SOON, |f| {
        f["target"] == row.as_str() && op(f).1.contains(">12</td>")
    });
}
