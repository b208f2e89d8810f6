//! Reads a request body within its limits: the size limit (declared
//! `Content-Length` and chunked bodies alike), the read timeout, and the
//! shared memory budget that every buffer is reserved from before it grows.

use std::time::Duration;

use actix_web::web::Bytes;
use futures::{FutureExt, Stream, StreamExt};

use super::body_budget::{BodyBudget, Reservation};

/// Why a body could not be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the limit (declared or as it arrived).
    TooLarge,
    /// Not complete within the read timeout.
    Timeout,
    /// The stream failed (malformed chunking, connection lost).
    Unreadable,
    /// No room in the memory budget within its short wait.
    Overloaded,
}

/// A body held in memory, with its share of the budget; both are given up
/// together when it is dropped.
#[derive(Debug)]
pub struct HeldBody {
    bytes: Vec<u8>,
    _reservation: Reservation,
}

impl HeldBody {
    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// What bounds one body read.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Most bytes accepted.
    pub limit: usize,
    /// Time allowed for the whole body.
    pub timeout: Duration,
}

/// The first buffer of a body. A declared length is only a promise:
/// reserving all of it up front would let a client that sends a head with
/// `Content-Length` at the limit, and then nothing, tie up the whole body
/// limit per connection. Larger bodies grow the buffer as they arrive.
fn initial_capacity(declared: Option<u64>, limit: usize) -> usize {
    const DEFAULT: u64 = 8 * 1024;
    const MOST: u64 = 64 * 1024;
    let first = declared.map_or(DEFAULT, |length| length.min(MOST));
    usize::try_from(first).unwrap_or(usize::MAX).min(limit)
}

/// The capacity to grow to for `needed` bytes: doubling, so that a body
/// costs few reallocations, but never past the declared length or the
/// limit.
fn grown_capacity(current: usize, needed: usize, declared: Option<u64>, limit: usize) -> usize {
    let ceiling = declared
        .and_then(|length| usize::try_from(length).ok())
        .map_or(limit, |length| length.min(limit));
    current.saturating_mul(2).min(ceiling).max(needed)
}

/// Reads the whole body from `chunks`.
pub async fn read<S, E>(
    mut chunks: S,
    declared: Option<u64>,
    limits: BodyLimits,
    budget: &BodyBudget,
) -> Result<HeldBody, BodyError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    if declared.is_some_and(|length| length > limits.limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let read = async {
        let mut reservation = budget.reservation();
        let first = initial_capacity(declared, limits.limit);
        reservation
            .grow_to(first)
            .await
            .map_err(|_| BodyError::Overloaded)?;
        let mut bytes = Vec::with_capacity(first);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
            let needed = bytes.len() + chunk.len();
            if needed > limits.limit {
                return Err(BodyError::TooLarge);
            }
            if needed > bytes.capacity() {
                let capacity = grown_capacity(bytes.capacity(), needed, declared, limits.limit);
                // Reserved before the buffer grows: the budget is never
                // exceeded, not even for a moment.
                reservation
                    .grow_to(capacity)
                    .await
                    .map_err(|_| BodyError::Overloaded)?;
                bytes.reserve_exact(capacity - bytes.len());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(HeldBody {
            bytes,
            _reservation: reservation,
        })
    };
    let mut read = std::pin::pin!(read);
    // A body that arrived with its head (the usual webhook) is read whole on
    // the first poll: no timer is armed for it.
    if let Some(result) = read.as_mut().now_or_never() {
        return result;
    }
    tokio::time::timeout(limits.timeout, read)
        .await
        .unwrap_or(Err(BodyError::Timeout))
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::gauge::Gauge;

    use super::*;

    const LIMITS: BodyLimits = BodyLimits {
        limit: 1024 * 1024,
        timeout: Duration::from_secs(1),
    };

    fn chunks(sizes: &[usize]) -> impl Stream<Item = Result<Bytes, ()>> + Unpin {
        let chunks: Vec<Result<Bytes, ()>> = sizes
            .iter()
            .map(|size| Ok(Bytes::from(vec![b'x'; *size])))
            .collect();
        futures::stream::iter(chunks)
    }

    #[test]
    fn a_declared_length_reserves_at_most_64_kib() {
        assert_eq!(initial_capacity(None, 2 << 20), 8 * 1024);
        assert_eq!(initial_capacity(Some(100), 2 << 20), 100);
        assert_eq!(initial_capacity(Some(2 << 20), 2 << 20), 64 * 1024);
        assert_eq!(initial_capacity(Some(u64::MAX), 2 << 20), 64 * 1024);
        assert_eq!(initial_capacity(None, 1000), 1000);
    }

    #[test]
    fn buffers_double_up_to_the_declared_length_or_the_limit() {
        assert_eq!(grown_capacity(8192, 8193, None, 1 << 20), 16384);
        assert_eq!(grown_capacity(8192, 100_000, None, 1 << 20), 100_000);
        assert_eq!(grown_capacity(65536, 65537, Some(70_000), 1 << 20), 70_000);
        assert_eq!(
            grown_capacity(1 << 19, (1 << 19) + 1, None, 600_000),
            600_000
        );
    }

    #[tokio::test]
    async fn a_body_is_held_within_its_reservation_and_gives_it_back() {
        let held = Gauge::default();
        let budget = BodyBudget::new(4 << 20, held.clone());
        let body = read(chunks(&[1000; 300]), None, LIMITS, &budget)
            .await
            .expect("within the limits");
        assert_eq!(body.bytes().len(), 300_000);
        let reserved = usize::try_from(held.get()).expect("positive");
        assert!((300_000..=2 * 300_000).contains(&reserved), "{reserved}");
        assert_eq!(budget.available(), budget.total() - reserved);
        drop(body);
        assert_eq!((held.get(), budget.available()), (0, 4 << 20));
    }

    #[tokio::test]
    async fn the_limit_holds_with_or_without_a_declared_length() {
        let budget = BodyBudget::new(64 << 20, Gauge::default());
        let limits = BodyLimits {
            limit: 4096,
            ..LIMITS
        };
        let declared = read(chunks(&[]), Some(4097), limits, &budget).await;
        assert_eq!(declared.err(), Some(BodyError::TooLarge));
        let chunked = read(chunks(&[4000, 97]), None, limits, &budget).await;
        assert_eq!(chunked.err(), Some(BodyError::TooLarge));
        let exact = read(chunks(&[4000, 96]), None, limits, &budget).await;
        assert_eq!(exact.map(|b| b.bytes().len()), Ok(4096));
        assert_eq!(budget.available(), 64 << 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_cannot_get_its_share_is_overloaded() {
        let budget = BodyBudget::new(100_000, Gauge::default());
        let first = read(chunks(&[60_000]), None, LIMITS, &budget)
            .await
            .expect("room");
        let second = read(chunks(&[60_000]), None, LIMITS, &budget).await;
        assert_eq!(second.err(), Some(BodyError::Overloaded));
        drop(first);
        let third = read(chunks(&[60_000]), None, LIMITS, &budget).await;
        assert_eq!(third.map(|b| b.bytes().len()), Ok(60_000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_does_not_end_times_out() {
        let budget = BodyBudget::new(1 << 20, Gauge::default());
        let endless = futures::stream::pending::<Result<Bytes, ()>>();
        let result = read(endless, Some(10), LIMITS, &budget).await;
        assert_eq!(result.err(), Some(BodyError::Timeout));
        assert_eq!(
            budget.available(),
            1 << 20,
            "nothing held after the timeout"
        );
    }
}
