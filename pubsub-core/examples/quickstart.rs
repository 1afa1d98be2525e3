//! A subscriber receiving live events, a lag notice, and an unsubscribe.
//!
//! Run it with `cargo run --example quickstart`.

use pubsub_core::{BrokerExt, Delivery, Event, MemoryBroker, Topic, TypedTopic};
use serde::{Deserialize, Serialize};

/// An application's own domain: documents being edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
enum DocEvent {
    DocSaved { id: u32, revision: u32 },
}

impl Event for DocEvent {
    const DOMAIN: &'static str = "docs";
    fn name(&self) -> &'static str {
        match self {
            DocEvent::DocSaved { .. } => "doc_saved",
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A small buffer, so the lag notice shows quickly.
    let broker = MemoryBroker::with_capacity(4);
    let doc: TypedTopic<DocEvent> = TypedTopic::new(Topic::new("docs:doc:1")?);

    // 1. A screen subscribes (before loading its initial state), then an edit is published.
    let mut screen = broker.subscribe_events(&doc).await?;
    broker
        .publish_event(&doc, DocEvent::DocSaved { id: 1, revision: 1 })
        .await?;
    if let Some(Delivery::Message(event)) = screen.recv().await {
        println!("live event:   {:?}", *event);
    }

    // 2. The screen falls behind: ten edits, but it buffers only four.
    for revision in 2..12 {
        broker
            .publish_event(&doc, DocEvent::DocSaved { id: 1, revision })
            .await?;
    }
    while let Ok(delivery) = screen.try_recv() {
        match delivery {
            Delivery::Lagged(missed) => {
                println!("lag notice:   missed {missed}, reloading the document");
            }
            Delivery::Message(event) => println!("live event:   {:?}", *event),
            Delivery::Gap => println!("gap notice:   reloading the document"),
        }
    }

    // 3. The screen closes: dropping the subscription unsubscribes, leaving no trace.
    println!("topics with subscribers: {}", broker.topic_count());
    drop(screen);
    println!("after unsubscribe:       {}", broker.topic_count());
    let stats = broker.stats();
    println!(
        "published {}, delivered {}, lagged {}",
        stats.published, stats.delivered, stats.lagged
    );
    Ok(())
}
