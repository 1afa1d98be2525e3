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

#[tokio::test]
async fn a_subscription_made_through_one_tenant_refuses_another_tenants_topics_through_any_handle()
{
    let broker = MultiTenant::new(MemoryBroker::new());
    let acme = broker.for_tenant(TenantKey::new("acme").unwrap());
    let globex = broker.for_tenant(TenantKey::new("globex").unwrap());
    let all = Topic::new("projects:all").unwrap();
    let mut sub = acme.subscribe(&all).await.unwrap();
    assert_eq!(sub.scope().map(TenantKey::as_str), Some("acme"));

    let theirs = Topic::new("projects:org:globex:all").unwrap();
    let refusals = [
        globex.add_topic(&mut sub, &all).await.unwrap_err(),
        broker.add_topic(&mut sub, &theirs).await.unwrap_err(),
        broker
            .get_ref()
            .add_topic(&mut sub, &theirs)
            .await
            .unwrap_err(),
        broker
            .get_ref()
            .add_topic(&mut sub, &all)
            .await
            .unwrap_err(),
    ];
    for err in refusals {
        assert!(
            matches!(&err, Error::ForeignScope { tenant, .. } if tenant == "acme"),
            "{err}"
        );
    }
    assert_eq!(sub.topic_count(), 1);
    // The subscription's own tenant may still add topics, through either handle.
    acme.add_topic(&mut sub, &Topic::new("projects:tasks").unwrap())
        .await
        .unwrap();
    broker
        .add_topic(
            &mut sub,
            &Topic::new("projects:org:acme:templates").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(sub.topic_count(), 3);
    // And globex's publish on the same name never reaches it.
    globex
        .publish(&all, Message::from_json("t", "e", "{}"))
        .await
        .unwrap();
    assert!(sub.try_recv().is_err());
}

#[tokio::test]
async fn a_subscription_scoped_through_multi_tenant_keeps_its_first_tenant_even_with_no_topic() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let ours = Topic::new("crm:org:acme:lists").unwrap();
    let mut sub = broker.subscribe(&ours).await.unwrap();
    assert!(broker.remove_topic(&mut sub, &ours));
    let theirs = Topic::new("crm:org:globex:lists").unwrap();
    assert!(matches!(
        broker.add_topic(&mut sub, &theirs).await,
        Err(Error::ForeignScope { .. })
    ));
}

#[tokio::test]
async fn an_owned_tenant_handle_moves_into_a_spawned_task_and_clones() {
    let broker = MultiTenant::new(MemoryBroker::new());
    let acme = broker.for_tenant(TenantKey::new("acme").unwrap());
    let all = pubsub_core::TypedTopic::<TestEvent>::new(Topic::new("docs:all").unwrap());
    let mut screen = acme.subscribe_events(&all).await.unwrap();
    let publisher = acme.clone();
    let topic = all.clone();
    tokio::spawn(async move {
        let event = TestEvent::Numbered {
            seq: 1,
            label: "owned".to_owned(),
        };
        publisher.publish_event(&topic, event).await
    })
    .await
    .unwrap()
    .unwrap();
    assert!(matches!(screen.recv().await, Some(Delivery::Message(_))));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever handle tries to add whatever topic, a scoped subscription only ever holds topics
    /// of its own tenant.
    #[test]
    fn a_scoped_subscription_only_ever_holds_its_own_tenants_topics(
        adds in proptest::collection::vec((0..3usize, 0..3usize, 0..TOPICS.len(), any::<bool>()), 1..40),
    ) {
        let keys: Vec<TenantKey> = ["acme", "globex", "initech"].iter().map(|k| TenantKey::new(k).unwrap()).collect();
        let broker = MultiTenant::new(MemoryBroker::new());
        let topics: Vec<Topic> = TOPICS.iter().map(|t| Topic::new(t).unwrap()).collect();
        let mut subs: Vec<Subscription> = keys
            .iter()
            .map(|k| futures_util::FutureExt::now_or_never(broker.for_tenant(k.clone()).subscribe(&topics[0])).unwrap().unwrap())
            .collect();
        for (handle, sub, topic, raw) in adds {
            let outcome = if raw {
                // Straight through the inner broker, with the other tenant's scoped name.
                let scoped = keys[handle].scope(&topics[topic]).unwrap();
                futures_util::FutureExt::now_or_never(broker.get_ref().add_topic(&mut subs[sub], &scoped)).unwrap()
            } else {
                let scoped = broker.for_tenant(keys[handle].clone());
                futures_util::FutureExt::now_or_never(scoped.add_topic(&mut subs[sub], &topics[topic])).unwrap()
            };
            prop_assert_eq!(outcome.is_ok(), handle == sub, "handle {} adding to sub {}", handle, sub);
        }
        for (i, sub) in subs.iter().enumerate() {
            for topic in sub.topics() {
                prop_assert_eq!(tenant_of(topic), Some(keys[i].clone()));
            }
        }
    }
}
