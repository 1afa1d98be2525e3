//! A channel connection's writer task: it owns the joins' subscriptions and takes their
//! deliveries itself (one task wake-up per batch of deliveries, no task per join), besides the
//! bounded queue of replies, presence frames and control messages from the reader, in order;
//! several frames per write, under a write timeout.

use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use pubsub_core::{Delivery, Subscription, Topic};
use tokio::sync::mpsc;

use super::CLOSE_SLOW;
use super::conn::Outbound;
use super::frames;

/// At most this many queued frames go into one write.
const BATCH: usize = 64;

/// A join as the writer holds it: the pushes of its subscription.
#[derive(Debug)]
pub(crate) struct Pushing {
    pub(crate) topic: Topic,
    pub(crate) prefix: String,
    pub(crate) subscription: Subscription,
}

/// The writer's sources: the reader's queue first, then the joins' subscriptions, the first
/// one polled turning round so that a busy join does not starve the others.
struct Sources {
    rx: mpsc::Receiver<Outbound>,
    joins: Vec<Pushing>,
    turn: usize,
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
        if out.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(Taken::Frames)
        }
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
                Poll::Ready(Some(Outbound::Join(join))) => self.joins.push(*join),
                Poll::Ready(Some(Outbound::Leave(topic))) => {
                    self.joins.retain(|join| join.topic != topic);
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

    /// Takes the joins' deliveries into `out`, up to [`BATCH`] frames, the first join polled
    /// turning round; a join whose stream ended gets its `$reload` and is dropped.
    fn take_pushes(&mut self, cx: &mut Context<'_>, out: &mut Vec<String>) {
        let count = self.joins.len();
        let mut at = 0;
        while at < count && out.len() < BATCH {
            let index = (self.turn + at) % count;
            let join = &mut self.joins[index];
            let mut closed = false;
            while out.len() < BATCH {
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
                        closed = true;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            if closed {
                self.joins.swap_remove(index);
                return;
            }
            at += 1;
        }
        if count > 0 {
            self.turn = (self.turn + 1) % count;
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
    let mut sources = Sources {
        rx,
        joins: Vec::new(),
        turn: 0,
    };
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
        let subscription = broker.subscribe_now(&topic);
        for seq in 0..10 {
            let event = TestEvent::Numbered {
                seq,
                label: "p".to_owned(),
            };
            broker.publish_now(&topic, &Message::new(event));
        }
        let (tx, rx) = mpsc::channel(256);
        for i in 0..200 {
            tx.try_send(Outbound::Text(format!("reply {i}"))).unwrap();
        }
        let mut sources = Sources {
            rx,
            joins: vec![Pushing {
                prefix: frames::push_prefix("1", &topic),
                topic,
                subscription,
            }],
            turn: 0,
        };
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
}
