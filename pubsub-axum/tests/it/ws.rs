//! WebSocket channels over a real connection on loopback.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pubsub_core::{MemoryBroker, Topic};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::support::*;

#[tokio::test]
async fn join_gets_a_reply_then_pushes_and_leave_stops_them() {
    let broker = history_broker(10);
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "").await;
    let reply = join(&mut ws, "1", "docs:h:1", None).await;
    assert_eq!(reply["payload"]["status"], "ok", "{reply}");
    assert_eq!(reply["topic"], "docs:h:1");
    assert_eq!(reply["payload"]["response"]["recovered"], true);

    publish(&broker, "docs:h:1", 5).await;
    let push = recv(&mut ws).await;
    assert_eq!(push["join_ref"], "1");
    assert_eq!(push["topic"], "docs:h:1");
    assert_eq!(push["event"], "note");
    assert_eq!(push["payload"], json!({"n": 5}));
    assert!(push["position"].as_str().unwrap().starts_with("1."));

    send(
        &mut ws,
        json!({"ref": "2", "topic": "docs:h:1", "event": "$leave"}),
    )
    .await;
    let left = recv(&mut ws).await;
    assert_eq!(
        (left["ref"].as_str(), left["payload"]["status"].as_str()),
        (Some("2"), Some("ok"))
    );
    publish(&broker, "docs:h:1", 6).await;
    assert!(
        until_heartbeat(&mut ws, "3").await.is_empty(),
        "a left topic pushes nothing"
    );

    send(
        &mut ws,
        json!({"ref": "4", "topic": "docs:h:1", "event": "$leave"}),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await["payload"]["response"]["reason"],
        "not joined"
    );
}

#[tokio::test]
async fn a_refused_join_gets_a_reason_and_no_delivery() {
    let broker = MemoryBroker::new();
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "user=bob").await;
    let reply = join(&mut ws, "1", "secret:plans", None).await;
    assert_eq!(reply["payload"]["status"], "error");
    assert_eq!(reply["payload"]["response"]["reason"], "unauthorized");
    send(
        &mut ws,
        json!({"ref": "2", "topic": "docs:x", "event": "$join", "payload": {"params": {"deny": true}}}),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await["payload"]["response"]["reason"],
        "denied by params"
    );
    publish(&broker, "secret:plans", 1).await;
    publish(&broker, "docs:x", 1).await;
    assert!(until_heartbeat(&mut ws, "3").await.is_empty());
    assert_eq!(
        broker.subscriber_count(&Topic::new("secret:plans").unwrap()),
        0
    );

    let mut admin = ws_connect(server.addr, "user=admin").await;
    let reply = join(&mut admin, "1", "secret:plans", None).await;
    assert_eq!(reply["payload"]["status"], "ok");
}

#[tokio::test]
async fn topics_of_other_tenants_are_refused() {
    let broker = multi_tenant();
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "tenant=acme").await;
    for topic in ["docs:org:globex:all", "docs:all", "docs:org:acmex:all"] {
        let reply = join(&mut ws, "1", topic, None).await;
        assert_eq!(
            reply["payload"]["response"]["reason"], "forbidden",
            "{topic}"
        );
    }
    let reply = join(&mut ws, "2", "docs:org:acme:all", None).await;
    assert_eq!(reply["payload"]["status"], "ok");
    publish(&broker, "docs:org:globex:all", 1).await;
    publish(&broker, "docs:org:acme:all", 2).await;
    let push = recv(&mut ws).await;
    assert_eq!(
        (push["topic"].as_str(), push["payload"]["n"].as_u64()),
        (Some("docs:org:acme:all"), Some(2))
    );

    // Without a tenant in the session, the multi-tenant broker still refuses unscoped topics.
    let mut anonymous = ws_connect(server.addr, "").await;
    let reply = join(&mut anonymous, "1", "docs:all", None).await;
    assert_eq!(reply["payload"]["response"]["reason"], "forbidden");
}

