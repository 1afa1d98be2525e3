//! A channel connection's writer task: it owns the joins' subscriptions and takes their
//! deliveries itself (one task wake-up per batch of deliveries, no task per join), besides the
//! bounded queue of replies, presence frames and control messages from the reader, in order;
//! several frames per write, under a write timeout. Each join is polled with a waker of its own
//! (`ready.rs`), so a wake-up polls only the joins that were woken.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use pubsub_core::{Delivery, Subscription, Topic};
use tokio::sync::mpsc;

use super::CLOSE_SLOW;
use super::conn::Outbound;
use super::frames;
use super::ready::{JoinWaker, Ready};

/// At most this many queued frames go into one write.
const BATCH: usize = 64;

/// A join as the writer holds it: the pushes of its subscription.
#[derive(Debug)]
pub(crate) struct Pushing {
    pub(crate) topic: Topic,
    pub(crate) prefix: String,
    pub(crate) subscription: Subscription,
}

/// The writer's sources: the reader's queue first, then the joins that were woken, in the
/// order they were woken; a join that fills a batch goes behind the others, so a busy join
/// does not starve them.
struct Sources {
    rx: mpsc::Receiver<Outbound>,
    joins: HashMap<u64, Held>,
    ready: Arc<Ready>,
    /// Keys of the joins to poll, oldest first (taken from `ready`, or left by a full batch).
    woken: VecDeque<u64>,
    next_key: u64,
    /// Joins polled so far: what the tests count.
    #[cfg(test)]
    polls: usize,
}

/// A join and its waker.
struct Held {
    pushing: Pushing,
    join: Arc<JoinWaker>,
    waker: Waker,
}

/// What one wake-up of the writer found.
enum Taken {
    /// Frames to write (at least one), at most [`BATCH`].
    Frames,
    /// A close frame to write after the frames taken, then stop.
    Close(u16, &'static str),
    /// The reader is gone (its queue closed): stop.
    Done,
}

impl Sources {
    fn new(rx: mpsc::Receiver<Outbound>) -> Self {
        Sources {
            rx,
            joins: HashMap::new(),
            ready: Arc::default(),
            woken: VecDeque::new(),
            next_key: 0,
            #[cfg(test)]
            polls: 0,
        }
    }

    /// Adds a join, to be polled first thing (and, when it is the second, the first once more
    /// with its own waker).
    fn join(&mut self, pushing: Pushing) {
        let key = self.next_key;
        self.next_key += 1;
        let (join, waker) = JoinWaker::new(key, &self.ready);
        if let Some((&only, held)) = self.joins.iter().next().filter(|_| self.joins.len() == 1) {
            // Its subscription may hold the writer's waker (one join is polled with that):
            // polled once with its own, it registers that instead.
            held.join.requeued();
            if !self.woken.contains(&only) {
                self.woken.push_back(only);
            }
        }
        self.joins.insert(
            key,
            Held {
                pushing,
                join,
                waker,
            },
        );
        self.woken.push_back(key);
    }

    /// Takes what is ready, up to [`BATCH`] frames into `out`; pending until something is.
    /// Joins and leaves are applied in their place in the queue: a join's pushes come after
    /// its reply, none of a left join's after the leave's reply.
    ///
    /// While there are joins, the reader's queue fills at most half a batch before the joins
    /// are polled (the rest after them): a client that keeps the queue full (a stream of
    /// heartbeats or bad frames) does not hold back its joins' pushes until they lag.
    fn poll_take(&mut self, cx: &mut Context<'_>, out: &mut Vec<String>) -> Poll<Taken> {
        let share = if self.joins.is_empty() {
            BATCH
        } else {
            BATCH / 2
        };
        if let Some(taken) = self.take_queued(cx, out, share) {
            return Poll::Ready(taken);
        }
        self.take_pushes(cx, out);
        if let Some(taken) = self.take_queued(cx, out, BATCH) {
            return Poll::Ready(taken);
        }
        self.finish(cx, out)
    }

