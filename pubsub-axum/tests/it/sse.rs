//! SSE over real HTTP on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::BodyExt;
use pubsub_axum::Sse;
use pubsub_axum::resume::ResumeToken;
use pubsub_core::{Broker, MemoryBroker, Message, Topic};

use crate::support::*;

#[tokio::test]
async fn each_message_is_one_event_with_its_name_json_and_position_as_id() {
    let broker = history_broker(100);
    let server = serve(broker.clone()).await;
    let mut sse = sse_get(server.addr, "/sse?topics=docs:h:1,docs:plain", None).await;
    assert_eq!(sse.status, 200);
    let open = sse.event().await;
    assert_eq!(open.event, "$open");
    assert!(open.id.is_some());

    publish(&broker, "docs:h:1", 1).await;
    publish(&broker, "docs:plain", 2).await;
    let first = sse.event().await;
    assert_eq!(
        (first.event.as_str(), first.json()),
        ("note", serde_json::json!({"n": 1}))
    );
    let topics = [
        Topic::new("docs:h:1").unwrap(),
        Topic::new("docs:plain").unwrap(),
    ];
    let token = ResumeToken::parse(first.id.as_deref().unwrap(), &topics).unwrap();
    assert_eq!(token.position(0).map(|p| p.offset), Some(1));
    assert_eq!(token.position(1), None);
    // A topic without history gives no position: no id, the last one stays valid.
    let second = sse.event().await;
    assert_eq!(
        (second.json(), second.id),
        (serde_json::json!({"n": 2}), None)
    );
}

