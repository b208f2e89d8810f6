//! Per-receiver limits, kept apart so that one sender's failures never cost
//! another sender anything:
//!
//! - **failed attempts** (wrong or missing credentials): a token bucket per
//!   receiver, on by default. A failed attempt is decided before the body
//!   is read (for header schemes) and costs a constant-time compare; over
//!   the limit it is answered 429 instead of 401, and logged at debug only,
//!   so a flood of wrong guesses is cheap to answer and does not flood the
//!   log. It is taken only *after* authentication has failed, so it can
//!   never refuse a sender with the right credentials.
//! - **authenticated deliveries**: a bucket per receiver that only
//!   deliveries with the right credentials draw from, off by default. An
//!   operator may set it to cap what one receiver's senders can make the
//!   gateway do; failed attempts never touch it.
//!
//! Neither is per source address: behind an Ingress every request comes
//! from the Ingress's address (see docs/reliability.md).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One token bucket's setting; `per_second == 0` disables it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Sustained events per second.
    pub per_second: f64,
    /// Events allowed at once after a quiet period.
    pub burst: f64,
}

impl Rate {
    /// No limit.
    pub const UNLIMITED: Self = Self {
        per_second: 0.0,
        burst: 0.0,
    };
}

/// The limits of every receiver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Deliveries with the right credentials (`--receiver-rate`,
    /// `--receiver-burst`).
    pub deliveries: Rate,
    /// Failed attempts (`--failed-attempt-rate`, `--failed-attempt-burst`).
    pub failed_attempts: Rate,
}

impl RateLimit {
    /// No limit at all.
    pub const UNLIMITED: Self = Self {
        deliveries: Rate::UNLIMITED,
        failed_attempts: Rate::UNLIMITED,
    };
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// One token bucket.
#[derive(Debug)]
pub struct TokenBucket {
    rate: Rate,
    bucket: Mutex<Bucket>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            bucket: Mutex::new(Bucket {
                tokens: rate.burst.max(1.0),
                refilled: Instant::now(),
            }),
        }
    }

    /// Takes one token, or says how long until one is available.
    fn try_acquire_at(&self, now: Instant) -> Result<(), Duration> {
        if self.rate.per_second <= 0.0 {
            return Ok(());
        }
        let mut bucket = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens =
            (bucket.tokens + elapsed * self.rate.per_second).min(self.rate.burst.max(1.0));
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.rate.per_second,
            ))
        }
    }
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// The receiver's authenticated deliveries exceeded `--receiver-rate`.
    Deliveries,
    /// The receiver's failed attempts exceeded `--failed-attempt-rate`.
    FailedAttempts,
}

/// One receiver's two buckets.
#[derive(Debug)]
pub struct ReceiverLimiter {
    deliveries: TokenBucket,
    failed_attempts: TokenBucket,
}

impl ReceiverLimiter {
    /// Full buckets.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            deliveries: TokenBucket::new(limit.deliveries),
            failed_attempts: TokenBucket::new(limit.failed_attempts),
        }
    }

    /// Admits a delivery whose sender was authenticated, or says how long
    /// until one is admitted.
    pub fn admit_delivery(&self) -> Result<(), Duration> {
        self.admit_at(Limited::Deliveries, Instant::now())
    }

    /// Admits one more failed attempt to be answered 401, or says how long
    /// until one is (answered 429 meanwhile).
    pub fn admit_failure(&self) -> Result<(), Duration> {
        self.admit_at(Limited::FailedAttempts, Instant::now())
    }

    fn admit_at(&self, which: Limited, now: Instant) -> Result<(), Duration> {
        match which {
            Limited::Deliveries => self.deliveries.try_acquire_at(now),
            Limited::FailedAttempts => self.failed_attempts.try_acquire_at(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_rate() {
        let bucket = TokenBucket::new(Rate {
            per_second: 10.0,
            burst: 3.0,
        });
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.try_acquire_at(start), Ok(()));
        }
        let wait = bucket.try_acquire_at(start).expect_err("bucket empty");
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert_eq!(
            bucket.try_acquire_at(start + Duration::from_millis(100)),
            Ok(())
        );
        assert!(
            bucket
                .try_acquire_at(start + Duration::from_millis(100))
                .is_err()
        );
        // A long pause refills only up to the burst.
        let later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(bucket.try_acquire_at(later), Ok(()));
        }
        assert!(bucket.try_acquire_at(later).is_err());
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let bucket = TokenBucket::new(Rate::UNLIMITED);
        let now = Instant::now();
        assert!((0..10_000).all(|_| bucket.try_acquire_at(now).is_ok()));
    }

    /// Failures use up only their own bucket: the deliveries' bucket is
    /// as full as before.
    #[test]
    fn failures_never_draw_from_the_deliveries_bucket() {
        let limiter = ReceiverLimiter::new(RateLimit {
            deliveries: Rate {
                per_second: 1.0,
                burst: 2.0,
            },
            failed_attempts: Rate {
                per_second: 1.0,
                burst: 5.0,
            },
        });
        let now = Instant::now();
        let admitted = (0..1_000)
            .filter(|_| limiter.admit_at(Limited::FailedAttempts, now).is_ok())
            .count();
        assert_eq!(admitted, 5);
        assert_eq!(limiter.admit_at(Limited::Deliveries, now), Ok(()));
        assert_eq!(limiter.admit_at(Limited::Deliveries, now), Ok(()));
        assert!(
            limiter.admit_at(Limited::Deliveries, now).is_err(),
            "its own rate still holds"
        );
    }
}
