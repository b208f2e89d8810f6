//! The refresher: asks Kargo to look again at a Warehouse by writing a new,
//! unique value into its `kargo.akuity.io/refresh` annotation, and coalesces
//! bursts so that a storm of pushes costs few patches without losing any.
//!
//! Per Warehouse, at most one patch is in flight and at most one follow-up
//! is queued, sent a little after the one it waited for returned: how
//! long is learnt from the API server ([`pacing`]: about one patch latency
//! when it answers, longer when it refuses, throttles or does not answer).
//! A delivery joins the queued patch if there is one (it has not been sent
//! yet, so it will be sent after the delivery arrived), or queues it. A delivery is answered when the patch it joined has been sent and has
//! succeeded: that patch's send time is after the delivery's arrival, which
//! is the invariant the tests check.
//!
//! Over all Warehouses, at most [`RefreshSettings::max_concurrent_patches`]
//! patches are in flight; the others wait for a turn in arrival order (see
//! [`Inner::drain`] for why that also keeps bursts fast).
//!
//! A panic in a Warehouse's task (in the patcher or the observer) does not
//! leave the Warehouse marked busy: a guard releases it, the deliveries
//! waiting for it are answered as if the refresher had stopped (503, which
//! Harbor retries), and the next delivery starts a task afresh.
//!
//! A refresh is never given up while the Warehouse exists: a patch that
//! fails is retried with a bounded back-off ([`RetryPolicy`]) until one
//! lands, even after every delivery waiting for it has been answered 503.
//! Harbor stops after its third attempt, so the gateway's retry is what
//! keeps such a push from being lost. What a pending refresh holds is one
//! slot and one task per Warehouse, whatever the number of deliveries.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, SemaphorePermit, oneshot};

use crate::config::DEFAULT_MAX_CONCURRENT_PATCHES;
use crate::kargo::WarehouseId;

pub mod kube_patcher;
mod pacing;
pub mod token;

pub use kube_patcher::KubePatcher;

/// Why a refresh patch did not land.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The Warehouse no longer exists: nothing to refresh, nothing to retry.
    #[error("Warehouse not found")]
    NotFound,
    /// The API server refused or could not be reached; worth retrying.
    #[error("Kubernetes API error: {0}")]
    Api(#[source] ApiFailure),
    /// The refresher stopped before the patch was sent (shutdown).
    #[error("refresher stopped")]
    Stopped,
}

/// A patch the API server refused or did not answer. Shared by every
/// delivery waiting for the patch, hence the `Arc` around the cause.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiFailure {
    /// The client returned an error.
    #[error("{0}")]
    Client(#[source] Arc<kube::Error>),
    /// No answer within this many seconds.
    #[error("no answer within {0} s")]
    Timeout(u64),
}

impl From<kube::Error> for ApiFailure {
    fn from(error: kube::Error) -> Self {
        Self::Client(Arc::new(error))
    }
}

impl ApiFailure {
    /// How long the API server asked to be left alone, if it throttled the
    /// patch (429): its `Retry-After` (the Status's `retryAfterSeconds`),
    /// or a second if it gave none.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Client(error) => match error.as_ref() {
                kube::Error::Api(status) if status.code == 429 => Some(
                    status
                        .details
                        .as_ref()
                        .map(|details| details.retry_after_seconds)
                        .filter(|seconds| *seconds > 0)
                        .map_or(pacing::DEFAULT_RETRY_AFTER, |seconds| {
                            Duration::from_secs(seconds.into())
                        }),
                ),
                _ => None,
            },
            Self::Timeout(_) => None,
        }
    }
}

/// Two failures are the same when they are one shared error (a batch of
/// deliveries answered from one patch), or timeouts of the same bound.
impl PartialEq for ApiFailure {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Client(a), Self::Client(b)) => Arc::ptr_eq(a, b),
            (Self::Timeout(a), Self::Timeout(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ApiFailure {}

/// The outcome of one refresh as a delivery sees it.
pub type PatchResult = Result<(), PatchError>;

/// A stable label for a patch result, for metrics: `success`, `not_found`
/// or `error`.
pub fn patch_result_label(result: &PatchResult) -> &'static str {
    match result {
        Ok(()) => "success",
        Err(PatchError::NotFound) => "not_found",
        Err(PatchError::Api(_) | PatchError::Stopped) => "error",
    }
}

/// Sends one refresh patch. The production implementation talks to the API
/// server; tests can count and time patches.
pub trait Patcher: Send + Sync + 'static {
    /// Writes `token` into the Warehouse's refresh annotation.
    fn patch<'a>(
        &'a self,
        warehouse: &'a WarehouseId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>>;
}

