//! A token bucket per receiver: bursts up to `burst` deliveries, then
//! `rate` per second. Checked before authentication, so that guessing a
//! receiver's header is as slow as any other flood.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The configured limit; `rate == 0` disables limiting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained deliveries per second.
    pub rate: f64,
    /// Deliveries allowed at once after a quiet period.
    pub burst: f64,
}

impl RateLimit {
    /// No limit.
    pub const UNLIMITED: Self = Self {
        rate: 0.0,
        burst: 0.0,
    };
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// One receiver's bucket.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    bucket: Mutex<Bucket>,
}

impl RateLimiter {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            bucket: Mutex::new(Bucket {
                tokens: limit.burst.max(1.0),
                refilled: Instant::now(),
            }),
        }
    }

    /// Takes one token, or says how long until one is available.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        self.try_acquire_at(Instant::now())
    }

    fn try_acquire_at(&self, now: Instant) -> Result<(), Duration> {
        if self.limit.rate <= 0.0 {
            return Ok(());
        }
        let mut bucket = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.limit.rate).min(self.limit.burst.max(1.0));
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.limit.rate,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_rate() {
        let limiter = RateLimiter::new(RateLimit {
            rate: 10.0,
            burst: 3.0,
        });
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire_at(start), Ok(()));
        }
        let wait = limiter.try_acquire_at(start).expect_err("bucket empty");
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert_eq!(
            limiter.try_acquire_at(start + Duration::from_millis(100)),
            Ok(())
        );
        assert!(
            limiter
                .try_acquire_at(start + Duration::from_millis(100))
                .is_err()
        );
        // A long pause refills only up to the burst.
        let later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire_at(later), Ok(()));
        }
        assert!(limiter.try_acquire_at(later).is_err());
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let limiter = RateLimiter::new(RateLimit::UNLIMITED);
        let now = Instant::now();
        assert!((0..10_000).all(|_| limiter.try_acquire_at(now).is_ok()));
    }
}
