//! The exact topic strings of SPEC.md.

use pubsub_core::MemoryBroker;
use staff_events::{
    DEPARTMENT, DEPARTMENTS, PEOPLE, PERSON, SKILL, SKILLS, TEAM, TEAMS, subscribe,
    topic_department, topic_departments, topic_people, topic_person, topic_skill, topic_skills,
    topic_team, topic_teams, unsubscribe,
};
use uuid::Uuid;

const UUID: &str = "0190a5d2-7e3c-7000-8000-00000000abcd";

#[test]
fn list_topics_have_the_exact_upstream_names() {
    assert_eq!(topic_departments().as_str(), "staff:departments");
    assert_eq!(topic_teams().as_str(), "staff:teams");
    assert_eq!(topic_people().as_str(), "staff:people");
    assert_eq!(topic_skills().as_str(), "staff:skills");
}

#[test]
fn record_topics_are_the_prefix_and_the_lowercase_hyphenated_uuid() {
    let uuid: Uuid = UUID.to_uppercase().parse().unwrap();
    assert_eq!(
        topic_department(uuid).as_str(),
        "staff:department:0190a5d2-7e3c-7000-8000-00000000abcd"
    );
    assert_eq!(
        topic_team(uuid).as_str(),
        "staff:team:0190a5d2-7e3c-7000-8000-00000000abcd"
    );
    assert_eq!(
        topic_person(uuid).as_str(),
        "staff:person:0190a5d2-7e3c-7000-8000-00000000abcd"
    );
    assert_eq!(
        topic_skill(uuid).as_str(),
        "staff:skill:0190a5d2-7e3c-7000-8000-00000000abcd"
    );
}

#[test]
fn constants_and_functions_name_the_same_topics() {
    let uuid: Uuid = UUID.parse().unwrap();
    assert_eq!(topic_departments(), DEPARTMENTS);
    assert_eq!(topic_teams(), TEAMS);
    assert_eq!(topic_people(), PEOPLE);
    assert_eq!(topic_skills(), SKILLS);
    assert_eq!(topic_department(uuid), DEPARTMENT.topic(uuid));
    assert_eq!(topic_team(uuid), TEAM.topic(uuid));
    assert_eq!(topic_person(uuid), PERSON.topic(uuid));
    assert_eq!(topic_skill(uuid), SKILL.topic(uuid));
}

#[tokio::test]
async fn subscribe_then_unsubscribe_leaves_no_topic_behind() {
    let broker = MemoryBroker::new();
    let mut sub = subscribe(&broker, &topic_people()).await.unwrap();
    assert_eq!(broker.topics(), vec![PEOPLE]);
    assert!(unsubscribe(&broker, &mut sub, &topic_people()));
    assert!(!unsubscribe(&broker, &mut sub, &topic_people()));
    assert_eq!(broker.topic_count(), 0);
}