/// Counters the refresher reports; the gateway wires them to metrics.
pub trait RefreshObserver: Send + Sync + 'static {
    /// A patch finished with `result`.
    fn patched(&self, result: &PatchResult);
    /// A delivery joined a patch that another delivery had already queued.
    fn coalesced(&self);
    /// The number of patches waiting for a turn changed by `change`.
    fn waiting(&self, change: i64) {
        let _ = change;
    }
}

/// An observer that records nothing.
#[derive(Debug, Default)]
pub struct NoObserver;

impl RefreshObserver for NoObserver {
    fn patched(&self, _: &PatchResult) {}
    fn coalesced(&self) {}
}

/// How failed patches are retried after the deliveries waiting for them have
/// been told: the refresh goes on in the background, without a limit on
/// the number of attempts, until a patch lands or the Warehouse is gone.
/// A delivery that arrives during the back-off ends it: it waits for its
/// answer, and a patch sent for it may well land.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay before the first retry; doubled after each failure.
    pub first_delay: Duration,
    /// Upper bound of the delay: a failing refresh is tried again at least
    /// this often.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The back-off after `failures` failures in a row (at least one).
    fn delay(&self, failures: u32) -> Duration {
        self.first_delay
            .saturating_mul(1 << failures.saturating_sub(1).min(16))
            .min(self.max_delay)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// How the refresher sends its patches.
#[derive(Debug, Clone, Copy)]
pub struct RefreshSettings {
    /// Retries of failed patches.
    pub retry: RetryPolicy,
    /// Coalesce deliveries per Warehouse (off only in benchmarks).
    pub coalesce: bool,
    /// Patches in flight at once, over all Warehouses (at least 1).
    pub max_concurrent_patches: usize,
}

impl Default for RefreshSettings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            coalesce: true,
            max_concurrent_patches: DEFAULT_MAX_CONCURRENT_PATCHES,
        }
    }
}

type Waiter = oneshot::Sender<PatchResult>;

#[derive(Default)]
struct Slot {
    /// Deliveries waiting for the next patch, which has not been sent yet.
    /// `Some` with no waiters: a retry that nobody waits for any more.
    queued: Option<Vec<Waiter>>,
    /// A task is sending patches for this Warehouse.
    busy: bool,
    /// Set while that task backs off after a failed patch; a delivery that
    /// arrives wakes it.
    backing_off: Option<Arc<Notify>>,
}

struct Inner {
    slots: Mutex<HashMap<WarehouseId, Slot>>,
    patcher: Arc<dyn Patcher>,
    observer: Arc<dyn RefreshObserver>,
    tokens: token::TokenSource,
    retry: RetryPolicy,
    coalesce: bool,
    /// One permit per patch that may be in flight; fair, so turns are
    /// taken in the order they were asked for.
    turns: Semaphore,
    /// How long follow-ups wait after the patch before them.
    pacer: Mutex<pacing::Pacer>,
    in_flight: AtomicU64,
    /// Patches run on the runtime that created the refresher, not on the
    /// HTTP worker that received the delivery: they outlive the request
    /// (and the worker, during shutdown).
    runtime: tokio::runtime::Handle,
}

