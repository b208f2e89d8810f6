//! One memory budget for every request body held at once, over all
//! connections and workers (`--body-memory-budget`). A body's buffer is
//! reserved from it before it grows, and given back when the body is
//! dropped (right after the provider parsed it, before the refresh is
//! awaited). A request that cannot get its share within a short wait is
//! answered 503 with `Retry-After`, so the bodies in memory never exceed
//! the budget however many connections send at once.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How long a body waits for room in the budget before it is answered 503:
/// long enough for bodies being parsed to be dropped, short enough to stay
/// well inside the answer deadline.
pub const BUDGET_WAIT: Duration = Duration::from_millis(250);

/// The budget was exhausted for longer than [`BUDGET_WAIT`] (or the request
/// alone needs more than all of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body memory budget is exhausted")]
pub struct Exhausted;

/// The shared budget; cheap to clone.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
    /// Bytes reserved right now, exported as a metric.
    held: Gauge,
}

impl BodyBudget {
    /// A budget of `total` bytes; `held` follows what is reserved.
    pub fn new(total: usize, held: Gauge) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(total)),
            total,
            held,
        }
    }

    /// The budget's size in bytes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes free right now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// A reservation of nothing yet, to grow as a body arrives.
    pub fn reservation(&self) -> Reservation {
        Reservation {
            budget: self.clone(),
            permit: None,
            bytes: 0,
        }
    }
}

/// Bytes of the budget held for one body; given back on drop.
#[derive(Debug)]
pub struct Reservation {
    budget: BodyBudget,
    permit: Option<OwnedSemaphorePermit>,
    bytes: usize,
}

impl Reservation {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Grows the reservation to `bytes` in all, waiting at most
    /// [`BUDGET_WAIT`] for room.
    pub async fn grow_to(&mut self, bytes: usize) -> Result<(), Exhausted> {
        let Some(more) = bytes.checked_sub(self.bytes).filter(|more| *more > 0) else {
            return Ok(());
        };
        if bytes > self.budget.total {
            return Err(Exhausted);
        }
        let more_permits = u32::try_from(more).map_err(|_| Exhausted)?;
        let budget = &self.budget.bytes;
        // With room in the budget (the usual case) no timer is armed.
        let permit = match Arc::clone(budget).try_acquire_many_owned(more_permits) {
            Ok(permit) => permit,
            Err(_) => {
                let acquire = Arc::clone(budget).acquire_many_owned(more_permits);
                tokio::time::timeout_at(Instant::now() + BUDGET_WAIT, acquire)
                    .await
                    .map_err(|_| Exhausted)?
                    // The semaphore is never closed.
                    .map_err(|_| Exhausted)?
            }
        };
        match &mut self.permit {
            Some(held) => held.merge(permit),
            None => self.permit = Some(permit),
        }
        self.bytes = bytes;
        self.budget
            .held
            .inc_by(i64::try_from(more).unwrap_or(i64::MAX));
        Ok(())
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget
            .held
            .dec_by(i64::try_from(self.bytes).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn reservations_share_the_budget_and_give_it_back() {
        let held = Gauge::default();
        let budget = BodyBudget::new(1000, held.clone());
        let mut first = budget.reservation();
        first.grow_to(600).await.expect("room");
        first.grow_to(300).await.expect("shrinking asks nothing");
        assert_eq!(
            (first.bytes(), budget.available(), held.get()),
            (600, 400, 600)
        );
        let mut second = budget.reservation();
        assert_eq!(second.grow_to(500).await, Err(Exhausted));
        assert_eq!(second.bytes(), 0);
        second.grow_to(400).await.expect("what is left");
        assert_eq!((budget.available(), held.get()), (0, 1000));
        drop(first);
        assert_eq!((budget.available(), held.get()), (600, 400));
        second.grow_to(1000).await.expect("room again");
        drop(second);
        assert_eq!((budget.available(), held.get()), (1000, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_waits_briefly_for_room() {
        let budget = BodyBudget::new(100, Gauge::default());
        let mut holder = budget.reservation();
        holder.grow_to(100).await.expect("room");
        let waiting = {
            let budget = budget.clone();
            tokio::spawn(async move {
                let mut waiter = budget.reservation();
                waiter.grow_to(50).await.map(|()| waiter.bytes())
            })
        };
        tokio::time::sleep(BUDGET_WAIT / 2).await;
        drop(holder);
        assert_eq!(waiting.await.expect("task"), Ok(50));
        // Nobody gives room back: refused after the wait.
        let mut holder = budget.reservation();
        holder.grow_to(100).await.expect("room");
        let started = Instant::now();
        assert_eq!(budget.reservation().grow_to(1).await, Err(Exhausted));
        assert_eq!(started.elapsed(), BUDGET_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn more_than_the_whole_budget_is_refused_at_once() {
        let budget = BodyBudget::new(100, Gauge::default());
        let started = Instant::now();
        assert_eq!(budget.reservation().grow_to(101).await, Err(Exhausted));
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
