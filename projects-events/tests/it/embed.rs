//! Embed UI intents go to the host's topic only.

use projects_events::{
    EmbedEvent, EmbedIntent, EmbedPayload, ProjectChange, ProjectPayload, broadcast_embed,
    broadcast_project, topic_embed,
};
use pubsub_core::{BrokerExt, Delivery, MemoryBroker, Topic, TryRecvError};

use crate::harness::{PROJECT, watch_candidates};

fn payload() -> EmbedPayload {
    let mut payload = EmbedPayload::new();
    payload.insert("project_uuid".to_owned(), PROJECT.to_string().into());
    payload
}

#[tokio::test]
async fn every_embed_intent_reaches_the_host_topic_and_no_projects_topic() {
    let broker = MemoryBroker::new();
    let mut screens = watch_candidates(&broker).await;
    let host = topic_embed(Topic::new("host:popup:1").unwrap());
    let other_host = topic_embed(Topic::new("host:popup:2").unwrap());
    let mut popup = broker.subscribe_events(&host).await.unwrap();
    let mut other_popup = broker.subscribe_events(&other_host).await.unwrap();

    for intent in EmbedIntent::ALL {
        let report = broadcast_embed(&broker, &host, intent, payload()).await;
        assert_eq!((report.topics, report.failed), (1, 0));
        match popup.try_recv() {
            Ok(Delivery::Message(event)) => assert_eq!(*event, intent.event(payload())),
            other => panic!("{intent:?}: host got {other:?}"),
        }
        assert_eq!(popup.try_recv().unwrap_err(), TryRecvError::Empty);
        assert_eq!(other_popup.try_recv().unwrap_err(), TryRecvError::Empty);
        assert!(
            screens.received().is_empty(),
            "{intent:?} leaked to a projects topic"
        );
    }
}

#[tokio::test]
async fn content_events_never_reach_a_host_topic() {
    let broker = MemoryBroker::new();
    let host = topic_embed(Topic::new("host:popup:1").unwrap());
    let mut popup = broker.subscribe_events(&host).await.unwrap();
    broadcast_project(
        &broker,
        ProjectChange::Created,
        ProjectPayload::new(PROJECT, "Roof"),
    )
    .await;
    assert_eq!(popup.try_recv().unwrap_err(), TryRecvError::Empty);
}

#[test]
fn embed_intents_map_to_their_wire_variants() {
    assert_eq!(
        EmbedIntent::Opened.event(payload()),
        EmbedEvent::Opened(payload())
    );
    assert_eq!(
        EmbedIntent::Closed.event(payload()),
        EmbedEvent::Closed(payload())
    );
    assert_eq!(
        EmbedIntent::Saved.event(payload()),
        EmbedEvent::Saved(payload())
    );
    assert_eq!(
        EmbedIntent::Deleted.event(payload()),
        EmbedEvent::Deleted(payload())
    );
}