/// Refreshes Warehouses; cheap to clone.
#[derive(Clone)]
pub struct Refresher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Refresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher")
            .field("coalesce", &self.inner.coalesce)
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl Refresher {
    /// A refresher sending patches through `patcher`. Must be called within
    /// a Tokio runtime, which will run the patches.
    pub fn new(
        patcher: Arc<dyn Patcher>,
        observer: Arc<dyn RefreshObserver>,
        settings: RefreshSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                slots: Mutex::new(HashMap::new()),
                patcher,
                observer,
                tokens: token::TokenSource::new(),
                retry: settings.retry,
                coalesce: settings.coalesce,
                turns: Semaphore::new(
                    settings
                        .max_concurrent_patches
                        .clamp(1, Semaphore::MAX_PERMITS),
                ),
                pacer: Mutex::new(pacing::Pacer::default()),
                in_flight: AtomicU64::new(0),
                runtime: tokio::runtime::Handle::current(),
            }),
        }
    }

    /// Refreshes `warehouse`. Resolves once a patch sent after this call has
    /// landed, or with the error of that patch. The patch itself runs on its
    /// own task: dropping the returned future (e.g. at a deadline) does not
    /// cancel it.
    pub fn refresh(&self, warehouse: WarehouseId) -> impl Future<Output = PatchResult> + use<> {
        let (tx, rx) = oneshot::channel();
        if self.inner.coalesce {
            self.enqueue(warehouse, tx);
        } else {
            // Benchmark-only mode: one patch per delivery, no sharing.
            let inner = Arc::clone(&self.inner);
            self.inner.runtime.spawn(async move {
                let result = match inner.take_turn().await {
                    Some(_turn) => inner.send_one(&warehouse).await,
                    None => Err(PatchError::Stopped),
                };
                let _ = tx.send(result);
            });
        }
        async move { rx.await.unwrap_or(Err(PatchError::Stopped)) }
    }

    /// Patches being sent or retried right now, over all Warehouses.
    pub fn in_flight(&self) -> u64 {
        self.inner.in_flight.load(Ordering::Relaxed)
    }

    fn enqueue(&self, warehouse: WarehouseId, waiter: Waiter) {
        let coalesced = {
            let mut slots = self.inner.lock_slots();
            let slot = slots.entry(warehouse.clone()).or_default();
            let coalesced = match &mut slot.queued {
                Some(queued) if queued.is_empty() => {
                    queued.push(waiter);
                    false
                }
                Some(queued) => {
                    // Deliveries answered at their deadline leave their end
                    // of the channel behind; drop those instead of growing,
                    // so a long wait holds no more than the deliveries
                    // still open.
                    if queued.len() == queued.capacity() {
                        queued.retain(|waiter| !waiter.is_closed());
                    }
                    queued.push(waiter);
                    true
                }
                None => {
                    slot.queued = Some(vec![waiter]);
                    false
                }
            };
            if let Some(wake) = &slot.backing_off {
                wake.notify_one();
            }
            if !slot.busy {
                slot.busy = true;
                let inner = Arc::clone(&self.inner);
                self.inner
                    .runtime
                    .spawn(async move { inner.drain(warehouse).await });
            }
            coalesced
        };
        // Outside the lock: the observer is not the refresher's code.
        if coalesced {
            self.inner.observer.coalesced();
        }
    }
}