#[tokio::test]
async fn a_dropped_stream_resumes_from_last_event_id_with_nothing_lost() {
    let broker = history_broker(100);
    let server = serve(broker.clone()).await;
    let path = "/sse?topics=docs:h:a,docs:h:b";
    let mut sse = sse_get(server.addr, path, None).await;
    sse.event().await;
    publish(&broker, "docs:h:a", 1).await;
    publish(&broker, "docs:h:b", 2).await;
    sse.event().await;
    let last = sse.event().await.id.unwrap();
    drop(sse); // the connection is cut

    for n in 3..=10 {
        publish(&broker, if n % 2 == 0 { "docs:h:b" } else { "docs:h:a" }, n).await;
    }
    for resume in [
        sse_get(server.addr, path, Some(&last)).await,
        sse_get(server.addr, &format!("{path}&since={last}"), None).await,
    ] {
        let mut sse = resume;
        assert_eq!(sse.event().await.event, "$open");
        let mut got = Vec::new();
        for _ in 3..=10 {
            let event = sse.event().await;
            assert_eq!(event.event, "note", "{event:?}");
            got.push(event.json()["n"].as_u64().unwrap());
        }
        got.sort_unstable(); // in order per topic; the two topics interleave
        assert_eq!(got, (3..=10).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn a_resume_that_history_cannot_serve_gets_a_reload_event() {
    let broker = history_broker(3);
    let server = serve(broker.clone()).await;
    let mut sse = sse_get(server.addr, "/sse?topics=docs:h:x", None).await;
    let open = sse.event().await.id.unwrap();
    drop(sse);
    for n in 0..10 {
        publish(&broker, "docs:h:x", n).await; // more than the history keeps
    }
    let mut sse = sse_get(server.addr, "/sse?topics=docs:h:x", Some(&open)).await;
    assert_eq!(sse.event().await.event, "$open");
    let reload = sse.event().await;
    assert_eq!(reload.event, "$reload");
    assert!(
        reload.json()["reason"].as_str().unwrap().contains("older"),
        "{reload:?}"
    );
    // And it goes on live.
    publish(&broker, "docs:h:x", 99).await;
    assert_eq!(sse.event().await.json()["n"], 99);

    // A topic without history cannot say what was missed: reload.
    let mut sse = sse_get(server.addr, "/sse?topics=docs:plain", None).await;
    let open = sse.event().await.id.unwrap();
    let mut sse = sse_get(server.addr, "/sse?topics=docs:plain", Some(&open)).await;
    sse.event().await;
    assert_eq!(sse.event().await.event, "$reload");
}

#[tokio::test]
async fn hostile_resume_tokens_get_a_reload_and_the_server_keeps_serving() {
    let broker = history_broker(10);
    let server = serve(broker.clone()).await;
    let good = {
        let mut sse = sse_get(server.addr, "/sse?topics=docs:h:x", None).await;
        sse.event().await.id.unwrap()
    };
    let mut hostile: Vec<String> = vec![
        "x".repeat(3_000),
        format!("{good}-0_1.0000000000000001"),
        format!("{good}{}", "-0_1.0000000000000001".repeat(100)),
        good.replace('-', "~"),
        format!("{good}%ZZ"),
        format!("{good}%2"),
        format!("{good}+"),
        "deadbeef-0_18446744073709551616.0000000000000001".to_owned(),
        "\u{7f}".repeat(10),
        good.to_uppercase(),
        "%00".to_owned(),
    ];
    // A flood: many variations, each on its own connection.
    for i in 0..200u32 {
        hostile.push(format!("{:08x}-{}_{i}.{:016x}", i * 7919, i % 70, i));
    }
    for token in &hostile {
        let query = format!(
            "/sse?topics=docs:h:x&since={}",
            url_encode(token, b"-_.~%+")
        );
        let mut sse = sse_get(server.addr, &query, None).await;
        assert_eq!(sse.status, 200, "{token}");
        assert_eq!(sse.event().await.event, "$open");
        assert_eq!(sse.event().await.event, "$reload", "accepted {token:?}");
    }
    // Through the header too, including a value too long to be a token.
    for token in ["y".repeat(4_000), "z".to_owned()] {
        let mut sse = sse_get(server.addr, "/sse?topics=docs:h:x", Some(&token)).await;
        sse.event().await;
        assert_eq!(sse.event().await.event, "$reload");
    }
    let mut sse = sse_get(server.addr, "/sse?topics=docs:h:x", Some(&good)).await;
    sse.event().await;
    publish(&broker, "docs:h:x", 5).await;
    assert_eq!(sse.event().await.event, "note");
    // A client that percent-encodes every character of the token still resumes.
    let encoded = format!("/sse?topics=docs:h:x&since={}", url_encode(&good, b""));
    let mut sse = sse_get(server.addr, &encoded, None).await;
    sse.event().await;
    publish(&broker, "docs:h:x", 6).await;
    assert_eq!(
        sse.event().await.event,
        "note",
        "no $reload: the token was read"
    );
}

#[tokio::test]
async fn streams_end_cleanly_when_the_server_shuts_down() {
    let broker = MemoryBroker::new();
    let server = serve(broker.clone()).await;
    let mut streams = Vec::new();
    for _ in 0..5 {
        let mut sse = sse_get(server.addr, "/sse?topics=docs:a", None).await;
        sse.event().await;
        streams.push(sse);
    }
    server.shutdown.cancel();
    for sse in &mut streams {
        assert!(sse.ends().await);
    }
    tokio::time::timeout(WAIT, server.task)
        .await
        .expect("axum's graceful shutdown finishes: no stream holds it")
        .unwrap();
}

#[tokio::test]
async fn keep_alive_comments_flow_over_http() {
    let broker = MemoryBroker::new();
    let options = Options {
        keep_alive: Duration::from_millis(100),
        ..Options::default()
    };
    let server = serve_with(broker, options).await;
    let mut sse = sse_get(server.addr, "/sse?topics=docs:a", None).await;
    sse.event().await;
    for _ in 0..3 {
        assert!(sse.next().await.unwrap().comment);
    }
}

#[tokio::test(start_paused = true)]
async fn keep_alives_come_every_interval_and_only_without_traffic() {
    let broker = MemoryBroker::new();
    let topic = Topic::new("docs:a").unwrap();
    let subscription = broker.subscribe(&topic).await.unwrap();
    let sse = Sse::new().keep_alive(Duration::from_secs(25));
    let mut body = sse.from_subscription(subscription).into_body();
    let start = tokio::time::Instant::now();
    let open = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(open.starts_with(b"id: "));
    for i in 1..=3 {
        let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&chunk[..], b":\n\n");
        assert_eq!(start.elapsed(), Duration::from_secs(25 * i));
    }
    // A message resets the interval.
    tokio::time::advance(Duration::from_secs(10)).await;
    broker.publish(&topic, note(1)).await.unwrap();
    let at = tokio::time::Instant::now();
    let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(std::str::from_utf8(&chunk).unwrap().contains("event: note"));
    let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&chunk[..], b":\n\n");
    assert_eq!(at.elapsed(), Duration::from_secs(25));
}

#[tokio::test]
async fn a_lag_without_history_becomes_a_reload_event() {
    let broker = MemoryBroker::with_capacity(4);
    let topic = Topic::new("docs:a").unwrap();
    let subscription = broker.subscribe(&topic).await.unwrap();
    let mut body = Sse::new().from_subscription(subscription).into_body();
    body.frame().await.unwrap().unwrap();
    for n in 0..20 {
        broker.publish(&topic, note(n)).await.unwrap();
    }
    let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let text = std::str::from_utf8(&chunk).unwrap();
    assert!(text.contains("event: $reload"), "{text}");
    assert!(text.contains("lagged"), "{text}");
}

#[tokio::test]
async fn each_message_is_encoded_once_however_many_streams_and_sockets_send_it() {
    let broker = MemoryBroker::new();
    let server = serve(broker.clone()).await;
    let mut streams = Vec::new();
    let mut sockets = Vec::new();
    for i in 0..20 {
        let mut sse = sse_get(server.addr, "/sse?topics=docs:count", None).await;
        sse.event().await;
        streams.push(sse);
        let mut ws = ws_connect(server.addr, "").await;
        join(&mut ws, &i.to_string(), "docs:count", None).await;
        sockets.push(ws);
    }
    let counter = Arc::new(AtomicUsize::new(0));
    broker
        .publish(
            &Topic::new("docs:count").unwrap(),
            Message::new(Counted(Arc::clone(&counter))),
        )
        .await
        .unwrap();
    for sse in &mut streams {
        assert_eq!(sse.event().await.data, "7");
    }
    for ws in &mut sockets {
        assert_eq!(recv(ws).await["payload"], 7);
    }
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_tenant_stream_sees_only_its_tenant() {
    let broker = multi_tenant();
    let server = serve(broker.clone()).await;
    let mut acme = sse_get(server.addr, "/sse?topics=docs:all&tenant=acme", None).await;
    acme.event().await;
    let mut globex = sse_get(server.addr, "/sse?topics=docs:all&tenant=globex", None).await;
    globex.event().await;
    broker
        .publish(&Topic::new("docs:org:globex:all").unwrap(), note(1))
        .await
        .unwrap();
    assert_eq!(globex.event().await.json()["n"], 1);
    // The unscoped name is refused by the multi-tenant broker: 403.
    let refused = sse_get(server.addr, "/sse?topics=docs:all", None).await;
    assert_eq!(refused.status, 403);
    broker
        .publish(&Topic::new("docs:org:acme:all").unwrap(), note(2))
        .await
        .unwrap();
    assert_eq!(acme.event().await.json()["n"], 2, "acme never saw globex's");
}

/// Percent-encodes all but ASCII letters, digits and `keep`.
fn url_encode(text: &str, keep: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn app_events_get_the_same_keep_alives_and_end_on_shutdown() {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let sse = Sse::new()
        .keep_alive(Duration::from_secs(20))
        .shutdown(shutdown.clone());
    let (tx, rx) = tokio::sync::mpsc::channel::<(&'static str, String)>(4);
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut body = sse.events(events).into_body();
    tx.send(("update", "{\"a\":1}".to_owned())).await.unwrap();
    tx.send(("bad\nname", "{}".to_owned())).await.unwrap();
    let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&chunk[..], b"event: update\ndata: {\"a\":1}\n\n");
    let start = tokio::time::Instant::now();
    let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
    // The bad name was skipped: the next chunk is a keep-alive.
    assert_eq!(
        (&chunk[..], start.elapsed()),
        (&b":\n\n"[..], Duration::from_secs(20))
    );
    shutdown.cancel();
    assert!(body.frame().await.is_none(), "the body ends on shutdown");

    // And when the app's stream ends.
    let mut body = Sse::new()
        .events(futures_util::stream::iter([("x", String::new())]))
        .into_body();
    assert_eq!(
        &body.frame().await.unwrap().unwrap().into_data().unwrap()[..],
        b"event: x\ndata:\n\n"
    );
    assert!(body.frame().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_stops_reading_costs_bounded_memory_and_is_told_to_reload() {
    let broker = MemoryBroker::new();
    let server = serve(broker.clone()).await;
    let mut sse = sse_get(server.addr, "/sse?topics=docs:big", None).await;
    assert_eq!(sse.event().await.event, "$open");
    // It stops reading; 40 MB are published at it, and the publisher never waits.
    let pad = "p".repeat(2_000);
    let topic = Topic::new("docs:big").unwrap();
    let started = std::time::Instant::now();
    for n in 0..20_000u64 {
        let message = Message::from_json("docs", "pad", format!("[{n},\"{pad}\"]"));
        broker.publish(&topic, message).await.unwrap();
        if n % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The backlog waited in the subscription's bounded buffer, which dropped and counted.
    assert!(broker.stats().lagged > 0, "{:?}", broker.stats());
    broker.publish(&topic, note(42)).await.unwrap();
    // Reading again: what the sockets held, the lag as a `$reload`, then live messages.
    let (mut bytes, mut reloads) = (0, 0);
    loop {
        let event = sse.event().await;
        bytes += event.data.len();
        match event.event.as_str() {
            "$reload" => reloads += 1,
            "note" => break,
            _ => {}
        }
    }
    assert!(reloads >= 1, "the page is told it missed messages");
    assert!(bytes < 20_000 * 2_000 / 2, "{bytes} bytes were kept for it");
}

#[tokio::test]
async fn a_tenant_stream_carries_the_positions_of_its_scoped_topics() {
    let history = pubsub_core::history::HistoryConfig::new().prefix(
        "docs:org:",
        pubsub_core::history::HistoryPolicy::new(10, Duration::from_secs(600)),
    );
    let broker = pubsub_core::MultiTenant::new(MemoryBroker::builder().history(history).build());
    let server = serve(broker.clone()).await;
    let mut acme = sse_get(server.addr, "/sse?topics=docs:a,docs:b&tenant=acme", None).await;
    acme.event().await;
    publish(&broker, "docs:org:acme:b", 1).await;
    let event = acme.event().await;
    assert_eq!(event.json()["n"], 1);
    let topics = [Topic::new("docs:a").unwrap(), Topic::new("docs:b").unwrap()];
    let token = ResumeToken::parse(event.id.as_deref().unwrap(), &topics).unwrap();
    assert_eq!(token.position(1).map(|p| p.offset), Some(1));
}
