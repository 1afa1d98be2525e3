//! Hostile requests to the JSON API: every one is refused with a 4xx that says why, nothing is
//! written, and the pages keep serving.

use std::time::Duration;

use demo::Sample;
use demo::actions::limits::{NAME_CHARS, NOTE_CHARS, PARTIES, PRICE_CENTS, STOCK};
use demo::store::model::{Assignment, Interaction, Item};
use demo::web::BODY_LIMIT;
use serde_json::json;
use uuid::Uuid;

use crate::client::{Server, block, op, start_shared};

const JSON: &str = "application/json";

/// One request and what it must get: `Some(status)` exactly, or any 4xx.
struct Case {
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
    status: Option<u16>,
    /// Words the error must contain (the field, the bound).
    says: Vec<String>,
}

fn case(path: &str, body: impl Into<Vec<u8>>, status: Option<u16>, says: &[&str]) -> Case {
    Case {
        path: path.to_owned(),
        content_type: JSON,
        body: body.into(),
        status,
        says: says.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Numbers no numeric field takes: negative, fractional, over a bound, over `u32`/`u64`,
/// exponents, and a literal too large for any machine number.
fn bad_numbers() -> Vec<String> {
    let numbers: Vec<String> = [
        "-1",
        "-0.5",
        "1.5",
        "1e30",
        "-1e30",
        "1e308",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "100000001",
        "0.0000001",
    ]
    .map(str::to_owned)
    .to_vec();
    numbers
}

/// Values of the wrong type.
fn not_numbers() -> Vec<String> {
    [
        r#""12""#,
        "true",
        "null",
        "[]",
        "{}",
        r#""""#,
        "[1,2]",
        r#"{"$gt":0}"#,
    ]
    .map(str::to_owned)
    .into_iter()
    // Too large even for a float: the parser refuses it.
    .chain([format!("1{}", "0".repeat(400))])
    .collect()
}

/// Bodies that are not an object of the right shape at all.
fn garbage_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "",
        "{",
        "}",
        "not json",
        "{\"a\":}",
        "[]",
        "null",
        "42",
        "\"string\"",
        "{\"x\":1,}",
        "\u{feff}{}x",
    ]
    .iter()
    .map(|b| b.as_bytes().to_vec())
    .collect();
    bodies.push(vec![0xff, 0xfe, b'{', 0x80, b'}']);
    bodies.push(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes());
    bodies.push(format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000)).into_bytes());
    bodies
}

fn flood(items: &[Item], assignment: Uuid) -> Vec<Case> {
    let item = format!("/api/items/{}", items[0].id);
    let mut cases = Vec::new();
    numeric_cases(&item, &mut cases);
    text_cases(&item, assignment, &mut cases);
    garbage_cases(&item, assignment, &mut cases);
    unknown_id_cases(&mut cases);
    cut_cases(&mut cases);
    cases
}