impl Inner {
    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<WarehouseId, Slot>> {
        // A panic while holding the lock leaves consistent data (every
        // mutation is a single step), so a poisoned lock is still usable.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a free patch slot; `None` once the refresher is closed.
    async fn take_turn(&self) -> Option<SemaphorePermit<'_>> {
        // Counted out by a guard, so that a task dropped while it waits
        // (at shutdown) leaves the gauge right.
        struct Waiting<'a>(&'a dyn RefreshObserver);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.waiting(-1);
            }
        }
        self.observer.waiting(1);
        let _waiting = Waiting(self.observer.as_ref());
        self.turns.acquire().await.ok()
    }

    /// Sends queued patches for one Warehouse until none is queued.
    ///
    /// The batch is taken only once this Warehouse's turn has come, so the
    /// deliveries that arrive while it waits join it instead of queueing
    /// another patch. The turns are fair: when the API server is the
    /// bottleneck, the Warehouses of a burst are patched round-robin, a
    /// delivery waits about one round, and each round serves every
    /// delivery that arrived during the one before. Unbounded, every patch
    /// would be in flight at once, each would take a whole round to land,
    /// and a delivery arriving just after a patch was sent would wait two.
    async fn drain(self: Arc<Self>, warehouse: WarehouseId) {
        let mut guard = Release {
            inner: &self,
            warehouse: &warehouse,
            armed: true,
        };
        self.drain_queued(&warehouse).await;
        guard.armed = false;
    }

    /// The loop of [`drain`](Self::drain): returns once the Warehouse's
    /// slot is removed (nothing queued) or the refresher is closed.
    async fn drain_queued(&self, warehouse: &WarehouseId) {
        let mut failures = 0u32;
        loop {
            // A Warehouse with nothing queued leaves the line at once.
            if self.finish_if_idle(warehouse) {
                return;
            }
            let Some(turn) = self.take_turn().await else {
                return;
            };
            let batch = {
                let mut slots = self.lock_slots();
                match slots.get_mut(warehouse).and_then(|slot| slot.queued.take()) {
                    Some(batch) => batch,
                    // Only this task takes batches; nothing else empties it.
                    None => {
                        slots.remove(warehouse);
                        return;
                    }
                }
            };
            // Everyone in `batch` arrived before it was taken, and the patch
            // (with its token's timestamp) is made after this point.
            let started = tokio::time::Instant::now();
            let result = self.send_one(warehouse).await;
            let returned = tokio::time::Instant::now();
            drop(turn);
            self.learn(&result, returned - started, returned);
            for waiter in batch {
                let _ = waiter.send(result.clone());
            }
            match result {
                Err(PatchError::Api(_)) => {
                    failures = failures.saturating_add(1);
                    self.back_off(warehouse, self.retry.delay(failures)).await;
                }
                Ok(()) => failures = 0,
                // Gone (nothing to refresh) or stopped (shutting down).
                Err(PatchError::NotFound | PatchError::Stopped) => {}
            }
            // Only a follow-up that is already queued waits: a lone sender
            // sending one push after another is never slowed down.
            if self.follow_up_queued(warehouse) {
                let follow_up_at = self.lock_pacer().follow_up_at(returned);
                tokio::time::sleep_until(follow_up_at).await;
            }
        }
    }

    fn lock_pacer(&self) -> std::sync::MutexGuard<'_, pacing::Pacer> {
        // Every change to the pacer is a single step: usable if poisoned.
        self.pacer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the pacer how the API server answered a patch that took
    /// `took` and returned at `returned`.
    fn learn(&self, result: &PatchResult, took: Duration, returned: tokio::time::Instant) {
        let answer = match result {
            Ok(()) | Err(PatchError::NotFound) => Some(pacing::Answer::Answered { took }),
            Err(PatchError::Api(ApiFailure::Timeout(_))) => Some(pacing::Answer::Unanswered),
            Err(PatchError::Api(failure)) => Some(match failure.retry_after() {
                Some(retry_after) => pacing::Answer::Throttled { retry_after },
                None => pacing::Answer::Refused,
            }),
            // Not sent: nothing learnt about the API server.
            Err(PatchError::Stopped) => None,
        };
        if let Some(answer) = answer {
            self.lock_pacer().observe(answer, returned);
        }
    }

    /// After a failed patch: keeps the refresh queued (even if no delivery
    /// waits for it any more) and waits `delay`, or less if a delivery
    /// arrives meanwhile. Deliveries that arrived while the failed patch
    /// was in flight and still wait have had no patch of their own yet: no
    /// wait for them (the pacing between patches still applies).
    async fn back_off(&self, warehouse: &WarehouseId, delay: Duration) {
        let wake = Arc::new(Notify::new());
        {
            let mut slots = self.lock_slots();
            let slot = slots.entry(warehouse.clone()).or_default();
            let queued = slot.queued.get_or_insert_with(Vec::new);
            queued.retain(|waiter| !waiter.is_closed());
            if !queued.is_empty() {
                return;
            }
            slot.backing_off = Some(Arc::clone(&wake));
        }
        // A delivery between the unlock and this wait stores a permit, so
        // it is not missed.
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = wake.notified() => {}
        }
        if let Some(slot) = self.lock_slots().get_mut(warehouse) {
            slot.backing_off = None;
        }
    }

    /// Ends this Warehouse's drain if nothing is queued: true if it did.
    fn finish_if_idle(&self, warehouse: &WarehouseId) -> bool {
        let mut slots = self.lock_slots();
        let idle = slots
            .get(warehouse)
            .is_none_or(|slot| slot.queued.is_none());
        if idle {
            slots.remove(warehouse);
        }
        idle
    }

    fn follow_up_queued(&self, warehouse: &WarehouseId) -> bool {
        self.lock_slots()
            .get(warehouse)
            .is_some_and(|slot| slot.queued.is_some())
    }

    async fn send_one(&self, warehouse: &WarehouseId) -> PatchResult {
        /// Counts the patch out however it ends (a patcher may panic).
        struct InFlight<'a>(&'a AtomicU64);
        impl Drop for InFlight<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let in_flight = InFlight(&self.in_flight);
        let token = self.tokens.next();
        let result = self.patcher.patch(warehouse, &token).await;
        drop(in_flight);
        self.observer.patched(&result);
        result
    }
}

/// Releases a Warehouse whose drain task ended without finishing (a panic
/// in the patcher or the observer, or the task dropped at shutdown). The
/// slot is removed, so the next delivery starts a task afresh; the
/// deliveries still queued are dropped, which answers them
/// [`PatchError::Stopped`] (503: the sender retries, and its retry is
/// served) instead of leaving them to wait for a patch nobody will send.
///
/// Disarmed when the task finishes normally: it has then removed the slot
/// itself, and a slot there now belongs to a newer task.
struct Release<'a> {
    inner: &'a Inner,
    warehouse: &'a WarehouseId,
    armed: bool,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // While armed, this task owns the slot (it is busy): nobody else
        // removes it or starts another task for it.
        let released = self.inner.lock_slots().remove(self.warehouse);
        let waiting = released
            .and_then(|slot| slot.queued)
            .map_or(0, |queued| queued.len());
        tracing::error!(
            warehouse = %self.warehouse,
            waiting,
            "the refresh task of a Warehouse ended abnormally; the Warehouse is \
             released and its waiting deliveries are answered 503"
        );
    }
}

#[cfg(test)]
mod tests;
