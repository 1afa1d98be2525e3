//! Resume tokens: where a connection holding several topics was, in one short text the browser
//! hands back (an SSE `Last-Event-ID`, or the `since` query parameter).
//!
//! # Format
//!
//! `<topics hash>` then, for each topic with a known position, `-<index>_<position>`:
//!
//! ```text
//! 3fa2b1c0-0_12.0000000000000007-2_5.00000000000000a1
//! ```
//!
//! - the hash is 8 lowercase hex digits of an FNV-1a hash of the connection's topic names, in
//!   order: a token made for another list of topics is refused, never applied to the wrong topic;
//! - `<index>` is the topic's place in that list (decimal, below [`MAX_TOPICS`]);
//! - `<position>` is a [`Position`]'s text form (`<offset>.<16 hex digits>`).
//!
//! Every character is left as it is by URL and form encoders alike (`0-9 a-f . _ -`;
//! `URLSearchParams` escapes `~`), so the token goes into a query string unchanged. Parsing is strict and bounded: at most [`MAX_TOKEN_LEN`] bytes, each index at most once,
//! anything else refused as a whole.

use std::fmt::Write as _;

use pubsub_core::Topic;
use pubsub_core::history::Position;

/// The most topics one resumable stream holds.
pub const MAX_TOPICS: usize = 64;

/// The longest token accepted: the hash, then [`MAX_TOPICS`] entries of `-<2 digits>_<37>`.
pub const MAX_TOKEN_LEN: usize = 8 + MAX_TOPICS * (1 + 2 + 1 + 37);

/// Why a resume token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Longer than [`MAX_TOKEN_LEN`] bytes.
    #[error("resume token is longer than {MAX_TOKEN_LEN} bytes")]
    TooLong,
    /// Not of the documented shape.
    #[error("resume token is malformed")]
    Malformed,
    /// Made for another list of topics.
    #[error("resume token was made for other topics")]
    OtherTopics,
    /// Names a topic index beyond the list, or one index twice.
    #[error("resume token names a topic index twice or beyond the topics")]
    BadIndex,
}

/// A parsed resume token: one optional position per topic of the connection.
///
/// ```
/// use pubsub_axum::resume::ResumeToken;
/// use pubsub_core::Topic;
/// use pubsub_core::history::{Epoch, Position};
///
/// let topics = [Topic::new("docs:1")?, Topic::new("docs:2")?];
/// let mut token = ResumeToken::empty(topics.len());
/// token.set(1, Position::new(12, Epoch::new(7)));
/// let text = token.encode(&topics);
///
/// let back = ResumeToken::parse(&text, &topics)?;
/// assert_eq!(back.position(0), None);
/// assert_eq!(back.position(1), Some(Position::new(12, Epoch::new(7))));
/// assert!(ResumeToken::parse(&text, &topics[..1]).is_err()); // other topics
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeToken {
    positions: Vec<Option<Position>>,
}

impl ResumeToken {
    /// A token with no position for each of `topics` topics.
    pub fn empty(topics: usize) -> Self {
        ResumeToken {
            positions: vec![None; topics],
        }
    }

    /// The position of the topic at `index`, if the token has one.
    pub fn position(&self, index: usize) -> Option<Position> {
        self.positions.get(index).copied().flatten()
    }

    /// Sets the position of the topic at `index` (ignored beyond the topics).
    pub fn set(&mut self, index: usize, position: Position) {
        if let Some(slot) = self.positions.get_mut(index) {
            *slot = Some(position);
        }
    }

    /// The token's text for `topics` (the same list, in the same order, as it was made for).
    pub fn encode(&self, topics: &[Topic]) -> String {
        let mut text = String::with_capacity(8 + self.positions.len() * 42);
        self.encode_into(topics_hash(topics), &mut text);
        text
    }

    /// [`encode`](Self::encode) into `text` (cleared first), with the topics' hash already
    /// known: what a stream does per message, with one hash and one buffer for its life.
    pub(crate) fn encode_into(&self, hash: u32, text: &mut String) {
        text.clear();
        let _ = write!(text, "{hash:08x}");
        for (index, position) in self.positions.iter().enumerate() {
            if let Some(position) = position {
                let _ = write!(text, "-{index}_{position}");
            }
        }
    }

    /// Parses `text` as a token for `topics`.
    ///
    /// # Errors
    ///
    /// A [`TokenError`]: too long, malformed, made for other topics, or a bad index.
    pub fn parse(text: &str, topics: &[Topic]) -> Result<Self, TokenError> {
        if text.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong);
        }
        let mut parts = text.split('-');
        let hash = parts.next().ok_or(TokenError::Malformed)?;
        if hash.len() != 8 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(TokenError::Malformed);
        }
        let hash = u32::from_str_radix(hash, 16).map_err(|_| TokenError::Malformed)?;
        if hash != topics_hash(topics) {
            return Err(TokenError::OtherTopics);
        }
        let mut token = ResumeToken::empty(topics.len());
        for part in parts {
            let (index, position) = part.split_once('_').ok_or(TokenError::Malformed)?;
            if index.is_empty() || index.len() > 2 || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TokenError::Malformed);
            }
            let index: usize = index.parse().map_err(|_| TokenError::Malformed)?;
            let position: Position = position.parse().map_err(|_| TokenError::Malformed)?;
            match token.positions.get_mut(index) {
                Some(slot @ None) => *slot = Some(position),
                _ => return Err(TokenError::BadIndex),
            }
        }
        Ok(token)
    }
}

/// FNV-1a (32 bits) of the topic names, each followed by a 0 byte: stable across processes and
/// versions, which a resume token needs (std's hashers are not).
pub(crate) fn topics_hash(topics: &[Topic]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for topic in topics {
        for &byte in topic.as_str().as_bytes().iter().chain(&[0]) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash
}

#[cfg(test)]
mod tests;
