use super::*;
use pubsub_core::history::Epoch;

fn topics(n: usize) -> Vec<Topic> {
    (0..n)
        .map(|i| Topic::new(format!("docs:{i}")).expect("valid"))
        .collect()
}

#[test]
fn a_token_round_trips_for_the_same_topics() {
    let topics = topics(MAX_TOPICS);
    let mut token = ResumeToken::empty(topics.len());
    for i in 0..MAX_TOPICS {
        token.set(i, Position::new(u64::MAX, Epoch::new(u64::MAX - i as u64)));
    }
    let text = token.encode(&topics);
    assert!(
        text.len() <= MAX_TOKEN_LEN,
        "{} > {MAX_TOKEN_LEN}",
        text.len()
    );
    assert_eq!(ResumeToken::parse(&text, &topics), Ok(token));
}

#[test]
fn hostile_tokens_are_refused_whole() {
    let topics = topics(3);
    let good = "0_1.0000000000000001";
    let hash = format!("{:08x}", topics_hash(&topics));
    let cases = [
        String::new(),
        "-".to_owned(),
        format!("{hash}~0_1.0000000000000001"),
        "ABCDEF01".to_owned(),
        format!("{hash}-"),
        format!("{hash}-{good}~{good}"),
        format!("{hash}-3_1.0000000000000001"),
        format!("{hash}-99_1.0000000000000001"),
        format!("{hash}-007_1.0000000000000001"),
        format!("{hash}-0_1.000000000000001"),
        format!("{hash}-0~1.0000000000000001"),
        format!("{hash}-_1.0000000000000001"),
        format!("{hash}-+1_1.0000000000000001"),
        format!("{hash}-0_99999999999999999999999.0000000000000001"),
        format!("{hash}-0_1.0000000000000001x"),
        format!("{hash}{}", "-0_1.0000000000000001".repeat(10_000)),
        "é".repeat(20),
        format!("00000000-{good}"),
    ];
    for case in &cases {
        assert!(
            ResumeToken::parse(case, &topics).is_err(),
            "accepted {case:?}"
        );
    }
    assert!(ResumeToken::parse(&format!("{hash}-{good}"), &topics).is_ok());
    assert!(ResumeToken::parse(&hash, &topics).is_ok());
}

#[test]
fn the_hash_depends_on_names_and_order() {
    let a = [Topic::new("a").unwrap(), Topic::new("bc").unwrap()];
    let b = [Topic::new("ab").unwrap(), Topic::new("c").unwrap()];
    let c = [Topic::new("bc").unwrap(), Topic::new("a").unwrap()];
    assert_ne!(topics_hash(&a), topics_hash(&b));
    assert_ne!(topics_hash(&a), topics_hash(&c));
}