/// Out-of-range and wrongly typed numbers, in every numeric field.
fn numeric_cases(item: &str, cases: &mut Vec<Case>) {
    let add_item = format!("/api/catalogues/{}/items", Sample::CATALOGUE);
    for (field, bound) in [("stock", u64::from(STOCK)), ("price_cents", PRICE_CENTS)] {
        let bound_text = bound.to_string();
        let over = [(bound + 1).to_string()];
        let other = if field == "stock" {
            "price_cents"
        } else {
            "stock"
        };
        for n in bad_numbers().iter().chain(&over).chain(&not_numbers()) {
            let numeric = n.parse::<f64>().is_ok_and(f64::is_finite);
            let says: &[&str] = if numeric {
                &[field, &bound_text]
            } else {
                &[field]
            };
            let status = numeric.then_some(422);
            cases.push(case(item, format!(r#"{{"{field}":{n}}}"#), status, says));
            cases.push(case(
                &add_item,
                format!(r#"{{"name":"Hostile","{field}":{n},"{other}":1}}"#),
                status,
                says,
            ));
        }
    }
}

/// The "cut connections" switch takes a whole number of milliseconds, at most 10 000.
fn cut_cases(cases: &mut Vec<Case>) {
    let over = ["10001".to_owned()];
    for n in bad_numbers().iter().chain(&over).chain(&not_numbers()) {
        let numeric = n.parse::<f64>().is_ok_and(f64::is_finite);
        let says: &[&str] = if numeric { &["ms", "10000"] } else { &["ms"] };
        cases.push(case(
            "/api/cut",
            format!(r#"{{"ms":{n}}}"#),
            numeric.then_some(422),
            says,
        ));
    }
}

/// Names, titles, notes, kinds and statuses out of bounds.
fn text_cases(item: &str, assignment: Uuid, cases: &mut Vec<Case>) {
    let add_item = format!("/api/catalogues/{}/items", Sample::CATALOGUE);
    let long_name = "x".repeat(NAME_CHARS + 1);
    let long_wide_name = "é".repeat(NAME_CHARS + 1);
    for name in [
        "",
        "   ",
        "\t\n",
        &long_name,
        &long_wide_name,
        &"y".repeat(60_000),
    ] {
        let body = json!({"name": name, "price_cents": 1, "stock": 1}).to_string();
        cases.push(case(&add_item, body, Some(422), &["name"]));
        let title = json!({"title": name}).to_string();
        let path = format!("/api/projects/{}/assignments", Sample::PROJECT);
        cases.push(case(&path, title, Some(422), &["title"]));
    }
    let interaction = |note: &str, parties: Vec<Uuid>| {
        json!({"contact_id": Sample::ADA, "party_ids": parties, "kind": "call", "note": note})
            .to_string()
    };
    let long_note = "n".repeat(NOTE_CHARS + 1);
    cases.push(case(
        "/api/interactions",
        interaction(&long_note, vec![]),
        Some(422),
        &["note"],
    ));
    let many = vec![Sample::GRACE; PARTIES + 1];
    cases.push(case(
        "/api/interactions",
        interaction("hi", many),
        Some(422),
        &["party_ids"],
    ));
    for kind in ["", "telegram", &"k".repeat(10_000)] {
        let body = json!({"contact_id": Sample::ADA, "party_ids": [], "kind": kind, "note": ""})
            .to_string();
        cases.push(case("/api/interactions", body, Some(422), &["kind"]));
    }
    for status in ["", "lost", &"s".repeat(10_000)] {
        let body = json!({ "status": status }).to_string();
        let path = format!("/api/assignments/{assignment}/status");
        cases.push(case(&path, body.clone(), Some(422), &["status"]));
        let path = format!("/api/people/{}/status", Sample::person(1));
        cases.push(case(&path, body, Some(422), &["status"]));
    }
    cases.push(case(item, "{}", Some(422), &["price_cents", "stock"]));
}

/// Every body endpoint, fed garbage.
fn garbage_cases(item: &str, assignment: Uuid, cases: &mut Vec<Case>) {
    let add_item = format!("/api/catalogues/{}/items", Sample::CATALOGUE);
    let body_endpoints = [
        "/api/interactions".to_owned(),
        format!("/api/interactions/{}", Uuid::new_v4()),
        format!("/api/projects/{}/assignments", Sample::PROJECT),
        format!("/api/assignments/{assignment}/status"),
        format!("/api/teams/{}/members", Sample::TEAM),
        format!("/api/people/{}/status", Sample::person(1)),
        add_item.clone(),
        item.to_owned(),
        "/api/jobs".to_owned(),
        "/api/simulate".to_owned(),
        "/api/cut".to_owned(),
    ];
    for path in &body_endpoints {
        for body in garbage_bodies() {
            cases.push(case(path, body, None, &[]));
        }
        for n in not_numbers() {
            cases.push(case(path, n, None, &[]));
        }
        // Over the body limit, with a valid start.
        let huge = format!(r#"{{"name":"{}"}}"#, "z".repeat(BODY_LIMIT));
        cases.push(case(path, huge, Some(413), &["limit"]));
        // Valid JSON with the wrong content type.
        let mut wrong = case(path, "{}", Some(415), &[]);
        wrong.content_type = "text/plain";
        cases.push(wrong);
    }
}

/// Unknown ids, in the path and in the body.
fn unknown_id_cases(cases: &mut Vec<Case>) {
    let unknown = Uuid::new_v4();
    let well_formed = [
        (format!("/api/items/{unknown}"), json!({"stock": 1})),
        (
            format!("/api/catalogues/{unknown}/items"),
            json!({"name": "n", "price_cents": 1, "stock": 1}),
        ),
        (
            format!("/api/interactions/{unknown}"),
            json!({"contact_id": Sample::ADA, "kind": "call"}),
        ),
        (format!("/api/interactions/{unknown}/delete"), json!({})),
        (format!("/api/contacts/{unknown}/burst"), json!({})),
        (
            format!("/api/projects/{unknown}/assignments"),
            json!({"title": "t"}),
        ),
        (
            format!("/api/assignments/{unknown}/status"),
            json!({"status": "done"}),
        ),
        (format!("/api/assignments/{unknown}/delete"), json!({})),
        (
            format!("/api/teams/{unknown}/members"),
            json!({"person_id": Sample::person(4)}),
        ),
        (
            format!("/api/teams/{}/members", Sample::TEAM),
            json!({"person_id": unknown}),
        ),
        (format!("/api/memberships/{unknown}/delete"), json!({})),
        (
            format!("/api/people/{unknown}/status"),
            json!({"status": "busy"}),
        ),
        ("/api/jobs".to_owned(), json!({"resource_id": unknown})),
        (
            "/api/interactions".to_owned(),
            json!({"contact_id": unknown, "kind": "call"}),
        ),
        (
            "/api/interactions".to_owned(),
            json!({"contact_id": Sample::ADA, "party_ids": [unknown], "kind": "call"}),
        ),
    ];
    for (path, body) in well_formed {
        cases.push(case(
            &path,
            body.to_string(),
            Some(404),
            &[&unknown.to_string()],
        ));
    }
    for bad_id in ["not-a-uuid", "0", "%00", "..%2f..%2fetc"] {
        cases.push(case(
            &format!("/api/items/{bad_id}"),
            r#"{"stock":1}"#,
            Some(400),
            &[],
        ));
        cases.push(case(
            &format!("/api/interactions/{bad_id}/delete"),
            "{}",
            Some(400),
            &[],
        ));
    }
    let long_id = "f".repeat(5_000);
    cases.push(case(
        &format!("/api/items/{long_id}"),
        r#"{"stock":1}"#,
        None,
        &[],
    ));
}

fn check(server: &Server, case: &Case) {
    let (status, text) = server.send(&case.path, case.content_type, &case.body);
    let shown = String::from_utf8_lossy(&case.body);
    let shown: String = shown.chars().take(80).collect();
    assert!(
        (400..500).contains(&status),
        "POST {} {shown}: {status} {text}",
        case.path
    );
    if let Some(want) = case.status {
        assert_eq!(status, want, "POST {} {shown}: {text}", case.path);
    }
    assert!(
        !text.trim().is_empty(),
        "POST {} {shown}: empty error",
        case.path
    );
    assert!(
        text.len() <= 1_000,
        "POST {} {shown}: error of {} bytes",
        case.path,
        text.len()
    );
    for word in &case.says {
        assert!(
            text.contains(word.as_str()),
            "POST {} {shown}: `{text}` lacks `{word}`",
            case.path
        );
    }
}

#[test]
fn an_out_of_range_stock_is_refused_with_its_field_and_bound_and_the_catalogue_stays_live() {
    let (server, state) = start_shared();
    let catalogue = server.live("/live/catalogue");
    catalogue.snapshot();
    let items = block(state.store.all::<Item>()).expect("items");
    let path = format!("/api/items/{}", items[0].id);
    let (status, text) = server.send(&path, JSON, br#"{"stock":4294967295}"#);
    assert_eq!(status, 422, "{text}");
    assert_eq!(
        text,
        "invalid stock: must be a whole number from 0 to 1000000, got 4294967295"
    );
    let stored = block(state.store.get::<Item>(items[0].id)).expect("store");
    assert_eq!(stored.as_ref(), Some(&items[0]), "nothing written");

    server.post(&path, &json!({"stock": STOCK}));
    let row = format!("item-{}", items[0].id);
    let frame = catalogue.wait_for("the row at the bound", Duration::from_secs(1), |f| {
        f["target"] == row.as_str()
    });
    assert!(op(&frame).1.contains(">1000000</td>"), "{frame}");
}

#[test]
fn a_flood_of_hostile_api_requests_gets_client_errors_and_the_pages_keep_serving() {
    let (server, state) = start_shared();
    let (items, assignments, interactions) = block(async {
        (
            state.store.all::<Item>().await.expect("items"),
            state.store.all::<Assignment>().await.expect("assignments"),
            state
                .store
                .all::<Interaction>()
                .await
                .expect("interactions"),
        )
    });
    let cases = flood(&items, assignments[0].id);
    assert!(cases.len() >= 300, "only {} requests", cases.len());
    eprintln!("{} hostile requests", cases.len());
    for case in &cases {
        check(&server, case);
    }

    // Oversized bodies as a raw client sends them: a huge declared length (nothing follows),
    // and a chunked body with no length that runs past the limit.
    let item = format!("/api/items/{}", items[0].id);
    for length in [BODY_LIMIT + 1, 1 << 20, 1 << 40] {
        let head = format!(
            "POST {item} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {length}"
        );
        let (status, text) = server.raw(&head, b"");
        assert_eq!(status, 413, "declared {length}: {text}");
        assert!(text.contains("limit"), "{text}");
    }
    // Lengths hyper itself refuses before the app sees them.
    for length in [u64::MAX.to_string(), "-1".to_owned(), "ten".to_owned()] {
        let head = format!(
            "POST {item} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {length}"
        );
        let (status, text) = server.raw(&head, b"");
        assert!(
            (400..500).contains(&status),
            "declared {length}: {status} {text}"
        );
    }
    let chunk = format!(r#"{{"stock":1,"pad":"{}"#, "p".repeat(BODY_LIMIT));
    let chunked = format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len());
    let head = format!(
        "POST {item} HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
    );
    let (status, text) = server.raw(&head, chunked.as_bytes());
    assert_eq!(status, 413, "chunked: {text}");

    // Nothing was written.
    let after = block(async {
        let mut items_after = state.store.all::<Item>().await.expect("items");
        let mut assignments_after = state.store.all::<Assignment>().await.expect("assignments");
        let interactions_after = state
            .store
            .all::<Interaction>()
            .await
            .expect("interactions");
        items_after.sort_by_key(|i| i.id);
        assignments_after.sort_by_key(|a| a.id);
        (items_after, assignments_after, interactions_after.len())
    });
    let mut before = (items.clone(), assignments.clone(), interactions.len());
    before.0.sort_by_key(|i| i.id);
    before.1.sort_by_key(|a| a.id);
    assert_eq!(after, before, "a refused request wrote something");

    // The pages keep serving, and the live ones keep streaming.
    for path in [
        "/".to_owned(),
        "/catalogue".to_owned(),
        "/jobs".to_owned(),
        format!("/contacts/{}", Sample::ADA),
        format!("/projects/{}", Sample::PROJECT),
        format!("/teams/{}", Sample::TEAM),
    ] {
        assert_eq!(server.get_status(&path), 200, "{path}");
    }
    let catalogue = server.live("/live/catalogue");
    catalogue.snapshot();
    server.post(&format!("/api/items/{}", items[0].id), &json!({"stock": 7}));
    let row = format!("item-{}", items[0].id);
    let frame = catalogue.wait_for("the row after the flood", Duration::from_secs(1), |f| {
        f["target"] == row.as_str()
    });
    assert!(op(&frame).1.contains(">7</td>"));
}