    /// What a look found: the frames taken, or nothing yet. A join taken from the queue after
    /// the pushes were (it came meanwhile) waits in `woken`, and no wake announces what it may
    /// hold already: then the writer is woken to look again.
    fn finish(&self, cx: &Context<'_>, out: &[String]) -> Poll<Taken> {
        if !out.is_empty() {
            return Poll::Ready(Taken::Frames);
        }
        if !self.woken.is_empty() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }

    /// Takes from the reader's queue until `out` holds `up_to` frames or the queue is empty
    /// (then its waker is registered); `Some` when the writer must stop taking: a close, or the
    /// reader gone.
    fn take_queued(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Vec<String>,
        up_to: usize,
    ) -> Option<Taken> {
        while out.len() < up_to {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(Outbound::Text(text))) => out.push(text),
                Poll::Ready(Some(Outbound::Join(join))) => self.join(*join),
                Poll::Ready(Some(Outbound::Leave(topic))) => {
                    self.joins.retain(|_, held| held.pushing.topic != topic);
                }
                Poll::Ready(Some(Outbound::Close(code, reason))) => {
                    return Some(Taken::Close(code, reason));
                }
                // What was taken is written first; the queue stays closed.
                Poll::Ready(None) if out.is_empty() => return Some(Taken::Done),
                Poll::Ready(None) => return Some(Taken::Frames),
                Poll::Pending => break,
            }
        }
        None
    }

    /// Takes the woken joins' deliveries into `out`, up to [`BATCH`] frames; a join whose
    /// stream ended gets its `$reload` and is dropped. A join is polled with its own waker, so
    /// the joins not woken are not looked at. A connection with one join (the common case)
    /// polls it with the writer's own waker at every wake-up instead, as if there were no
    /// ready set.
    fn take_pushes(&mut self, cx: &mut Context<'_>, out: &mut Vec<String>) {
        if self.joins.len() == 1 {
            #[cfg(test)]
            {
                self.polls += 1;
            }
            self.woken.clear();
            let mut closed = None;
            for (&key, held) in &mut self.joins {
                if take_join(&mut held.pushing, cx, out) == Took::Closed {
                    closed = Some(key);
                }
            }
            if let Some(key) = closed {
                self.joins.remove(&key);
            }
            return;
        }
        self.ready.take(cx.waker(), &mut self.woken);
        while out.len() < BATCH {
            let Some(key) = self.woken.pop_front() else {
                return;
            };
            // A join left since it was woken is gone.
            let Some(held) = self.joins.get_mut(&key) else {
                continue;
            };
            held.join.polling();
            #[cfg(test)]
            {
                self.polls += 1;
            }
            match take_join(
                &mut held.pushing,
                &mut Context::from_waker(&held.waker),
                out,
            ) {
                Took::Pending => {}
                Took::Full => {
                    // Deliveries may be left: its turn comes again, after the others.
                    held.join.requeued();
                    self.woken.push_back(key);
                    return;
                }
                Took::Closed => {
                    self.joins.remove(&key);
                }
            }
        }
    }
}

/// How taking from a join ended.
#[derive(Debug, PartialEq)]
enum Took {
    /// Nothing more now; `cx`'s waker is registered.
    Pending,
    /// The batch is full (deliveries may be left).
    Full,
    /// Its stream ended (its `$reload` taken): drop it.
    Closed,
}

/// Takes `join`'s deliveries into `out` until the batch is full or the join has nothing more.
fn take_join(join: &mut Pushing, cx: &mut Context<'_>, out: &mut Vec<String>) -> Took {
    loop {
        if out.len() >= BATCH {
            return Took::Full;
        }
        // What is there without registering a waker; the waker once it is empty.
        let polled = match join.subscription.try_recv() {
            Ok(delivery) => Poll::Ready(Some(delivery)),
            Err(pubsub_core::TryRecvError::Closed) => Poll::Ready(None),
            Err(pubsub_core::TryRecvError::Empty) => join.subscription.poll_recv(cx),
        };
        match polled {
            Poll::Ready(Some(delivery)) => out.extend(frame(&join.prefix, delivery)),
            Poll::Ready(None) => {
                out.push(frames::reload(&join.prefix, "closed: the broker is gone"));
                return Took::Closed;
            }
            Poll::Pending => return Took::Pending,
        }
    }
}

