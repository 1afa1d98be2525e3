//! Stream adapters for live screens: [`throttle`](LiveStreamExt::throttle),
//! [`batch`](LiveStreamExt::batch) and [`coalesce`](LiveStreamExt::coalesce).
//!
//! They wrap any stream of [`Delivery`]s (a [`Subscription`](crate::Subscription) or a
//! [`TypedSubscription`](crate::TypedSubscription)), so a screen refreshes at a humane rate under a
//! burst of changes.
//!
//! Lag and gap notices are never swallowed, and never multiplied into a reload storm: the first
//! notice passes at once (a screen that must reload learns it immediately); further notices
//! within the same window merge into one (lag counts added; a gap absorbs lags) that is given
//! when the window ends. So a screen reloads at most once per window however hard it lags, and
//! the lag counts it is told add up to exactly what it missed.

use std::collections::{HashMap, VecDeque};
use std::future::Future as _;
use std::hash::Hash;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::{Instant, Sleep};

use crate::subscription::Delivery;

mod notice;

use notice::{Notice, NoticeGate};

/// Throttling, batching and coalescing for any stream of [`Delivery`]s.
///
/// ```
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use pubsub_core::{BrokerExt, Delivery, LiveStreamExt, MemoryBroker, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Progress(u32);
/// # impl pubsub_core::Event for Progress { const DOMAIN: &'static str = "jobs"; fn name(&self) -> &'static str { "progress" } }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() -> Result<(), pubsub_core::Error> {
/// let broker = MemoryBroker::new();
/// let topic = TypedTopic::<Progress>::new(Topic::new("jobs:job:1")?);
/// let mut bar = broker.subscribe_events(&topic).await?.throttle(Duration::from_millis(500));
/// for pct in 1..=100 {
///     broker.publish_event(&topic, Progress(pct)).await?;
/// }
/// // The first update goes out at once; the burst collapses into the latest one.
/// assert!(matches!(bar.next().await, Some(Delivery::Message(p)) if p.0 == 1));
/// assert!(matches!(bar.next().await, Some(Delivery::Message(p)) if p.0 == 100));
/// # Ok(()) }
/// ```
pub trait LiveStreamExt<T>: Stream<Item = Delivery<T>> + Sized {
    /// Latest wins per `window`: the first message goes out at once, then at most one per window,
    /// the latest that arrived in it. Notices: the first at once, then at most one per window.
    fn throttle(self, window: Duration) -> Throttle<Self, T> {
        Throttle {
            inner: Some(self),
            window,
            timer: Timer::default(),
            pending: None,
            notices: NoticeGate::new(window),
        }
    }

    /// Groups messages: a `Vec` of up to `max` messages, or whatever arrived within `window` of
    /// the first one. A notice that is given first flushes the messages before it. Notices: the
    /// first at once, then at most one per window.
    fn batch(self, max: usize, window: Duration) -> Batch<Self, T> {
        Batch {
            inner: Some(self),
            max: max.max(1),
            window,
            timer: Timer::default(),
            buffer: Vec::new(),
            notice: None,
            notices: NoticeGate::new(window),
        }
    }

    /// One refresh per record per `window`: messages with the same `key` (the record they are
    /// about) arriving within `window` of the first one yield one message, the latest, when the
    /// window ends. Different records do not wait for each other. Notices: the first at once,
    /// then at most one per window.
    fn coalesce<K, F>(self, window: Duration, key: F) -> Coalesce<Self, T, K, F>
    where
        K: Eq + Hash + Clone,
        F: FnMut(&T) -> K,
    {
        Coalesce {
            inner: Some(self),
            window,
            key,
            open: HashMap::new(),
            deadlines: VecDeque::new(),
            timer: Timer::default(),
            notices: NoticeGate::new(window),
        }
    }
}

impl<S, T> LiveStreamExt<T> for S where S: Stream<Item = Delivery<T>> {}

/// A window timer shared by the three adapters: armed or idle, its one `Sleep` allocated on first
/// use and reset afterwards.
#[derive(Debug, Default)]
struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl Timer {
    fn arm(&mut self, deadline: Instant) {
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().reset(deadline),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
        self.armed = true;
    }

    fn disarm(&mut self) {
        self.armed = false;
    }

    fn is_armed(&self) -> bool {
        self.armed
    }

    /// Whether the armed deadline has passed; registers `cx` to be woken at it otherwise. It
    /// stays armed until the caller re-arms or disarms it.
    fn fired(&mut self, cx: &mut Context<'_>) -> bool {
        self.armed
            && self
                .sleep
                .as_mut()
                .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready())
    }
}

