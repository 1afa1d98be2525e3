use super::*;

#[test]
fn valid_names_are_accepted_and_kept_verbatim() {
    for name in [
        "a",
        "projects:all",
        "crm:contact:1:interactions",
        "x-y_z.w:~!@#$%^&*()[]{}<>?/|\\'\"=+,;`",
    ] {
        assert_eq!(Topic::new(name).unwrap().as_str(), name);
    }
}

#[test]
fn invisible_and_look_alike_characters_are_refused_with_their_position() {
    // Each of these makes a topic that prints like `crm:lists` (or nearly) in a log.
    for ch in [
        '\u{200B}',  // zero-width space
        '\u{200C}',  // zero-width non-joiner
        '\u{200D}',  // zero-width joiner
        '\u{202E}',  // right-to-left override
        '\u{2066}',  // left-to-right isolate
        '\u{FEFF}',  // byte-order mark
        '\u{00AD}',  // soft hyphen
        '\u{2060}',  // word joiner
        '\u{E0041}', // tag Latin capital A
        '\u{0301}',  // combining acute accent
        '\u{0430}',  // Cyrillic a
        '\u{FF1A}',  // fullwidth colon
        'ü',
    ] {
        let name = format!("crm:li{ch}sts");
        let err = Topic::new(&name).unwrap_err();
        assert_eq!(
            err,
            TopicError::InvalidChar {
                topic: name.clone(),
                ch,
                position: 6
            },
            "{ch:?}"
        );
        // The message shows the hidden character escaped, so a log reader can see it.
        assert!(err.to_string().contains(&format!("{ch:?}")), "{err}");
    }
}

proptest::proptest! {
    #[test]
    fn a_topic_is_accepted_only_if_every_char_is_printable_ascii(name in "\\PC{1,40}") {
        let printable = name.chars().all(|c| c.is_ascii_graphic());
        let accepted = Topic::new(&name).is_ok();
        // Accepted implies printable; printable and well-segmented implies accepted.
        proptest::prop_assert!(!accepted || printable);
        if printable && !name.split(SEPARATOR).any(str::is_empty) {
            proptest::prop_assert!(accepted);
        }
    }
}

#[test]
fn empty_name_is_refused() {
    assert_eq!(Topic::new(""), Err(TopicError::Empty));
}

#[test]
fn over_long_name_is_refused_with_its_length() {
    let name = "a".repeat(MAX_LEN + 1);
    let err = Topic::new(&name).unwrap_err();
    assert!(
        matches!(err, TopicError::TooLong { len, max, .. } if len == MAX_LEN + 1 && max == MAX_LEN)
    );
    assert!(Topic::new("a".repeat(MAX_LEN)).is_ok());
}

#[test]
fn whitespace_and_control_characters_are_refused_with_their_position() {
    for (name, ch, position) in [
        ("a b", ' ', 1),
        ("a\tb", '\t', 1),
        ("ab\n", '\n', 2),
        ("a\u{0}", '\u{0}', 1),
        ("a\u{a0}b", '\u{a0}', 1),
        ("\u{2003}", '\u{2003}', 0),
    ] {
        let err = Topic::new(name).unwrap_err();
        assert_eq!(
            err,
            TopicError::InvalidChar {
                topic: name.to_owned(),
                ch,
                position
            }
        );
    }
}

#[test]
fn empty_segments_are_refused_with_their_index() {
    for (name, index) in [(":a", 0), ("a:", 1), ("a::b", 1), (":", 0), ("a:b:", 2)] {
        let err = Topic::new(name).unwrap_err();
        assert_eq!(
            err,
            TopicError::EmptySegment {
                topic: name.to_owned(),
                index
            }
        );
    }
}

#[test]
fn static_topics_equal_parsed_ones_and_hash_alike() {
    use std::collections::HashSet;
    const T: Topic = Topic::from_static("projects:all");
    let parsed = Topic::new("projects:all").unwrap();
    assert_eq!(T, parsed);
    let set: HashSet<Topic> = [T, parsed].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn static_name_check_matches_runtime_rules_for_ascii() {
    for name in ["a", "a:b", ":a", "a:", "a::b", "a b", "", "a\tb"] {
        assert_eq!(
            static_name_is_valid(name.as_bytes(), MAX_LEN),
            Topic::new(name).is_ok(),
            "{name:?}"
        );
    }
}

#[test]
fn patterns_make_valid_topics() {
    const P: TopicPattern = TopicPattern::new("crm:contact:", ":interactions");
    const Q: TopicPattern = TopicPattern::new("projects:project:", "");
    let id = uuid::Uuid::new_v4();
    let t = P.topic(id);
    assert_eq!(t.as_str(), format!("crm:contact:{id}:interactions"));
    assert_eq!(Topic::new(t.as_str()).unwrap(), t);
    assert_eq!(Q.topic(id).as_str(), format!("projects:project:{id}"));
}

#[test]
#[should_panic(expected = "prefix must end with")]
fn pattern_prefix_without_separator_panics_outside_const() {
    let _ = TopicPattern::new("crm:contact", "");
}

#[test]
fn serde_round_trips_and_validates() {
    let t = Topic::new("a:b").unwrap();
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(json, "\"a:b\"");
    assert_eq!(serde_json::from_str::<Topic>(&json).unwrap(), t);
    assert!(serde_json::from_str::<Topic>("\"a::b\"").is_err());
}

#[test]
fn first_segment_and_segments() {
    let t = Topic::new("staff:team:1").unwrap();
    assert_eq!(t.first_segment(), "staff");
    assert_eq!(t.segments().collect::<Vec<_>>(), ["staff", "team", "1"]);
    assert_eq!(Topic::new("solo").unwrap().first_segment(), "solo");
}
