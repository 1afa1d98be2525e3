//! Shared fixtures: test brokers whose publish fails or panics, and a log buffer.

use std::io;
use std::sync::{Arc, Mutex};

use pubsub_core::{Broker, Error, Message, Subscription, Topic, async_trait};

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
