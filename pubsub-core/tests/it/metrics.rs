//! Counters per broker and per topic prefix, and their export through the `metrics` facade.

use pubsub_core::testing::TestEvent;
use pubsub_core::{MemoryBroker, Message, Topic};

fn msg() -> Message {
    Message::new(TestEvent::Numbered {
        seq: 0,
        label: String::new(),
    })
}

fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

#[test]
fn prefix_stats_count_publishes_deliveries_lag_topics_and_subscribers_per_domain() {
    let broker = MemoryBroker::builder()
        .capacity(1)
        .prefix_stats(true)
        .build();
    let a = broker.subscribe_now(&topic("crm:lists"));
    let mut b = broker.subscribe_now(&topic("crm:company:1"));
    broker.add_topic_now(&mut b, &topic("staff:teams")).unwrap();
    for _ in 0..3 {
        broker.publish_now(&topic("crm:lists"), &msg());
    }
    broker.publish_now(&topic("staff:teams"), &msg());
    broker.publish_now(&topic("staff:nobody"), &msg());
    let stats = broker.prefix_stats().unwrap();
    let by = |p: &str| stats.iter().find(|s| s.prefix == p).cloned().unwrap();
    let crm = by("crm");
    assert_eq!((crm.published, crm.delivered, crm.lagged), (3, 3, 2));
    assert_eq!((crm.topics, crm.subscribers), (2, 2));
    let staff = by("staff");
    assert_eq!(
        (
            staff.published,
            staff.delivered,
            staff.topics,
            staff.subscribers
        ),
        (2, 1, 1, 1)
    );
    drop((a, b));
    let stats = broker.prefix_stats().unwrap();
    assert!(stats.iter().all(|s| s.topics == 0 && s.subscribers == 0));
}

#[test]
fn prefix_stats_are_off_unless_enabled() {
    assert!(MemoryBroker::new().prefix_stats().is_none());
}

#[test]
fn reconnects_are_counted_for_network_backends() {
    let node = pubsub_core::backend::Node::builder().build();
    node.record_reconnect();
    node.record_reconnect();
    assert_eq!(node.stats().reconnects, 2);
    assert_eq!(node.local().stats().reconnects, 2);
}

#[cfg(feature = "metrics")]
#[test]
fn export_records_counters_and_gauges_with_broker_and_prefix_labels() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    type Exported = (String, Vec<(String, String)>, DebugValue);

    let broker = MemoryBroker::builder().prefix_stats(true).build();
    let _sub = broker.subscribe_now(&topic("crm:lists"));
    broker.publish_now(&topic("crm:lists"), &msg());
    broker.publish_now(&topic("crm:lists"), &msg());
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || broker.export_metrics("main"));
    let metrics: Vec<Exported> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    let find = |name: &str, prefix: Option<&str>| {
        metrics
            .iter()
            .find(|(n, labels, _)| {
                n == name
                    && labels.contains(&("broker".to_owned(), "main".to_owned()))
                    && prefix.is_none_or(|p| labels.contains(&("prefix".to_owned(), p.to_owned())))
                    && (prefix.is_some() || labels.len() == 1)
            })
            .map_or_else(|| panic!("{name} {prefix:?} not exported"), |(_, _, v)| v)
    };
    assert_eq!(
        *find("pubsub_published_total", None),
        DebugValue::Counter(2)
    );
    assert_eq!(
        *find("pubsub_delivered_total", Some("crm")),
        DebugValue::Counter(2)
    );
    assert_eq!(*find("pubsub_topics", None), DebugValue::Gauge(1.0.into()));
    assert_eq!(
        *find("pubsub_subscribers", Some("crm")),
        DebugValue::Gauge(1.0.into())
    );
}
