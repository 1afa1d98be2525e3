//! A steady stream for the topology tests: one publisher per topic on one node, numbered
//! messages every 5 ms, and what the other node's subscribers received of it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pubsub_core::testing::TestEvent;
use pubsub_core::{Broker, Delivery, Message, Subscription, Topic};
use pubsub_redis::RedisBroker;

/// Message `seq` of a stream.
pub(crate) fn numbered(seq: u64) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: "stream".to_owned(),
    })
}

/// The number of a stream's message.
pub(crate) fn seq_of(message: &Message) -> u64 {
    match message.decode::<TestEvent>() {
        Ok(event) => match &*event {
            TestEvent::Numbered { seq, .. } => *seq,
        },
        Err(e) => panic!("not a suite message: {e}"),
    }
}

/// One publisher per topic, a message every 5 ms, failures counted, until told to stop.
pub(crate) struct Stream {
    stop: Arc<AtomicBool>,
    publishers: Vec<tokio::task::JoinHandle<Vec<u64>>>,
}

impl Stream {
    /// Starts publishing every one of `topics` from `b`.
    pub(crate) fn start<'a>(b: &RedisBroker, topics: impl IntoIterator<Item = &'a Topic>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut publishers = Vec::new();
        for topic in topics {
            let (b, stop, topic) = (b.clone(), Arc::clone(&stop), topic.clone());
            publishers.push(tokio::spawn(async move {
                let (mut seq, mut published) = (0, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    seq += 1;
                    if b.publish(&topic, numbered(seq)).await.is_ok() {
                        published.push(seq);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                published
            }));
        }
        Stream { stop, publishers }
    }

    /// Stops the publishers; the numbers each published successfully.
    pub(crate) async fn finish(self) -> Vec<Vec<u64>> {
        self.stop.store(true, Ordering::Relaxed);
        let mut published = Vec::new();
        for publisher in self.publishers {
            published.push(publisher.await.expect("a publisher"));
        }
        published
    }
}

/// What each subscription (one per topic, by index) received so far.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// The numbers delivered, per topic.
    pub(crate) messages: HashMap<usize, Vec<u64>>,
    /// The gap notices, per topic.
    pub(crate) gaps: HashMap<usize, usize>,
    /// When each topic's latest message arrived.
    pub(crate) last_at: HashMap<usize, tokio::time::Instant>,
    /// The longest time between two of a topic's messages arriving (as seen by the drains,
    /// every 20 ms or so while waiting).
    pub(crate) longest_silence: HashMap<usize, Duration>,
}

impl Received {
    /// Takes what is buffered in each subscription.
    ///
    /// # Panics
    ///
    /// On a lag: the stream is slow enough that none is expected.
    pub(crate) fn drain(&mut self, subs: &mut [Subscription]) {
        for (i, sub) in subs.iter_mut().enumerate() {
            while let Ok(delivery) = sub.try_recv() {
                match delivery {
                    Delivery::Message(message) => {
                        self.messages.entry(i).or_default().push(seq_of(&message));
                        let now = tokio::time::Instant::now();
                        if let Some(last) = self.last_at.insert(i, now) {
                            let longest = self.longest_silence.entry(i).or_default();
                            *longest = (*longest).max(now - last);
                        }
                    }
                    Delivery::Gap => *self.gaps.entry(i).or_default() += 1,
                    Delivery::Lagged(n) => panic!("topic {i} lagged by {n}"),
                }
            }
        }
    }

    /// Drains `subs` every 5 ms until `done` has finished (so that
    /// [`longest_silence`](Self::longest_silence) sees what happens meanwhile), then returns
    /// its output.
    pub(crate) async fn watch<T: Send + 'static>(
        &mut self,
        subs: &mut [Subscription],
        done: tokio::task::JoinHandle<T>,
    ) -> T {
        while !done.is_finished() {
            self.drain(subs);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        done.await.expect("the watched task")
    }

    /// Drains `subs` until every topic had a message after `since`, or panics after `within`.
    pub(crate) async fn until_all_after(
        &mut self,
        subs: &mut [Subscription],
        since: tokio::time::Instant,
        within: Duration,
    ) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            self.drain(subs);
            let live = (0..subs.len())
                .filter(|i| self.last_at.get(i).is_some_and(|at| *at > since))
                .count();
            if live == subs.len() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "delivery did not resume on every topic: {live} of {}, gaps {:?}",
                subs.len(),
                self.gaps
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Topic `i` arrived in order and without duplicates.
    pub(crate) fn assert_in_order(&self, i: usize) {
        let got = &self.messages[&i];
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "topic {i} in order, once: {got:?}"
        );
    }

    /// Topic `i` got no notice and every publish that succeeded up to its last delivery.
    pub(crate) fn assert_complete(&self, i: usize, published: &[u64]) {
        assert_eq!(self.gaps.get(&i), None, "topic {i} has no gap notice");
        let got = &self.messages[&i];
        let last = *got.last().expect("something");
        let want: Vec<u64> = published.iter().copied().filter(|s| *s <= last).collect();
        assert_eq!(
            got, &want,
            "topic {i}: every successful publish, once, in order"
        );
    }
}

/// Node `a`'s subscriptions to `topics` while node `b` streams to each of them: the scenario
/// the topology tests run, around their fault.
pub(crate) struct Steady {
    pub(crate) subs: Vec<Subscription>,
    pub(crate) received: Received,
    stream: Stream,
}

impl Steady {
    /// Subscribes `a` to every topic, starts `b`'s stream, and takes 300 ms of it.
    pub(crate) async fn start(a: &RedisBroker, b: &RedisBroker, topics: &[(Topic, u16)]) -> Self {
        let mut subs = Vec::new();
        for (topic, _) in topics {
            subs.push(a.subscribe(topic).await.expect("subscribe"));
        }
        let stream = Stream::start(b, topics.iter().map(|(topic, _)| topic));
        let mut received = Received::default();
        tokio::time::sleep(Duration::from_millis(300)).await;
        received.drain(&mut subs);
        Steady {
            subs,
            received,
            stream,
        }
    }

    /// Drains until every topic had a message after `since`, or panics after `within`.
    pub(crate) async fn until_all_after(&mut self, since: tokio::time::Instant, within: Duration) {
        self.received
            .until_all_after(&mut self.subs, since, within)
            .await;
    }

    /// Stops the stream once notices (sent off the reader) had a moment, takes the rest, and
    /// returns what was received with what each publisher published successfully.
    pub(crate) async fn finish(mut self) -> (Received, Vec<Vec<u64>>) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let published = self.stream.finish().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.received.drain(&mut self.subs);
        (self.received, published)
    }
}

impl Received {
    /// Topic `i` arrived in order; with a notice when it was `affected` by the fault, else
    /// complete and without one.
    pub(crate) fn assert_after_fault(&self, i: usize, affected: bool, published: &[u64]) {
        self.assert_in_order(i);
        if affected {
            assert!(
                self.gaps.get(&i).copied().unwrap_or(0) >= 1,
                "topic {i}, affected by the fault, has a gap notice"
            );
        } else {
            self.assert_complete(i, published);
        }
    }
}
