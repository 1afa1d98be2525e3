//! The notice gate shared by the adapters: the first lag or gap notice passes at once; further
//! ones within the same window merge into one, given when the window ends.

use std::task::Context;
use std::time::Duration;

use tokio::time::Instant;

use super::Timer;
use crate::subscription::Delivery;

/// A lag or gap notice, without the message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Notice {
    Lagged(u64),
    Gap,
}

impl Notice {
    /// The notice of a delivery, or `None` for a message.
    pub(super) fn of<T>(delivery: &Delivery<T>) -> Option<Notice> {
        match delivery {
            Delivery::Message(_) => None,
            Delivery::Lagged(n) => Some(Notice::Lagged(*n)),
            Delivery::Gap => Some(Notice::Gap),
        }
    }

    /// One notice for both: lag counts add up; a gap (an unknown number lost) absorbs a lag.
    fn merge(self, other: Notice) -> Notice {
        match (self, other) {
            (Notice::Lagged(a), Notice::Lagged(b)) => Notice::Lagged(a.saturating_add(b)),
            _ => Notice::Gap,
        }
    }

    pub(super) fn delivery<U>(self) -> Delivery<U> {
        match self {
            Notice::Lagged(n) => Delivery::Lagged(n),
            Notice::Gap => Delivery::Gap,
        }
    }
}

/// At most one notice per window, none lost: a screen that reloads on each notice reloads at
/// most once per window however hard it lags.
#[derive(Debug)]
pub(super) struct NoticeGate {
    window: Duration,
    /// End of the window opened by the last notice given; idle when disarmed.
    timer: Timer,
    held: Option<Notice>,
}

impl NoticeGate {
    pub(super) fn new(window: Duration) -> Self {
        NoticeGate {
            window,
            timer: Timer::default(),
            held: None,
        }
    }

    /// A notice arrived: `Some` to give it now (no window open), `None` when it was merged
    /// into the one held for the window's end.
    pub(super) fn offer(&mut self, notice: Notice) -> Option<Notice> {
        if self.timer.is_armed() {
            self.held = Some(match self.held {
                Some(held) => held.merge(notice),
                None => notice,
            });
            return None;
        }
        self.timer.arm(Instant::now() + self.window);
        Some(notice)
    }

    /// The held notice, once its window has ended (a new window opens with it); registers `cx`
    /// to be woken at the window's end otherwise.
    pub(super) fn poll_due(&mut self, cx: &mut Context<'_>) -> Option<Notice> {
        if !self.timer.fired(cx) {
            return None;
        }
        if let Some(held) = self.held.take() {
            self.timer.arm(Instant::now() + self.window);
            // Register the new window's waker.
            let _ = self.timer.fired(cx);
            Some(held)
        } else {
            self.timer.disarm();
            None
        }
    }

    /// The held notice at the end of the stream, without waiting for the window.
    pub(super) fn take(&mut self) -> Option<Notice> {
        self.held.take()
    }
}
