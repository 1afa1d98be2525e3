//! A subscription's state for one topic with history: the last position it received, and the
//! messages a recovery replays before the live ones.
//!
//! The rule that makes history and live meet with no hole and no duplicate: a recovery reads the
//! history *after* the live stream is attached, so the two overlap; the replayed messages come
//! first and move `last` to the newest of them, and a live message at or below `last` (same
//! epoch) is one the replay already gave, and is skipped.

use std::collections::VecDeque;

use super::Position;
use crate::message::Message;
use crate::subscription::Delivery;

/// One topic's recovery state in a subscription.
#[derive(Debug, Default)]
pub(crate) struct Track {
    /// The newest position given (or replayed, or the starting point): live messages at or
    /// below it are duplicates.
    last: Option<Position>,
    /// The position of the last message the subscriber has taken (or the starting point): what
    /// it has seen, so where it resumes from. Behind `last` while replayed messages wait.
    delivered: Option<Position>,
    /// Deliveries to give before the live stream's next one (replayed messages; a message held
    /// back behind a notice).
    replay: VecDeque<Delivery<Message>>,
}

/// What to do with a live message.
pub(crate) enum Verdict {
    /// Give it.
    Deliver(Message),
    /// A duplicate of a replayed one.
    Skip,
    /// Its epoch differs from the last one's and it is not its epoch's first message: messages
    /// were lost before it. Give a gap notice, then it (it was put first in the replay).
    GapBefore,
}

impl Track {
    /// A track starting after `last` (unknown: `None`).
    pub(crate) fn new(last: Option<Position>) -> Self {
        Track {
            last,
            delivered: last,
            replay: VecDeque::new(),
        }
    }

    /// The position of the last message taken, or the starting point: where the subscriber
    /// resumes from.
    pub(crate) fn delivered(&self) -> Option<Position> {
        self.delivered
    }

    /// The newest position given, replayed or started from.
    pub(crate) fn last(&self) -> Option<Position> {
        self.last
    }

    /// Starts over after `after`, replaying `entries` (the history after it, in order) first.
    pub(crate) fn restart(&mut self, after: Position, entries: Vec<Message>) {
        self.last = Some(after);
        self.delivered = Some(after);
        self.replay.clear();
        self.recovered(entries);
    }

    /// Replays `entries` (the history after `last`, in order) before the live stream.
    pub(crate) fn recovered(&mut self, entries: Vec<Message>) {
        if let Some(position) = entries.last().and_then(Message::position) {
            self.last = Some(position);
        }
        self.replay
            .extend(entries.into_iter().map(Delivery::Message));
    }

    /// Gives `delivery` before anything else (it was read and decided on already).
    pub(crate) fn hold(&mut self, delivery: Delivery<Message>) {
        self.replay.push_front(delivery);
    }

    /// A gap notice was given: continuity starts again from the next message, whatever its
    /// position (the subscriber reloads).
    pub(crate) fn gap_given(&mut self) {
        self.last = None;
        self.delivered = None;
    }

    /// The next replayed delivery, if any.
    pub(crate) fn pop_replay(&mut self) -> Option<Delivery<Message>> {
        let delivery = self.replay.pop_front()?;
        if let Delivery::Message(message) = &delivery {
            if let Some(position) = message.position() {
                self.delivered = Some(position);
            }
        }
        Some(delivery)
    }

    /// How many replayed messages wait.
    pub(crate) fn replay_len(&self) -> usize {
        self.replay.len()
    }

    /// Decides on a live message.
    pub(crate) fn accept(&mut self, message: Message) -> Verdict {
        let Some(position) = message.position() else {
            return Verdict::Deliver(message);
        };
        match self.last {
            Some(last) if last.epoch == position.epoch && position.offset <= last.offset => {
                Verdict::Skip
            }
            Some(last) if last.epoch != position.epoch && position.offset > 1 => {
                self.last = Some(position);
                self.replay.push_front(Delivery::Message(message));
                Verdict::GapBefore
            }
            _ => {
                self.last = Some(position);
                self.delivered = Some(position);
                Verdict::Deliver(message)
            }
        }
    }
}