#[tokio::test]
async fn a_flood_of_malformed_frames_gets_error_frames_and_the_connection_keeps_working() {
    let broker = MemoryBroker::new();
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "").await;
    let bad: Vec<String> = vec![
        "not json".into(),
        "[]".into(),
        "{}".into(),
        "null".into(),
        r#"{"ref":"1"}"#.into(),
        r#"{"ref":"1","event":"$join"}"#.into(),
        r#"{"ref":"1","event":"$join","topic":"bad topic"}"#.into(),
        r#"{"ref":"1","event":"$join","topic":"a","payload":{"since":"nope"}}"#.into(),
        r#"{"ref":1,"event":"$heartbeat"}"#.into(),
        format!(r#"{{"ref":"{}","event":"$heartbeat"}}"#, "r".repeat(100)),
        r#"{"ref":"1","event":"$nope"}"#.into(),
        "[".repeat(10_000),
        "\u{0}".repeat(100),
    ];
    let rounds = 400;
    let (mut sink, mut stream) = ws.split();
    let frames = bad.clone();
    let writer = tokio::spawn(async move {
        for _ in 0..rounds {
            for frame in &frames {
                sink.send(WsMessage::text(frame.clone())).await.unwrap();
            }
            sink.send(WsMessage::binary(vec![1, 2, 3])).await.unwrap();
        }
        sink
    });
    let expected = rounds * (bad.len() + 1);
    for i in 0..expected {
        let frame = match tokio::time::timeout(WAIT, stream.next()).await.unwrap() {
            Some(Ok(WsMessage::Text(text))) => serde_json::from_str::<Value>(&text).unwrap(),
            other => panic!("frame {i}: {other:?}"),
        };
        let is_error = frame["event"] == "$error"
            || (frame["event"] == "$reply" && frame["payload"]["status"] == "error");
        assert!(is_error, "{frame}");
        assert!(
            frame["payload"]["reason"]
                .as_str()
                .is_none_or(|r| r.len() < 300)
                || frame["payload"]["response"]["reason"]
                    .as_str()
                    .is_some_and(|r| r.len() < 300)
        );
    }
    let sink = writer.await.unwrap();
    ws = sink.reunite(stream).unwrap();
    let reply = join(&mut ws, "ok", "docs:a", None).await;
    assert_eq!(reply["payload"]["status"], "ok");
    publish(&broker, "docs:a", 1).await;
    assert_eq!(recv(&mut ws).await["payload"]["n"], 1);
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009_and_others_are_unaffected() {
    let broker = MemoryBroker::new();
    let server = serve_channels(broker.clone(), |c| c.max_frame_size(1024)).await;
    let mut other = ws_connect(server.addr, "").await;
    join(&mut other, "1", "docs:a", None).await;
    let mut ws = ws_connect(server.addr, "").await;
    let big = json!({"ref": "1", "event": "$heartbeat", "pad": "x".repeat(100_000)});
    let _ = ws.send(WsMessage::text(big.to_string())).await;
    assert_eq!(close_code(&mut ws).await, Some(1009));
    // Just below the limit is fine.
    let mut ws = ws_connect(server.addr, "").await;
    let fits = json!({"ref": "1", "event": "$heartbeat", "pad": "x".repeat(900)});
    ws.send(WsMessage::text(fits.to_string())).await.unwrap();
    assert_eq!(recv(&mut ws).await["payload"]["status"], "ok");
    publish(&broker, "docs:a", 1).await;
    assert_eq!(recv(&mut other).await["payload"]["n"], 1);
}

#[tokio::test]
async fn heartbeats_keep_a_connection_and_silence_closes_it() {
    let broker = MemoryBroker::new();
    let server = serve_channels(broker, |c| c.idle_timeout(Duration::from_secs(1))).await;
    let mut ws = ws_connect(server.addr, "").await;
    // Heartbeats every 250 ms keep it for 2.5 s, more than twice the idle timeout.
    for i in 0..10 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(until_heartbeat(&mut ws, &i.to_string()).await.is_empty());
    }
    let silent = Instant::now();
    assert_eq!(close_code(&mut ws).await, Some(pubsub_axum::ws::CLOSE_IDLE));
    assert!(silent.elapsed() >= Duration::from_millis(900));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_costs_bounded_memory_and_is_closed() {
    let broker = MemoryBroker::new();
    let server = serve_channels(broker.clone(), |c| {
        c.write_timeout(Duration::from_millis(300))
            .queue_capacity(16)
    })
    .await;
    let mut ws = ws_connect(server.addr, "").await;
    join(&mut ws, "1", "docs:big", None).await;
    // It stops reading; 40 MB are published at it, and the publisher never waits.
    let pad = "p".repeat(2_000);
    let topic = Topic::new("docs:big").unwrap();
    let started = Instant::now();
    for n in 0..20_000u64 {
        let event = pubsub_core::Message::from_json("docs", "pad", format!("[{n},\"{pad}\"]"));
        broker.publish(&topic, event).await.unwrap();
        // Slow enough for the connection's writer to keep the join's subscription buffer
        // empty, as long as the socket takes its frames.
        if n % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    // What it can still read is what the sockets held: far less than what was published.
    let mut bytes = 0usize;
    let mut reloads = 0;
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(WsMessage::Text(text))) => {
                bytes += text.len();
                if text.contains("\"$reload\"") {
                    reloads += 1;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    assert!(
        bytes < 20_000 * 2_000 / 2,
        "{bytes} bytes were buffered for it"
    );
    assert!(bytes > 0);
    let _ = reloads; // the lag notice may not have reached the socket before the close
    // The backlog waited in the join's bounded subscription buffer, which dropped and counted.
    assert!(broker.stats().lagged > 0, "{:?}", broker.stats());
    assert_eq!(
        broker.subscriber_count(&topic),
        0,
        "its subscription went with it"
    );
}

#[tokio::test]
async fn a_rejoin_with_the_last_position_recovers_everything_published_meanwhile() {
    let broker = history_broker(100);
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "").await;
    join(&mut ws, "1", "docs:h:r", None).await;
    publish(&broker, "docs:h:r", 1).await;
    publish(&broker, "docs:h:r", 2).await;
    recv(&mut ws).await;
    let last = recv(&mut ws).await["position"].as_str().unwrap().to_owned();
    drop(ws); // the connection is cut

    for n in 3..=30 {
        publish(&broker, "docs:h:r", n).await;
    }
    let mut ws = ws_connect(server.addr, "").await;
    let reply = join(&mut ws, "9", "docs:h:r", Some(&last)).await;
    let response = &reply["payload"]["response"];
    assert_eq!(
        (
            response["recovered"].as_bool(),
            response["replayed"].as_u64()
        ),
        (Some(true), Some(28))
    );
    for n in 3..=30 {
        let push = recv(&mut ws).await;
        assert_eq!(
            (push["join_ref"].as_str(), push["payload"]["n"].as_u64()),
            (Some("9"), Some(n))
        );
    }
    publish(&broker, "docs:h:r", 31).await;
    assert_eq!(recv(&mut ws).await["payload"]["n"], 31);
}

#[tokio::test]
async fn a_rejoin_the_history_cannot_serve_says_so() {
    let broker = history_broker(2);
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "").await;
    let reply = join(&mut ws, "1", "docs:h:s", None).await;
    let position = reply["payload"]["response"]["position"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 0..5 {
        publish(&broker, "docs:h:s", n).await;
    }
    let mut ws = ws_connect(server.addr, "").await;
    let reply = join(&mut ws, "1", "docs:h:s", Some(&position)).await;
    assert_eq!(reply["payload"]["status"], "ok");
    assert_eq!(reply["payload"]["response"]["recovered"], false);
    assert!(reply["payload"]["response"]["reason"].is_string());
}

#[tokio::test]
async fn shutdown_closes_every_connection_with_going_away() {
    let broker = MemoryBroker::new();
    let server = serve(broker).await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut ws = ws_connect(server.addr, "").await;
        join(&mut ws, "1", "docs:a", None).await;
        sockets.push(ws);
    }
    server.shutdown.cancel();
    for ws in &mut sockets {
        assert_eq!(close_code(ws).await, Some(1001));
    }
    tokio::time::timeout(WAIT, server.task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn joins_are_limited_per_connection_and_a_double_join_is_refused() {
    let broker = MemoryBroker::new();
    let server = serve_channels(broker, |c| c.max_joins(2)).await;
    let mut ws = ws_connect(server.addr, "").await;
    assert_eq!(
        join(&mut ws, "1", "docs:a", None).await["payload"]["status"],
        "ok"
    );
    let again = join(&mut ws, "2", "docs:a", None).await;
    assert_eq!(again["payload"]["response"]["reason"], "already joined");
    assert_eq!(
        join(&mut ws, "3", "docs:b", None).await["payload"]["status"],
        "ok"
    );
    let third = join(&mut ws, "4", "docs:c", None).await;
    assert!(
        third["payload"]["response"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("too many")
    );
}

#[tokio::test]
async fn the_client_module_is_served() {
    let server = serve(MemoryBroker::new()).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::get("/client.js")
        .header("host", "t")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.contains("export class Socket") && text.contains("export class LiveSource"));
}

#[tokio::test]
async fn joins_failing_in_a_loop_log_one_line_a_second_not_one_each() {
    let logs = pubsub_core::testing::LogCapture::new();
    let _guard = logs.install();
    let server = serve(pubsub_core::testing::FailingBroker).await;
    let mut ws = ws_connect(server.addr, "").await;
    for i in 0..50 {
        let reply = join(&mut ws, &i.to_string(), &format!("docs:{i}"), None).await;
        assert_eq!(
            reply["payload"]["response"]["reason"], "unavailable",
            "{reply}"
        );
    }
    let lines = logs.contents().matches("join failed").count();
    assert!(
        (1..=2).contains(&lines),
        "{lines} lines for 50 failed joins"
    );
}

#[tokio::test]
async fn several_joins_on_one_connection_each_get_every_push_in_order() {
    let broker = MemoryBroker::new();
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "").await;
    let topics = ["docs:many:a", "docs:many:b", "docs:many:c"];
    for (at, topic) in topics.iter().enumerate() {
        join(&mut ws, &at.to_string(), topic, None).await;
    }
    // More than one batch of the writer's for each, interleaved.
    for n in 0..150 {
        for topic in topics {
            publish(&broker, topic, n).await;
        }
        if n % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut next = [0u64; 3];
    for _ in 0..150 * topics.len() {
        let push = recv(&mut ws).await;
        assert!(!push.is_null(), "closed; received up to {next:?}");
        let at: usize = push["join_ref"].as_str().unwrap().parse().unwrap();
        assert_eq!(push["topic"], topics[at], "{push}");
        assert_eq!(push["payload"]["n"], next[at], "in order per join: {push}");
        next[at] += 1;
    }
    assert_eq!(next, [150; 3]);
}

#[tokio::test]
async fn a_join_that_lags_gets_a_reload_then_its_later_pushes() {
    // A subscription buffer of 8: publishing 200 at once, without the connection's tasks
    // running in between (one thread), overflows it.
    let broker = MemoryBroker::with_capacity(8);
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "").await;
    join(&mut ws, "1", "docs:lag", None).await;
    for n in 0..200 {
        publish(&broker, "docs:lag", n).await;
    }
    assert!(broker.stats().lagged > 0, "{:?}", broker.stats());
    tokio::time::sleep(Duration::from_millis(50)).await;
    publish(&broker, "docs:lag", 1_000).await;
    let mut reloads = Vec::new();
    let mut last = None;
    loop {
        let push = recv(&mut ws).await;
        assert!(!push.is_null(), "closed before the last push");
        assert_eq!(push["join_ref"], "1", "{push}");
        if push["event"] == "$reload" {
            reloads.push(push["payload"]["reason"].as_str().unwrap().to_owned());
            continue;
        }
        let n = push["payload"]["n"].as_u64().unwrap();
        assert!(last < Some(n), "in order: {n} after {last:?}");
        last = Some(n);
        if n == 1_000 {
            break;
        }
    }
    assert!(
        !reloads.is_empty() && reloads.iter().all(|r| r.starts_with("lagged: ")),
        "{reloads:?}"
    );
}

#[tokio::test]
async fn a_topic_left_and_joined_again_at_once_pushes_each_message_once() {
    let broker = MemoryBroker::new();
    let server = serve(broker.clone()).await;
    let mut ws = ws_connect(server.addr, "").await;
    join(&mut ws, "1", "docs:again", None).await;
    // The leave and the new join back to back, without waiting for the leave's reply.
    send(
        &mut ws,
        json!({"ref": "2", "topic": "docs:again", "event": "$leave"}),
    )
    .await;
    send(
        &mut ws,
        json!({"ref": "3", "topic": "docs:again", "event": "$join", "payload": {}}),
    )
    .await;
    for reference in ["2", "3"] {
        let reply = recv(&mut ws).await;
        assert_eq!(
            (reply["ref"].as_str(), reply["payload"]["status"].as_str()),
            (Some(reference), Some("ok")),
            "{reply}"
        );
    }
    for n in 0..3 {
        publish(&broker, "docs:again", n).await;
    }
    let pushes = until_heartbeat(&mut ws, "4").await;
    let seen: Vec<_> = pushes
        .iter()
        .map(|p| (p["join_ref"].as_str().unwrap(), p["payload"]["n"].as_u64()))
        .collect();
    assert_eq!(seen, [("3", Some(0)), ("3", Some(1)), ("3", Some(2))]);
}

#[tokio::test]
async fn a_flood_of_joins_gets_the_burst_then_the_rate_and_the_rest_is_refused_cheaply() {
    const FLOOD: usize = 300;
    // A client looping over joins of fresh topics: each join past the budget is refused
    // before the app's authorization or the broker sees it.
    let broker = MemoryBroker::new();
    let server = serve_channels(broker.clone(), |c| {
        c.max_joins(10_000)
            .join_rate(pubsub_axum::JoinRate::new(1, 5))
    })
    .await;
    let mut ws = ws_connect(server.addr, "").await;
    let started = Instant::now();
    for i in 0..FLOOD {
        send(
            &mut ws,
            json!({"ref": i.to_string(), "topic": format!("docs:flood:{i}"), "event": "$join", "payload": {}}),
        )
        .await;
    }
    let mut ok = 0;
    for _ in 0..FLOOD {
        let reply = recv(&mut ws).await;
        assert_eq!(reply["event"], "$reply", "{reply}");
        match reply["payload"]["status"].as_str() {
            Some("ok") => ok += 1,
            _ => assert_eq!(
                reply["payload"]["response"]["reason"], "too many joins, slow down",
                "{reply}"
            ),
        }
    }
    let refilled = usize::try_from(started.elapsed().as_secs()).unwrap() + 1;
    assert!(
        (5..=5 + refilled).contains(&ok),
        "{ok} of {FLOOD} joins allowed in {:?} at a burst of 5 and 1 a second",
        started.elapsed()
    );
    assert_eq!(
        broker.topic_count(),
        ok,
        "only the allowed joins subscribed"
    );
    // The budget refills: a second later, one more join.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        join(&mut ws, "late", "docs:flood:late", None).await["payload"]["status"],
        "ok"
    );
}
