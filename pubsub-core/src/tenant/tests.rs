use super::*;

#[test]
fn keys_of_letters_digits_dashes_and_underscores_are_accepted() {
    for key in [
        "a",
        "acme",
        "ACME_2",
        "org-42",
        "6f1c2a9e-0b7d-4c1e-9a55-2f7a1d3e4b5c",
    ] {
        assert_eq!(TenantKey::new(key).unwrap().as_str(), key);
    }
    assert!(TenantKey::new("x".repeat(MAX_TENANT_LEN)).is_ok());
}

#[test]
fn keys_that_could_escape_their_segment_are_refused() {
    let lookalikes = [
        '\u{ff1a}', // fullwidth colon
        '\u{fe55}', // small colon
        '\u{fe13}', // presentation form for vertical colon
        '\u{2236}', // ratio
        '\u{a789}', // modifier letter colon
        '\u{02d0}', // modifier letter triangular colon
        '\u{0589}', // armenian full stop
        '\u{05c3}', // hebrew punctuation sof pasuq
        '\u{1361}', // ethiopic wordspace
        '\u{205a}', // two dot punctuation
    ];
    for ch in lookalikes.into_iter().chain([
        ':', ' ', '\t', '\n', '\u{0}', '\u{a0}', '\u{200b}', 'é', '.', '/', '*',
    ]) {
        let key = format!("acme{ch}all");
        assert_eq!(
            TenantKey::new(&key),
            Err(TenantError::InvalidChar {
                key: key.clone(),
                ch,
                position: 4
            }),
            "{ch:?}"
        );
    }
}

#[test]
fn empty_and_over_long_keys_are_refused() {
    assert_eq!(TenantKey::new(""), Err(TenantError::Empty));
    assert_eq!(
        TenantKey::new("x".repeat(MAX_TENANT_LEN + 1)),
        Err(TenantError::TooLong {
            len: MAX_TENANT_LEN + 1,
            max: MAX_TENANT_LEN
        })
    );
}

#[test]
fn scoping_threads_the_tenant_after_the_first_segment() {
    let acme = TenantKey::new("acme").unwrap();
    for (topic, scoped) in [
        ("projects:all", "projects:org:acme:all"),
        ("projects:project:1", "projects:org:acme:project:1"),
        ("phoenix_kit_catalogue", "phoenix_kit_catalogue:org:acme"),
        (
            "crm:contact:7:interactions",
            "crm:org:acme:contact:7:interactions",
        ),
    ] {
        let scoped_topic = acme.scope(&Topic::new(topic).unwrap()).unwrap();
        assert_eq!(scoped_topic.as_str(), scoped);
        assert_eq!(tenant_of(&scoped_topic), Some(acme.clone()));
    }
}

#[test]
fn scoping_a_topic_near_the_length_limit_is_an_error_not_a_panic() {
    let long = Topic::new("a".repeat(crate::topic::MAX_LEN)).unwrap();
    let err = TenantKey::new("acme").unwrap().scope(&long).unwrap_err();
    assert!(matches!(err, crate::TopicError::TooLong { .. }));
}

#[test]
fn topics_without_the_scope_shape_have_no_tenant() {
    for topic in [
        "projects",
        "projects:all",
        "projects:org",
        "org:acme",
        "projects:orgs:acme",
    ] {
        assert_eq!(tenant_of(&Topic::new(topic).unwrap()), None, "{topic}");
    }
}

mod in_place {
    use proptest::prelude::*;

    use super::*;

    fn segment() -> impl Strategy<Value = String> {
        "[a-z0-9_]{1,6}"
    }

    fn topic() -> impl Strategy<Value = Topic> {
        proptest::collection::vec(segment(), 1..4)
            .prop_map(|segments| Topic::new(segments.join(":")).unwrap())
    }

    fn key() -> impl Strategy<Value = TenantKey> {
        prop_oneof![Just("acme"), Just("acm"), Just("acme2"), Just("org")]
            .prop_map(|key| TenantKey::new(key).unwrap())
    }

    proptest! {
        /// The in-place comparison agrees with building the scoped name, for the topic's own
        /// scoped name and for look-alikes (other tenants, other topics, prefixes and
        /// extensions of the scoped name).
        #[test]
        fn is_scope_of_agrees_with_scope(
            tenant in key(),
            other in key(),
            topic in topic(),
            near in topic(),
            cut in 0usize..8,
        ) {
            let built = other.scope(&near).unwrap();
            let mut candidates = vec![
                built.as_str().to_owned(),
                tenant.scope(&topic).unwrap().as_str().to_owned(),
                topic.as_str().to_owned(),
                format!("{}:x", tenant.scope(&topic).unwrap().as_str()),
            ];
            let own = tenant.scope(&topic).unwrap();
            candidates.push(own.as_str()[..own.as_str().len().saturating_sub(cut)].to_owned());
            for candidate in candidates {
                let expected = tenant.scope(&topic).unwrap().as_str() == candidate;
                prop_assert_eq!(
                    tenant.is_scope_of(&candidate, topic.as_str()),
                    expected,
                    "{} as {} of {}", candidate, tenant, topic
                );
            }
        }
    }
}
