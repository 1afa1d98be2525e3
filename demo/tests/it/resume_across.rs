//! Resume across nodes: a page's SSE stream on node A is cut; it reopens on node B (another
//! process on the same Redis) with the last id A gave it, and gets every event published
//! meanwhile, once, in order, with no reload: positions come from Redis, so a token from A is
//! good on B.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use demo::{AppState, Config, Sample};
use serde_json::{Value, json};

use crate::client::start_with;
use crate::redis_server::RedisServer;

fn node(url: &str) -> crate::client::Server {
    let config = Config {
        redis: Some(url.to_owned()),
        namespace: "demo-resume".to_owned(),
        ..Config::default()
    };
    start_with(move || async move { AppState::connect(&config).await.expect("node connects") })
}

/// One SSE event: its name, its id (if any) and its data.
#[derive(Debug, Clone)]
struct Event {
    name: String,
    id: Option<String>,
    data: Value,
}

/// Opens `path` on `base` as an event stream, with `Last-Event-ID` when given; the events as
/// they come, until the receiver is dropped (the connection then closes at the next event).
fn stream(base: &str, path: &str, last_id: Option<&str>) -> mpsc::Receiver<Event> {
    let url = format!("{base}{path}");
    let last_id = last_id.map(str::to_owned);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut request = ureq::get(&url).header("accept", "text/event-stream");
        if let Some(id) = &last_id {
            request = request.header("last-event-id", id);
        }
        let response = request.call().expect("stream");
        let reader = BufReader::new(response.into_body().into_reader());
        let (mut name, mut id, mut data) = (String::new(), None, String::new());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if line.is_empty() {
                if !data.is_empty() {
                    let event = Event {
                        name: std::mem::take(&mut name),
                        id: id.take(),
                        data: serde_json::from_str(&data).unwrap_or(Value::Null),
                    };
                    data.clear();
                    if tx.send(event).is_err() {
                        return;
                    }
                }
                name.clear();
            } else if let Some(value) = line.strip_prefix("event: ") {
                value.clone_into(&mut name);
            } else if let Some(value) = line.strip_prefix("id: ") {
                id = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("data: ") {
                data.push_str(value);
            }
        }
    });
    rx
}

/// Reads `events` until `job`'s completion: every event read (name, id, data), no reload.
fn until_completed(
    events: &mpsc::Receiver<Event>,
    job: &str,
) -> Vec<(String, Option<String>, Value)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut read = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events.recv_timeout(left).expect("the job's events in time");
        assert_ne!(event.name, "$reload", "a reload: {event:?}");
        let done =
            event.name == "workflow_completed" && event.data["payload"]["workflow_uuid"] == job;
        read.push((event.name, event.id, event.data));
        if done {
            return read;
        }
    }
}

#[test]
fn an_sse_stream_cut_on_one_node_resumes_on_the_other_with_nothing_lost() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis.url()), node(&redis.url()));
    let resource = json!({"resource_id": Sample::RESOURCES[0].0});

    let on_a = stream(&a.url, "live/activity", None);
    assert_eq!(
        on_a.recv_timeout(Duration::from_secs(5))
            .expect("open")
            .name,
        "$open"
    );
    let first = a.post("/api/jobs", &resource)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let last = until_completed(&on_a, &first)
        .iter()
        .rev()
        .find_map(|(_, id, _)| id.clone())
        .expect("positioned events carry the resume token");
    drop(on_a); // the page's connection is cut

    // Meanwhile a job runs to completion through node B; a page there sees it live.
    let watcher = stream(&b.url, "live/activity", None);
    assert_eq!(
        watcher
            .recv_timeout(Duration::from_secs(5))
            .expect("open")
            .name,
        "$open"
    );
    let second = b.post("/api/jobs", &resource)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let live = until_completed(&watcher, &second);
    assert!(live.len() >= 2, "the job's events: {live:?}");

    // The page reopens on node B with the id node A gave it: exactly what was missed, the same
    // events with the same ids as the live page got, then live.
    let on_b = stream(&b.url, "live/activity", Some(&last));
    let open = on_b.recv_timeout(Duration::from_secs(5)).expect("open");
    assert_eq!(open.name, "$open", "{open:?}");
    let replayed = until_completed(&on_b, &second);
    assert_eq!(replayed, live);
}
