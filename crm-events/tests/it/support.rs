//! Shared fixtures: a small CRM world, every candidate topic subscribed, and test brokers whose
//! publish fails or panics.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use crm_events::{
    CrmEvent, subscribe, topic_company, topic_company_interactions, topic_contact_interactions,
    topic_lists,
};
use pubsub_core::{
    Broker, Delivery, Error, MemoryBroker, Message, Subscription, Topic, TypedSubscription,
    async_trait,
};
use uuid::Uuid;

/// Four contacts and three companies; `dan` and `globex` are never involved in the scenarios.
#[derive(Debug, Clone, Copy)]
pub(crate) struct World {
    pub(crate) ann: Uuid,
    pub(crate) bob: Uuid,
    pub(crate) cat: Uuid,
    pub(crate) dan: Uuid,
    pub(crate) acme: Uuid,
    pub(crate) initech: Uuid,
    pub(crate) globex: Uuid,
}

impl World {
    pub(crate) fn new() -> Self {
        World {
            ann: Uuid::new_v4(),
            bob: Uuid::new_v4(),
            cat: Uuid::new_v4(),
            dan: Uuid::new_v4(),
            acme: Uuid::new_v4(),
            initech: Uuid::new_v4(),
            globex: Uuid::new_v4(),
        }
    }

    fn contacts(&self) -> [(&'static str, Uuid); 4] {
        [
            ("ann", self.ann),
            ("bob", self.bob),
            ("cat", self.cat),
            ("dan", self.dan),
        ]
    }

    fn companies(&self) -> [(&'static str, Uuid); 3] {
        [
            ("acme", self.acme),
            ("initech", self.initech),
            ("globex", self.globex),
        ]
    }
}

/// One subscription per candidate topic of the CRM domain, labelled
/// `contact:<name>`, `company_interactions:<name>`, `company:<name>` and `lists`.
pub(crate) struct Screens {
    subs: Vec<(String, TypedSubscription<CrmEvent>)>,
}

impl Screens {
    pub(crate) async fn subscribe_all(broker: &MemoryBroker, world: &World) -> Self {
        let mut topics = Vec::new();
        for (name, id) in world.contacts() {
            topics.push((format!("contact:{name}"), topic_contact_interactions(id)));
        }
        for (name, id) in world.companies() {
            topics.push((
                format!("company_interactions:{name}"),
                topic_company_interactions(id),
            ));
            topics.push((format!("company:{name}"), topic_company(id)));
        }
        topics.push(("lists".to_owned(), topic_lists()));
        let mut subs = Vec::new();
        for (label, topic) in topics {
            subs.push((label, subscribe(broker, &topic).await.expect("subscribe")));
        }
        Screens { subs }
    }

    /// Drains every subscription (the memory broker delivers synchronously).
    pub(crate) fn received(&mut self) -> BTreeMap<String, Vec<CrmEvent>> {
        let mut out = BTreeMap::new();
        for (label, sub) in &mut self.subs {
            let mut events = Vec::new();
            while let Ok(delivery) = sub.try_recv() {
                match delivery {
                    Delivery::Message(event) => events.push((*event).clone()),
                    other => panic!("{label}: unexpected notice {other:?}"),
                }
            }
            out.insert(label.clone(), events);
        }
        out
    }

    /// Asserts that exactly the screens `expected` received `event`, once each, and that every
    /// other screen received nothing.
    pub(crate) fn assert_reached(&mut self, expected: &[&str], event: &CrmEvent) {
        let received = self.received();
        for label in expected {
            assert!(
                received.contains_key(*label),
                "unknown screen label {label}"
            );
        }
        for (label, events) in &received {
            if expected.contains(&label.as_str()) {
                assert_eq!(
                    events,
                    std::slice::from_ref(event),
                    "{label} should receive the event exactly once"
                );
            } else {
                assert!(
                    events.is_empty(),
                    "{label} should receive nothing, got {events:?}"
                );
            }
        }
    }
}

/// A broker whose every operation fails.
#[derive(Debug)]
pub(crate) struct FailingBroker;

#[async_trait]
impl Broker for FailingBroker {
    async fn publish(&self, _topic: &Topic, _message: Message) -> Result<(), Error> {
        Err(Error::Closed)
    }

    async fn subscribe(&self, _topic: &Topic) -> Result<Subscription, Error> {
        Err(Error::Closed)
    }

    async fn add_topic(
        &self,
        _subscription: &mut Subscription,
        _topic: &Topic,
    ) -> Result<(), Error> {
        Err(Error::Closed)
    }

    fn remove_topic(&self, _subscription: &mut Subscription, _topic: &Topic) -> bool {
        false
    }
}

/// A broker whose publish panics.
#[derive(Debug)]
pub(crate) struct PanickingBroker;

#[async_trait]
impl Broker for PanickingBroker {
    async fn publish(&self, topic: &Topic, _message: Message) -> Result<(), Error> {
        panic!("publish to {topic} exploded");
    }

    async fn subscribe(&self, _topic: &Topic) -> Result<Subscription, Error> {
        Err(Error::Closed)
    }

    async fn add_topic(
        &self,
        _subscription: &mut Subscription,
        _topic: &Topic,
    ) -> Result<(), Error> {
        Err(Error::Closed)
    }

    fn remove_topic(&self, _subscription: &mut Subscription, _topic: &Topic) -> bool {
        false
    }
}

/// A log buffer that a `tracing` subscriber writes into.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub(crate) fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }

    /// A subscriber writing plain text into this buffer; install it with
    /// `tracing::subscriber::set_default` in a current-thread test.
    pub(crate) fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let buffer = self.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || buffer.clone())
            .finish()
    }
}

impl io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
