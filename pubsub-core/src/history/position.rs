//! [`Position`] and [`Epoch`]: where a message is in its topic's history.

use std::fmt;
use std::str::FromStr;

/// The generation of a topic's history: it changes when the history was lost and offsets
/// started again at 1, so an offset is meaningful only with its epoch.
///
/// ```
/// use pubsub_core::history::Epoch;
/// let epoch = Epoch::new(0xbeef);
/// assert_eq!(epoch.as_u64(), 0xbeef);
/// assert_eq!(epoch.to_string(), "000000000000beef");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Epoch(u64);

impl Epoch {
    /// An epoch from its number (as a backend reads it back from its store).
    pub const fn new(raw: u64) -> Self {
        Epoch(raw)
    }

    /// The epoch as a number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// A fresh epoch, unlike any other this process makes and, with overwhelming likelihood,
    /// unlike any another process made: random 64 bits, never 0.
    ///
    /// ```
    /// # use pubsub_core::history::Epoch;
    /// assert_ne!(Epoch::random(), Epoch::random());
    /// ```
    pub fn random() -> Self {
        use std::hash::BuildHasher;
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // A randomly seeded hasher (per process) over a counter and the clock.
        let raw = foldhash::fast::RandomState::default().hash_one((count, nanos));
        Epoch(raw.max(1))
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Where a message is in its topic's history: its offset (1 for the topic's first message in
/// its epoch, +1 per message) and the epoch.
///
/// Its text form, `<offset>.<epoch as 16 hex digits>`, is what a browser hands back (an SSE
/// `Last-Event-ID`, say); parsing it is strict and bounded.
///
/// ```
/// use pubsub_core::history::{Epoch, Position};
/// let position = Position::new(42, Epoch::new(7));
/// let text = position.to_string();
/// assert_eq!(text, "42.0000000000000007");
/// assert_eq!(text.parse::<Position>(), Ok(position));
/// assert!("42".parse::<Position>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// The message's offset in its topic, from 1.
    pub offset: u64,
    /// The history's epoch.
    pub epoch: Epoch,
}

impl Position {
    /// A position.
    pub const fn new(offset: u64, epoch: Epoch) -> Self {
        Position { offset, epoch }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.offset, self.epoch)
    }
}

/// A text that is not a [`Position`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a position (expected `<offset>.<16 hex digits>`)")]
pub struct ParsePositionError;

impl FromStr for Position {
    type Err = ParsePositionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // The longest valid text: 20 digits, a dot, 16 hex digits.
        if text.len() > 37 {
            return Err(ParsePositionError);
        }
        let (offset, epoch) = text.split_once('.').ok_or(ParsePositionError)?;
        if offset.is_empty() || !offset.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParsePositionError);
        }
        if epoch.len() != 16 || !epoch.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParsePositionError);
        }
        let offset = offset.parse().map_err(|_| ParsePositionError)?;
        let epoch = u64::from_str_radix(epoch, 16).map_err(|_| ParsePositionError)?;
        Ok(Position::new(offset, Epoch::new(epoch)))
    }
}
