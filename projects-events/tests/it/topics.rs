//! The exact topic strings of SPEC.md.

use projects_events::{
    ALL, PROJECT, TASKS, TEMPLATES, subscribe, topic_all, topic_embed, topic_project, topic_tasks,
    topic_templates, unsubscribe,
};
use pubsub_core::{MemoryBroker, Topic};
use uuid::Uuid;

const UUID: &str = "0190a5d2-7e3c-7000-8000-00000000abcd";

#[test]
fn fixed_topics_have_the_exact_upstream_names() {
    assert_eq!(topic_all().as_str(), "projects:all");
    assert_eq!(topic_tasks().as_str(), "projects:tasks");
    assert_eq!(topic_templates().as_str(), "projects:templates");
}

#[test]
fn constants_and_functions_name_the_same_topics() {
    let uuid: Uuid = UUID.parse().unwrap();
    assert_eq!(topic_all(), ALL);
    assert_eq!(topic_tasks(), TASKS);
    assert_eq!(topic_templates(), TEMPLATES);
    assert_eq!(topic_project(uuid), PROJECT.topic(uuid));
}

#[test]
fn project_topic_is_the_prefix_and_the_lowercase_hyphenated_uuid() {
    let uuid: Uuid = UUID.to_uppercase().parse().unwrap();
    assert_eq!(
        topic_project(uuid).as_str(),
        "projects:project:0190a5d2-7e3c-7000-8000-00000000abcd"
    );
}

#[test]
fn embed_topic_is_the_host_topic_unchanged() {
    let host = Topic::new("host:popup:7").unwrap();
    assert_eq!(topic_embed(host.clone()).into_topic(), host);
}

#[tokio::test]
async fn subscribe_then_unsubscribe_leaves_no_topic_behind() {
    let broker = MemoryBroker::new();
    let mut sub = subscribe(&broker, &topic_all()).await.unwrap();
    assert_eq!(broker.topics(), vec![ALL]);
    assert!(unsubscribe(&broker, &mut sub, &topic_all()));
    assert!(!unsubscribe(&broker, &mut sub, &topic_all()));
    assert_eq!(broker.topic_count(), 0);
}
