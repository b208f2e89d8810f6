//! The one back-off of the gateway's own retries (watches, status
//! publishing): backon's exponential back-off, the crate kube-runtime's
//! watcher builds its default back-off on, with each caller's bounds.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// Delays that double from a first one up to a bound, and start over from
/// the first after [`reset`](Self::reset).
#[derive(Debug)]
pub struct Backoff {
    builder: ExponentialBuilder,
    delays: <ExponentialBuilder as BackoffBuilder>::Backoff,
    max: Duration,
}

impl Backoff {
    /// `first`, twice that, and so on, never more than `max`: exactly.
    pub fn doubling(first: Duration, max: Duration) -> Self {
        Self::from_builder(
            ExponentialBuilder::new()
                .with_min_delay(first)
                .with_max_delay(max)
                .with_factor(2.0)
                .without_max_times(),
            max,
        )
    }

    /// Like [`doubling`](Self::doubling), each delay stretched by a random
    /// part of itself (so between `d` and `2d`, never beyond `2 * max`):
    /// replicas that lost the API server together do not come back in step.
    pub fn doubling_with_jitter(first: Duration, max: Duration) -> Self {
        Self::from_builder(
            ExponentialBuilder::new()
                .with_min_delay(first)
                .with_max_delay(max)
                .with_factor(2.0)
                .without_max_times()
                .with_jitter(),
            max.saturating_mul(2),
        )
    }

    fn from_builder(builder: ExponentialBuilder, max: Duration) -> Self {
        Self {
            builder,
            delays: builder.build(),
            max,
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        // Without a limit on attempts the sequence never ends; the bound is
        // only a fallback.
        self.delays.next().unwrap_or(self.max)
    }

    /// The next delay is the first one again.
    pub fn reset(&mut self) {
        self.delays = self.builder.build();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_its_bound_and_starts_over_after_a_reset() {
        let mut backoff = Backoff::doubling(Duration::from_secs(10), Duration::from_secs(60));
        let delays: Vec<u64> = (0..5).map(|_| backoff.next_delay().as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 60, 60]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_secs(10));
    }

    #[test]
    fn jitter_stays_between_each_delay_and_twice_it() {
        let first = Duration::from_millis(250);
        let max = Duration::from_secs(2);
        let mut backoff = Backoff::doubling_with_jitter(first, max);
        let mut base = first;
        for _ in 0..8 {
            let delay = backoff.next_delay();
            assert!(base <= delay && delay < base * 2, "{delay:?} for {base:?}");
            base = (base * 2).min(max);
        }
        backoff.reset();
        assert!(backoff.next_delay() < first * 2);
    }
}