/// Polls `inner`, taking it out once it has ended.
fn poll_inner<S: Stream + Unpin>(
    inner: &mut Option<S>,
    cx: &mut Context<'_>,
) -> Poll<Option<S::Item>> {
    let Some(stream) = inner.as_mut() else {
        return Poll::Ready(None);
    };
    let polled = Pin::new(stream).poll_next(cx);
    if matches!(polled, Poll::Ready(None)) {
        *inner = None;
    }
    polled
}

/// The stream returned by [`LiveStreamExt::throttle`].
#[derive(Debug)]
pub struct Throttle<S, T> {
    inner: Option<S>,
    window: Duration,
    /// End of the current window; idle when disarmed (the next message goes out at once).
    timer: Timer,
    pending: Option<T>,
    notices: NoticeGate,
}

impl<S, T> Stream for Throttle<S, T>
where
    S: Stream<Item = Delivery<T>> + Unpin,
    T: Unpin,
{
    type Item = Delivery<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match poll_inner(&mut this.inner, cx) {
                Poll::Ready(Some(Delivery::Message(message))) => {
                    if !this.timer.is_armed() {
                        this.timer.arm(Instant::now() + this.window);
                        return Poll::Ready(Some(Delivery::Message(message)));
                    }
                    this.pending = Some(message);
                }
                Poll::Ready(Some(notice)) => {
                    if let Some(now) = Notice::of(&notice).and_then(|n| this.notices.offer(n)) {
                        return Poll::Ready(Some(now.delivery()));
                    }
                }
                Poll::Ready(None) => {
                    // The end: what is held goes out now rather than after its window.
                    if let Some(notice) = this.notices.take() {
                        return Poll::Ready(Some(notice.delivery()));
                    }
                    return Poll::Ready(this.pending.take().map(Delivery::Message));
                }
                Poll::Pending => break,
            }
        }
        if let Some(notice) = this.notices.poll_due(cx) {
            return Poll::Ready(Some(notice.delivery()));
        }
        if this.timer.fired(cx) {
            if let Some(message) = this.pending.take() {
                this.timer.arm(Instant::now() + this.window);
                return Poll::Ready(Some(Delivery::Message(message)));
            }
            this.timer.disarm();
        }
        Poll::Pending
    }
}

/// The stream returned by [`LiveStreamExt::batch`].
#[derive(Debug)]
pub struct Batch<S, T> {
    inner: Option<S>,
    max: usize,
    window: Duration,
    /// End of the current batch's window; armed while the buffer holds messages.
    timer: Timer,
    buffer: Vec<T>,
    /// A notice to give right after the messages being flushed.
    notice: Option<Notice>,
    notices: NoticeGate,
}

impl<S, T> Batch<S, T> {
    fn flush(&mut self) -> Delivery<Vec<T>> {
        self.timer.disarm();
        Delivery::Message(std::mem::take(&mut self.buffer))
    }

    /// Gives `notice` now, after flushing the messages that came before it.
    fn give(&mut self, notice: Notice) -> Delivery<Vec<T>> {
        if self.buffer.is_empty() {
            return notice.delivery();
        }
        self.notice = Some(notice);
        self.flush()
    }
}

