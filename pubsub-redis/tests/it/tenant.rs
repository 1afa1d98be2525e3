//! Tenant isolation across nodes: two nodes sharing one Redis, scoped to different tenants, never
//! see each other's events.

use std::time::Duration;

use proptest::prelude::*;
use pubsub_core::testing::TestEvent;
use pubsub_core::{Broker, Delivery, Message, MultiTenant, Subscription, TenantKey, Topic};
use pubsub_redis::{ChannelMode, RedisBroker};

use crate::server::{Target, pair};

const TENANTS: [&str; 3] = ["acme", "globex", "initech"];
const TOPICS: [&str; 3] = ["projects:all", "staff:teams", "crm:org:globex:lists"];

/// Everything `sub` receives until `expected` labels arrived and a quiet spell passed.
async fn collect(sub: &mut Subscription, expected: usize) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let wait = if got.len() < expected {
            crate::WAIT
        } else {
            Duration::from_millis(100)
        };
        match tokio::time::timeout(wait, sub.recv()).await {
            Ok(Some(Delivery::Message(m))) => {
                let TestEvent::Numbered { label, .. } = &*m.decode::<TestEvent>().expect("decode");
                got.push(label.clone());
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) if got.len() >= expected => return got,
            Err(elapsed) => panic!("only {got:?} of {expected} arrived: {elapsed}"),
        }
    }
}

/// Subscribers on node A and publishers on node B, each through a tenant handle; every subscriber
/// must receive exactly its own tenant's publishes on its topic.
async fn isolation_case(
    a: &MultiTenant<RedisBroker>,
    b: &MultiTenant<RedisBroker>,
    subscriptions: &[(usize, usize)],
    publishes: &[(usize, usize)],
    round: u64,
) {
    let key = |t: usize| TenantKey::new(TENANTS[t]).expect("tenant");
    let topic = |p: usize| Topic::new(TOPICS[p]).expect("topic");
    let mut subs = Vec::new();
    for &(tenant, t) in subscriptions {
        let sub = a
            .for_tenant(key(tenant))
            .subscribe(&topic(t))
            .await
            .expect("subscribe");
        subs.push((tenant, t, sub));
    }
    for (seq, &(tenant, t)) in (0u64..).zip(publishes) {
        let label = format!("{round}|{tenant}|{t}|{seq}");
        let message = Message::new(TestEvent::Numbered { seq, label });
        b.for_tenant(key(tenant))
            .publish(&topic(t), message)
            .await
            .expect("publish");
    }
    for (tenant, t, sub) in &mut subs {
        let want: Vec<String> = (0u64..)
            .zip(publishes)
            .filter(|(_, (pt, pp))| pt == tenant && pp == t)
            .map(|(seq, (pt, pp))| format!("{round}|{pt}|{pp}|{seq}"))
            .collect();
        let got = collect(sub, want.len()).await;
        assert_eq!(got, want, "tenant {} on {}", TENANTS[*tenant], TOPICS[*t]);
    }
}

fn run_isolation_proptest(mode: ChannelMode) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let target = Target::new();
    let (a, b) = runtime.block_on(pair(target.url(), mode, 1024));
    let (a, b) = (MultiTenant::new(a), MultiTenant::new(b));
    let round = std::sync::atomic::AtomicU64::new(0);
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        subscriptions in proptest::collection::vec((0..3usize, 0..3usize), 1..6),
        publishes in proptest::collection::vec((0..3usize, 0..3usize), 1..12),
    )| {
        let round = round.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime.block_on(isolation_case(&a, &b, &subscriptions, &publishes, round));
    });
}

#[test]
fn no_subscriber_on_one_node_receives_another_tenants_event_from_another_node_namespace_mode() {
    run_isolation_proptest(ChannelMode::Namespace);
}

#[test]
fn no_subscriber_on_one_node_receives_another_tenants_event_from_another_node_per_topic_mode() {
    run_isolation_proptest(ChannelMode::PerTopic);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unscoped_publish_is_refused_before_it_reaches_redis() {
    let target = Target::new();
    let (a, _b) = pair(target.url(), ChannelMode::Namespace, 64).await;
    let broker = MultiTenant::new(a);
    let message = Message::new(TestEvent::Numbered {
        seq: 0,
        label: String::new(),
    });
    let err = broker
        .publish(&Topic::new("projects:all").expect("topic"), message)
        .await;
    assert!(matches!(err, Err(pubsub_core::Error::Unscoped { .. })));
    assert_eq!(broker.get_ref().stats().sent, 0);
}
