//! A connection's join budget: a token bucket, so that a client looping over joins (fresh
//! topics, each an authorization call, a subscription and, with presence, a state request to
//! every node) costs a bounded amount of work per second, while a page that reconnects and
//! rejoins all its topics at once still gets them.

use std::time::Duration;

use tokio::time::Instant;

/// How many joins a connection may make: `burst` at once, then `per_second` more each second.
///
/// ```
/// use pubsub_axum::JoinRate;
/// let rate = JoinRate::new(10, 100);
/// assert_eq!((rate.per_second(), rate.burst()), (10, 100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinRate {
    per_second: u32,
    burst: u32,
}

impl JoinRate {
    /// `burst` joins at once (at least 1), refilled at `per_second` (at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        JoinRate {
            per_second: per_second.max(1),
            burst: burst.max(1),
        }
    }

    /// Joins regained per second.
    pub fn per_second(self) -> u32 {
        self.per_second
    }

    /// Joins allowed at once.
    pub fn burst(self) -> u32 {
        self.burst
    }
}

/// One connection's bucket of join tokens.
#[derive(Debug)]
pub(crate) struct Budget {
    rate: JoinRate,
    /// Tokens left, in billionths of a join (integer arithmetic: no drift, no float rounding;
    /// a refill counted to the nanosecond loses nothing between close calls).
    nanos: u64,
    last: Instant,
}

const NANOS: u64 = 1_000_000_000;

impl Budget {
    /// A full bucket.
    pub(crate) fn new(rate: JoinRate, now: Instant) -> Self {
        Budget {
            rate,
            nanos: u64::from(rate.burst) * NANOS,
            last: now,
        }
    }

    /// Takes one join's token if there is one at `now`.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = self.last.max(now);
        let regained = regained_nanos(elapsed, self.rate.per_second);
        // At most u32::MAX joins of 1e9 each: fits in a u64.
        let full = u64::from(self.rate.burst) * NANOS;
        self.nanos = self.nanos.saturating_add(regained).min(full);
        if self.nanos < NANOS {
            return false;
        }
        self.nanos -= NANOS;
        true
    }
}

/// Billionths of a join regained over `elapsed` at `per_second`.
fn regained_nanos(elapsed: Duration, per_second: u32) -> u64 {
    // elapsed in ns × joins per second = billionths of a join; saturating for huge gaps.
    u64::try_from(elapsed.as_nanos())
        .unwrap_or(u64::MAX)
        .saturating_mul(u64::from(per_second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_gives_its_burst_then_refills_at_the_rate() {
        let start = Instant::now();
        let mut budget = Budget::new(JoinRate::new(10, 5), start);
        assert_eq!((0..20).filter(|_| budget.take(start)).count(), 5);
        // 10 per second: one every 100 ms.
        assert!(!budget.take(start + Duration::from_millis(99)));
        assert!(budget.take(start + Duration::from_millis(100)));
        assert!(!budget.take(start + Duration::from_millis(100)));
        // Calls a fraction of a microsecond apart still add up to the rate.
        let mut at = start + Duration::from_millis(100);
        let mut regained = 0;
        for _ in 0..1_000_000 {
            at += Duration::from_nanos(300);
            regained += usize::from(budget.take(at));
        }
        assert_eq!(regained, 3, "0.3 s at 10 a second");
        // A long pause refills to the burst, not beyond.
        let later = start + Duration::from_secs(3_600);
        assert_eq!((0..20).filter(|_| budget.take(later)).count(), 5);
    }

    #[test]
    fn a_clock_that_goes_back_or_a_huge_gap_neither_panics_nor_overfills() {
        let start = Instant::now() + Duration::from_secs(10);
        let mut budget = Budget::new(JoinRate::new(u32::MAX, 3), start);
        assert!(budget.take(start - Duration::from_secs(5)));
        let far = start + Duration::from_secs(u64::from(u32::MAX));
        assert_eq!((0..10).filter(|_| budget.take(far)).count(), 3);
    }

    #[test]
    fn zero_is_read_as_one() {
        let rate = JoinRate::new(0, 0);
        assert_eq!((rate.per_second(), rate.burst()), (1, 1));
    }
}
