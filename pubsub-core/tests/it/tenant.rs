//! Tenant isolation: no subscriber ever receives another tenant's event.

use proptest::prelude::*;
use pubsub_core::testing::TestEvent;
use pubsub_core::{
    Broker, BrokerExt, Delivery, Error, MemoryBroker, Message, MultiTenant, Subscription,
    TenantKey, Topic, tenant_of,
};

/// Unscoped topics, including ones that already look scoped, which must not help a tenant reach
/// another's subscribers.
const TOPICS: &[&str] = &[
    "projects:all",
    "projects:project:1",
    "phoenix_kit_catalogue",
    "crm:org:globex:lists",
    "staff:org:acme",
    "org:acme:x",
];

fn tenant_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("acme".to_owned()),
        Just("globex".to_owned()),
        Just("initech".to_owned()),
        "[A-Za-z0-9_-]{1,12}",
    ]
}

fn label(tenant: &str, topic: usize, seq: usize) -> String {
    format!("{tenant}|{topic}|{seq}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every subscriber (tenant, topic) receives exactly what its own tenant published on that
    /// topic, and nothing else.
    #[test]
    fn no_subscriber_receives_another_tenants_event(
        tenants in proptest::collection::vec(tenant_key(), 1..5),
        subscriptions in proptest::collection::vec((0..4usize, 0..TOPICS.len()), 1..12),
        publishes in proptest::collection::vec((0..4usize, 0..TOPICS.len()), 0..40),
    ) {
        let keys: Vec<TenantKey> = tenants.iter().map(|t| TenantKey::new(t).unwrap()).collect();
        let broker = MultiTenant::new(MemoryBroker::with_capacity(1024));
        let topics: Vec<Topic> = TOPICS.iter().map(|t| Topic::new(t).unwrap()).collect();
        let mut subs: Vec<(usize, usize, Subscription)> = Vec::new();
        for &(tenant, topic) in &subscriptions {
            let tenant = tenant % keys.len();
            let scoped = broker.for_tenant(keys[tenant].clone());
            let sub = futures_util::FutureExt::now_or_never(scoped.subscribe(&topics[topic]))
                .unwrap()
                .unwrap();
            subs.push((tenant, topic, sub));
        }
        let mut sent: Vec<(usize, usize, String)> = Vec::new();
        for (seq, &(tenant, topic)) in publishes.iter().enumerate() {
            let tenant = tenant % keys.len();
            let text = label(keys[tenant].as_str(), topic, seq);
            let message = Message::new(TestEvent::Numbered { seq: seq as u64, label: text.clone() });
            let scoped = broker.for_tenant(keys[tenant].clone());
            futures_util::FutureExt::now_or_never(scoped.publish(&topics[topic], message))
                .unwrap()
                .unwrap();
            sent.push((tenant, topic, text));
        }
        for (tenant, topic, sub) in &mut subs {
            let mut got = Vec::new();
            while let Ok(delivery) = sub.try_recv() {
                let Delivery::Message(m) = delivery else { panic!("unexpected {delivery:?}") };
                let TestEvent::Numbered { label, .. } = &*m.decode::<TestEvent>().unwrap();
                got.push(label.clone());
            }
            // Same tenant key string means the same tenant, even at different indices.
            let want: Vec<String> = sent
                .iter()
                .filter(|(t, p, _)| keys[*t] == keys[*tenant] && p == topic)
                .map(|(_, _, l)| l.clone())
                .collect();
            prop_assert_eq!(got, want);
        }
    }

    /// Scoping is injective: two scoped topics are equal only for the same tenant and topic, and
    /// a scoped topic names its tenant.
    #[test]
    fn scoped_topics_name_exactly_one_tenant(
        a in tenant_key(), b in tenant_key(),
        x in "[a-z_]{1,8}(:[a-z0-9_:-]{0,12}[a-z0-9])?",
        y in "[a-z_]{1,8}(:[a-z0-9_:-]{0,12}[a-z0-9])?",
    ) {
        let (Ok(x), Ok(y)) = (Topic::new(&x), Topic::new(&y)) else { return Ok(()) };
        let (a, b) = (TenantKey::new(a).unwrap(), TenantKey::new(b).unwrap());
        let (ax, by) = (a.scope(&x).unwrap(), b.scope(&y).unwrap());
        prop_assert_eq!(ax == by, a == b && x == y);
        prop_assert_eq!(tenant_of(&ax), Some(a));
    }

    /// Only keys of 1 to 64 ASCII letters, digits, `-` and `_` are accepted, whatever the input.
    #[test]
    fn tenant_keys_accept_exactly_the_safe_alphabet(key in "\\PC{0,70}|[A-Za-z0-9_-]{0,70}") {
        let safe = !key.is_empty()
            && key.len() <= 64
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        prop_assert_eq!(TenantKey::new(&key).is_ok(), safe);
    }
}

#[tokio::test]
async fn multi_tenant_mode_refuses_unscoped_topics_with_a_clear_error() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let topic = Topic::new("projects:all").unwrap();
    let is_unscoped = |e: &Error| matches!(e, Error::Unscoped { topic } if topic == "projects:all");
    assert!(is_unscoped(&broker.subscribe(&topic).await.unwrap_err()));
    let message = Message::new(TestEvent::Numbered {
        seq: 0,
        label: String::new(),
    });
    assert!(is_unscoped(
        &broker.publish(&topic, message).await.unwrap_err()
    ));
    let acme = broker.for_tenant(TenantKey::new("acme").unwrap());
    let mut sub = acme.subscribe(&topic).await.unwrap();
    assert!(is_unscoped(
        &broker.add_topic(&mut sub, &topic).await.unwrap_err()
    ));
    assert_eq!(
        sub.topics().map(Topic::as_str).collect::<Vec<_>>(),
        ["projects:org:acme:all"]
    );
    assert!(acme.remove_topic(&mut sub, &topic));
}

#[tokio::test]
async fn single_tenant_mode_is_the_plain_broker_with_global_topics() {
    let broker = MemoryBroker::new();
    let topic = Topic::new("projects:all").unwrap();
    let mut sub = broker.subscribe(&topic).await.unwrap();
    broker
        .publish(
            &topic,
            Message::new(TestEvent::Numbered {
                seq: 1,
                label: String::new(),
            }),
        )
        .await
        .unwrap();
    assert!(matches!(sub.try_recv(), Ok(Delivery::Message(_))));
}

#[tokio::test]
async fn typed_events_flow_through_a_tenant_handle_held_as_dyn_broker() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let acme: Box<dyn Broker + '_> = Box::new(broker.for_tenant(TenantKey::new("acme").unwrap()));
    let topic = pubsub_core::TypedTopic::<TestEvent>::new(Topic::new("docs:all").unwrap());
    let mut sub = acme.subscribe_events(&topic).await.unwrap();
    acme.publish_event(
        &topic,
        TestEvent::Numbered {
            seq: 9,
            label: "t".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(sub.try_recv(), Ok(Delivery::Message(e)) if matches!(&*e, TestEvent::Numbered { seq: 9, .. }))
    );
}