/// The push (or `$reload`) of one delivery; `None` for an event that cannot be encoded.
fn frame(prefix: &str, delivery: Delivery<pubsub_core::Message>) -> Option<String> {
    match delivery {
        Delivery::Message(message) => frames::push(prefix, &message),
        Delivery::Lagged(missed) => {
            Some(frames::reload(prefix, &format!("lagged: {missed} missed")))
        }
        Delivery::Gap => Some(frames::reload(prefix, "gap: messages may have been lost")),
    }
}

/// The writer: the reader's queue and the joins' deliveries, several frames per write; a write
/// that stalls past `timeout` ends the connection. While a write waits, the joins are not
/// polled: their deliveries wait in their subscriptions' own bounded buffers, where a lag is
/// recovered from the history or reported (a `$reload`).
pub(crate) async fn write(
    mut sink: SplitSink<WebSocket, WsMessage>,
    rx: mpsc::Receiver<Outbound>,
    timeout: Duration,
) {
    let mut sources = Sources::new(rx);
    // Grows with the batches, up to [`BATCH`] frames.
    let mut out = Vec::new();
    loop {
        let taken = std::future::poll_fn(|cx| sources.poll_take(cx, &mut out)).await;
        let close = match taken {
            Taken::Frames => None,
            Taken::Close(code, reason) => Some((code, reason)),
            Taken::Done => return,
        };
        match tokio::time::timeout(timeout, write_batch(&mut sink, &mut out, close)).await {
            Ok(Ok(())) if close.is_none() => {}
            Ok(_) => return,
            Err(_elapsed) => {
                tracing::debug!("a channel connection stopped reading: closed");
                // Best effort: a socket that takes nothing more gets nothing more.
                let close = close_frame(CLOSE_SLOW, "too slow");
                let _ = tokio::time::timeout(Duration::from_millis(10), sink.send(close)).await;
                return;
            }
        }
    }
}

