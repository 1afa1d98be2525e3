use super::*;

fn refused(text: &str) -> Refused {
    match parse(text) {
        Err(refused) => refused,
        Ok(frame) => panic!("accepted {text:?} as {frame:?}"),
    }
}

#[test]
fn joins_leaves_and_heartbeats_parse() {
    let join = parse(
        r#"{"ref":"1","topic":"docs:1","event":"$join","payload":{"since":"3.0000000000000009","params":{"token":"t"},"presence":true}}"#,
    );
    let Ok(ClientFrame::Join {
        reference,
        topic,
        since,
        params,
        presence,
    }) = join
    else {
        panic!("{join:?}")
    };
    assert_eq!((reference.as_str(), topic.as_str()), ("1", "docs:1"));
    assert_eq!(since.map(|p| p.offset), Some(3));
    assert_eq!(params["token"], "t");
    assert!(presence);
    assert!(matches!(
        parse(r#"{"ref":"2","topic":"docs:1","event":"$join"}"#),
        Ok(ClientFrame::Join {
            since: None,
            presence: false,
            ..
        })
    ));
    assert!(matches!(
        parse(r#"{"ref":"3","topic":"docs:1","event":"$leave"}"#),
        Ok(ClientFrame::Leave { .. })
    ));
    assert!(matches!(
        parse(r#"{"ref":"4","event":"$heartbeat"}"#),
        Ok(ClientFrame::Heartbeat { .. })
    ));
}

#[test]
fn bad_frames_are_refused_with_their_ref_when_it_was_readable() {
    assert_eq!(refused("not json").reference, None);
    assert_eq!(refused("[1,2]").reference, None);
    assert_eq!(refused(r#"{"ref":1,"event":"$heartbeat"}"#).reference, None);
    assert_eq!(
        refused(&format!(
            r#"{{"ref":"{}","event":"$heartbeat"}}"#,
            "x".repeat(33)
        ))
        .reference,
        None
    );
    let cases = [
        r#"{"ref":"9","event":"$jion","topic":"a"}"#,
        r#"{"ref":"9","topic":"a"}"#,
        r#"{"ref":"9","event":"$join"}"#,
        r#"{"ref":"9","event":"$join","topic":""}"#,
        r#"{"ref":"9","event":"$join","topic":"a b"}"#,
        r#"{"ref":"9","event":"$join","topic":"a","payload":{"since":"12"}}"#,
        r#"{"ref":"9","event":"$join","topic":"a","payload":{"since":12}}"#,
        r#"{"ref":"9","event":"$join","topic":"a","payload":[]}"#,
    ];
    for case in cases {
        let refused = refused(case);
        assert_eq!(refused.reference.as_deref(), Some("9"), "{case}");
        assert!(
            refused.reason.len() <= MAX_REASON_LEN + 3,
            "{}",
            refused.reason
        );
    }
}

#[test]
fn reasons_are_clipped_whatever_the_input() {
    let long = format!(r#"{{"ref":"1","event":"{}"}}"#, "é".repeat(10_000));
    assert!(refused(&long).reason.len() <= MAX_REASON_LEN + 3);
    let deep = "[".repeat(100_000);
    assert!(refused(&deep).reason.len() <= MAX_REASON_LEN + 3);
}

#[test]
fn a_push_is_valid_json_with_the_cached_payload() {
    let topic = Topic::new("docs:\"1\"").unwrap();
    let prefix = push_prefix("7", &topic);
    let message = Message::from_json("docs", "sa\"ved", r#"{"id":1}"#);
    let frame: Value = serde_json::from_str(&push(&prefix, &message).unwrap()).unwrap();
    assert_eq!(
        frame,
        json!({"join_ref":"7","topic":"docs:\"1\"","event":"sa\"ved","payload":{"id":1}})
    );
    let reload: Value = serde_json::from_str(&reload(&prefix, "lagged")).unwrap();
    assert_eq!(reload["event"], "$reload");
    assert_eq!(reload["payload"]["reason"], "lagged");
}

#[test]
fn a_name_is_written_as_serde_json_writes_it() {
    for name in [
        "doc_saved",
        "ünïcode",
        "quo\"te",
        "back\\slash",
        "line\nbreak",
        "\u{1}",
        "\u{7f}",
    ] {
        let mut frame = String::new();
        push_json_string(&mut frame, name);
        assert_eq!(frame, serde_json::to_string(name).unwrap(), "{name:?}");
    }
}