impl<S, T> Stream for Batch<S, T>
where
    S: Stream<Item = Delivery<T>> + Unpin,
    T: Unpin,
{
    type Item = Delivery<Vec<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(notice) = this.notice.take() {
            return Poll::Ready(Some(notice.delivery()));
        }
        loop {
            match poll_inner(&mut this.inner, cx) {
                Poll::Ready(Some(Delivery::Message(message))) => {
                    if this.buffer.is_empty() {
                        this.timer.arm(Instant::now() + this.window);
                    }
                    this.buffer.push(message);
                    if this.buffer.len() >= this.max {
                        return Poll::Ready(Some(this.flush()));
                    }
                }
                Poll::Ready(Some(notice)) => {
                    if let Some(now) = Notice::of(&notice).and_then(|n| this.notices.offer(n)) {
                        return Poll::Ready(Some(this.give(now)));
                    }
                }
                Poll::Ready(None) => {
                    if let Some(notice) = this.notices.take() {
                        return Poll::Ready(Some(this.give(notice)));
                    }
                    if this.buffer.is_empty() {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(this.flush()));
                }
                Poll::Pending => break,
            }
        }
        if let Some(notice) = this.notices.poll_due(cx) {
            return Poll::Ready(Some(this.give(notice)));
        }
        if this.timer.fired(cx) {
            return Poll::Ready(Some(this.flush()));
        }
        Poll::Pending
    }
}

/// The stream returned by [`LiveStreamExt::coalesce`].
pub struct Coalesce<S, T, K, F> {
    inner: Option<S>,
    window: Duration,
    key: F,
    /// Records with an open window, and the latest message for each.
    open: HashMap<K, T>,
    /// When each open window ends, in order (windows all have the same length).
    deadlines: VecDeque<(Instant, K)>,
    timer: Timer,
    notices: NoticeGate,
}

impl<S, T, K, F> std::fmt::Debug for Coalesce<S, T, K, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalesce")
            .field("window", &self.window)
            .field("open", &self.open.len())
            .finish_non_exhaustive()
    }
}

impl<S, T, K, F> Coalesce<S, T, K, F>
where
    K: Eq + Hash + Clone,
{
    /// Emits the oldest window if it has ended (or if `flush_all`, regardless).
    fn take_due(&mut self, now: Instant, flush_all: bool) -> Option<T> {
        while let Some((deadline, _)) = self.deadlines.front() {
            if !flush_all && *deadline > now {
                break;
            }
            let (_, key) = self.deadlines.pop_front()?;
            if let Some(message) = self.open.remove(&key) {
                return Some(message);
            }
        }
        None
    }

    fn arm_timer(&mut self) {
        match self.deadlines.front() {
            Some((deadline, _)) => self.timer.arm(*deadline),
            None => self.timer.disarm(),
        }
    }
}

impl<S, T, K, F> Stream for Coalesce<S, T, K, F>
where
    S: Stream<Item = Delivery<T>> + Unpin,
    T: Unpin,
    K: Eq + Hash + Clone + Unpin,
    F: FnMut(&T) -> K + Unpin,
{
    type Item = Delivery<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match poll_inner(&mut this.inner, cx) {
                Poll::Ready(Some(Delivery::Message(message))) => {
                    let key = (this.key)(&message);
                    if this.open.insert(key.clone(), message).is_none() {
                        this.deadlines
                            .push_back((Instant::now() + this.window, key));
                        if this.deadlines.len() == 1 {
                            this.arm_timer();
                        }
                    }
                }
                Poll::Ready(Some(notice)) => {
                    if let Some(now) = Notice::of(&notice).and_then(|n| this.notices.offer(n)) {
                        return Poll::Ready(Some(now.delivery()));
                    }
                }
                Poll::Ready(None) => {
                    // The end: what is held goes out now; open windows close, oldest first.
                    if let Some(notice) = this.notices.take() {
                        return Poll::Ready(Some(notice.delivery()));
                    }
                    return Poll::Ready(this.take_due(Instant::now(), true).map(Delivery::Message));
                }
                Poll::Pending => break,
            }
        }
        if let Some(notice) = this.notices.poll_due(cx) {
            return Poll::Ready(Some(notice.delivery()));
        }
        if this.timer.fired(cx) {
            let due = this.take_due(Instant::now(), false);
            this.arm_timer();
            if let Some(message) = due {
                return Poll::Ready(Some(Delivery::Message(message)));
            }
            // Re-register the (re-armed) timer's waker.
            if this.timer.fired(cx) {
                cx.waker().wake_by_ref();
            }
        }
        Poll::Pending
    }
}