/// Writes the frames taken (emptying `out`), then the close frame if there is one.
async fn write_batch(
    sink: &mut SplitSink<WebSocket, WsMessage>,
    out: &mut Vec<String>,
    close: Option<(u16, &'static str)>,
) -> Result<(), axum::Error> {
    for text in out.drain(..) {
        sink.feed(WsMessage::Text(text.into())).await?;
    }
    match close {
        Some((code, reason)) => sink.send(close_frame(code, reason)).await,
        None => sink.flush().await,
    }
}

pub(crate) fn close_frame(code: u16, reason: &'static str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use pubsub_core::testing::TestEvent;
    use pubsub_core::{MemoryBroker, Message};

    use super::*;

    #[test]
    fn a_full_reader_queue_leaves_half_of_each_batch_to_the_joins() {
        let broker = MemoryBroker::new();
        let topic = Topic::new("docs:busy").unwrap();
        let busy = pushing(&broker, &topic, "1");
        for seq in 0..10 {
            broker.publish_now(&topic, &numbered(seq));
        }
        let (tx, rx) = mpsc::channel(256);
        for i in 0..200 {
            tx.try_send(Outbound::Text(format!("reply {i}"))).unwrap();
        }
        let mut sources = Sources::new(rx);
        sources.join(busy);
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        assert!(matches!(
            sources.poll_take(&mut cx, &mut out),
            Poll::Ready(Taken::Frames)
        ));
        assert_eq!(out.len(), BATCH);
        let pushes = out.iter().filter(|f| !f.starts_with("reply")).count();
        assert_eq!(pushes, 10, "every push in the first batch: {out:?}");
        let replies: Vec<&String> = out.iter().filter(|f| f.starts_with("reply")).collect();
        assert!(
            replies
                .iter()
                .enumerate()
                .all(|(i, r)| **r == format!("reply {i}")),
            "replies in order"
        );
        // The next batch goes on with the queue where it stopped.
        out.clear();
        assert!(matches!(
            sources.poll_take(&mut cx, &mut out),
            Poll::Ready(Taken::Frames)
        ));
        assert_eq!(out[0], "reply 54");
    }

    fn numbered(seq: u64) -> Message {
        Message::new(TestEvent::Numbered {
            seq,
            label: "p".to_owned(),
        })
    }

    /// A join of `topic` as the reader hands it over, with reference `reference`.
    fn pushing(broker: &MemoryBroker, topic: &Topic, reference: &str) -> Pushing {
        Pushing {
            prefix: frames::push_prefix(reference, topic),
            topic: topic.clone(),
            subscription: broker.subscribe_now(topic),
        }
    }

    /// Sources with one join per topic, the topics, and the reader's side of the queue (the
    /// writer stops when it is dropped).
    fn joined(
        broker: &MemoryBroker,
        count: usize,
    ) -> (Sources, Vec<Topic>, mpsc::Sender<Outbound>) {
        let (tx, rx) = mpsc::channel(8);
        let mut sources = Sources::new(rx);
        let topics: Vec<Topic> = (0..count)
            .map(|i| Topic::new(format!("docs:{i}")).unwrap())
            .collect();
        for (i, topic) in topics.iter().enumerate() {
            sources.join(pushing(broker, topic, &i.to_string()));
        }
        (sources, topics, tx)
    }

    #[test]
    fn a_wake_up_polls_only_the_joins_that_were_woken() {
        let broker = MemoryBroker::new();
        let (mut sources, topics, _tx) = joined(&broker, 100);
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        // A new join is polled once (it may hold replayed deliveries).
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        assert_eq!(sources.polls, 100);
        broker.publish_now(&topics[7], &numbered(1));
        assert!(matches!(
            sources.poll_take(&mut cx, &mut out),
            Poll::Ready(Taken::Frames)
        ));
        assert_eq!(out.len(), 1);
        assert!(out[0].contains("docs:7"), "{out:?}");
        assert_eq!(sources.polls, 101, "only the woken join was polled");
        out.clear();
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        assert_eq!(sources.polls, 101, "nobody was woken");
        // Woken twice before the writer looks: polled once.
        broker.publish_now(&topics[3], &numbered(2));
        broker.publish_now(&topics[3], &numbered(3));
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!((out.len(), sources.polls), (2, 102));
    }

    #[test]
    fn a_join_that_fills_a_batch_goes_behind_the_others_and_is_taken_again() {
        let broker = MemoryBroker::new();
        let (mut sources, topics, _tx) = joined(&broker, 2);
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        for seq in 0..100 {
            broker.publish_now(&topics[0], &numbered(seq));
        }
        for seq in 0..5 {
            broker.publish_now(&topics[1], &numbered(seq));
        }
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!(out.len(), BATCH);
        assert!(out.iter().all(|f| f.contains("docs:0")), "{out:?}");
        out.clear();
        // No wake comes for what the full batch left: it was queued again, behind join 1.
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!(out.len(), 5 + 100 - BATCH);
        assert!(out[..5].iter().all(|f| f.contains("docs:1")), "{out:?}");
        assert!(out[5..].iter().all(|f| f.contains("docs:0")), "{out:?}");
        out.clear();
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
    }

    #[test]
    fn a_join_left_after_it_was_woken_gives_nothing() {
        let broker = MemoryBroker::new();
        // Two joins: the left one's key is still among the woken when the leave is applied.
        let (mut sources, topics, tx) = joined(&broker, 2);
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        broker.publish_now(&topics[0], &numbered(1));
        broker.publish_now(&topics[1], &numbered(1));
        tx.try_send(Outbound::Leave(topics[0].clone())).unwrap();
        tx.try_send(Outbound::Text("left".to_owned())).unwrap();
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0], "left");
        assert!(out[1].contains("docs:1"), "{out:?}");
        assert_eq!(sources.joins.len(), 1);
    }

    #[test]
    fn a_join_taken_after_the_pushes_makes_the_writer_look_again() {
        let broker = MemoryBroker::new();
        let (mut sources, _topics, tx) = joined(&broker, 1);
        let (count, waker) = Count::waker();
        let mut cx = Context::from_waker(&waker);
        let mut out = Vec::new();
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        // The second look at the queue finds a join (replayed history in it): it is only in
        // the writer's own list when the look ends with nothing taken.
        let topic = Topic::new("docs:late").unwrap();
        let late = pushing(&broker, &topic, "2");
        broker.publish_now(&topic, &numbered(1));
        tx.try_send(Outbound::Join(Box::new(late))).unwrap();
        assert!(sources.take_queued(&mut cx, &mut out, BATCH).is_none());
        let woken = || count.woken();
        let before = woken();
        assert!(sources.finish(&cx, &out).is_pending());
        assert_eq!(woken(), before + 1, "the writer looks again");
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert!(out.iter().any(|f| f.contains("docs:late")), "{out:?}");
    }

    /// Counts its wakes.
    #[derive(Default)]
    struct Count(std::sync::atomic::AtomicUsize);

    impl Count {
        /// A waker counting into the returned `Count`.
        fn waker() -> (Arc<Count>, Waker) {
            let count = Arc::new(Count::default());
            let waker = Waker::from(Arc::clone(&count));
            (count, waker)
        }

        fn woken(&self) -> usize {
            self.0.load(std::sync::atomic::Ordering::Relaxed)
        }
    }

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn a_join_woken_wakes_the_writer_once_until_it_looks() {
        let broker = MemoryBroker::new();
        let (mut sources, topics, _tx) = joined(&broker, 3);
        let (count, waker) = Count::waker();
        let mut cx = Context::from_waker(&waker);
        let mut out = Vec::new();
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        let woken = || count.woken();
        assert_eq!(woken(), 0);
        broker.publish_now(&topics[0], &numbered(1));
        assert_eq!(woken(), 1);
        broker.publish_now(&topics[0], &numbered(2));
        broker.publish_now(&topics[2], &numbered(1));
        assert_eq!(woken(), 1, "woken already, and it has not looked yet");
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!(out.len(), 3);
        broker.publish_now(&topics[1], &numbered(1));
        assert_eq!(woken(), 2);
    }

    #[test]
    fn a_second_join_and_a_leave_back_to_one_lose_no_wake() {
        let broker = MemoryBroker::new();
        let (tx, rx) = mpsc::channel(8);
        let mut sources = Sources::new(rx);
        let topics = [Topic::new("docs:a").unwrap(), Topic::new("docs:b").unwrap()];
        let (count, waker) = Count::waker();
        let mut cx = Context::from_waker(&waker);
        let mut out = Vec::new();
        let woken = || count.woken();
        sources.join(pushing(&broker, &topics[0], "1"));
        // One join: polled with the writer's waker.
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        broker.publish_now(&topics[0], &numbered(1));
        assert_eq!(woken(), 1);
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!(std::mem::take(&mut out).len(), 1);
        // A second join: the first is polled with its own waker from now on.
        sources.join(pushing(&broker, &topics[1], "1"));
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        broker.publish_now(&topics[0], &numbered(2));
        assert!(woken() >= 2, "the writer is woken");
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!(std::mem::take(&mut out).len(), 1, "the first join's push");
        // Back to one: polled with the writer's waker again, which a push then wakes.
        tx.try_send(Outbound::Leave(topics[1].clone())).unwrap();
        assert!(sources.poll_take(&mut cx, &mut out).is_pending());
        let before = woken();
        broker.publish_now(&topics[0], &numbered(3));
        assert!(woken() > before, "the writer is woken");
        assert!(sources.poll_take(&mut cx, &mut out).is_ready());
        assert_eq!(out.len(), 1, "{out:?}");
    }
}
