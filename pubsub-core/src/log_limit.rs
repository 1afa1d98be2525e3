//! [`LogLimit`]: log lines that input cannot multiply.
//!
//! What a network or a browser sends can fail in a loop (a flood of forged messages, a join
//! that fails for every client while a backend is down); a log line per failure would turn it
//! into a flood of lines. A `LogLimit` lets one line through per period and says how many were
//! held back since; the stats keep the exact counts.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Lets one log line through per period.
///
/// ```
/// use std::time::Duration;
/// use pubsub_core::log_limit::LogLimit;
///
/// static JOIN_FAILED: LogLimit = LogLimit::new(Duration::from_secs(1));
///
/// fn join_failed(error: &str) {
///     if let Some(held_back) = JOIN_FAILED.allow() {
///         eprintln!("join failed: {error} ({held_back} more since the last line)");
///     }
/// }
/// join_failed("timeout");
/// join_failed("timeout"); // held back
/// ```
#[derive(Debug)]
pub struct LogLimit {
    every: Duration,
    /// When the last line was let through, and how many were held back since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl LogLimit {
    /// At most one line per `every`.
    pub const fn new(every: Duration) -> Self {
        LogLimit {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// `Some(held back since the last line)` when a line may be written now; `None` (and the
    /// line counted as held back) otherwise.
    ///
    /// ```
    /// use std::time::Duration;
    /// let limit = pubsub_core::log_limit::LogLimit::new(Duration::from_secs(60));
    /// assert_eq!(limit.allow(), Some(0));
    /// assert_eq!(limit.allow(), None);
    /// ```
    pub fn allow(&self) -> Option<u64> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (last, held) = &mut *state;
        if last.is_some_and(|at| now.duration_since(at) < self.every) {
            *held += 1;
            return None;
        }
        *last = Some(now);
        Some(std::mem::take(held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_period_passes_and_the_rest_are_counted() {
        let limit = LogLimit::new(Duration::from_millis(50));
        assert_eq!(limit.allow(), Some(0));
        assert_eq!(limit.allow(), None);
        assert_eq!(limit.allow(), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(limit.allow(), Some(2));
    }
}
