use std::sync::atomic::{AtomicBool, AtomicUsize};

use tokio::time::Instant;

use super::*;

/// One patch as the recording patcher saw it, with its start and end on
/// the test's logical clock (see [`RecordingPatcher::tick`]).
#[derive(Debug, Clone)]
struct Sent {
    warehouse: WarehouseId,
    started: u64,
    finished: u64,
}

/// Records every patch with its send time; fails on demand.
#[derive(Default)]
struct RecordingPatcher {
    sent: Mutex<Vec<(WarehouseId, String, Instant)>>,
    /// Every patch's start and end on the logical clock.
    spans: Mutex<Vec<Sent>>,
    /// A clock that only moves forward, one step per reading: two events
    /// are ordered even when the paused test clock shows them at the same
    /// instant.
    clock: AtomicU64,
    latency: Duration,
    /// Patches to fail with an API error before succeeding.
    failures_left: AtomicUsize,
    /// Patches to throttle (429 with `retry_after_seconds`) before
    /// succeeding.
    throttled_left: AtomicUsize,
    retry_after_seconds: u32,
    missing: Option<WarehouseId>,
}

impl RecordingPatcher {
    fn with_latency(latency: Duration) -> Self {
        Self {
            latency,
            ..Self::default()
        }
    }

    fn sent(&self) -> Vec<(WarehouseId, String, Instant)> {
        self.sent.lock().expect("lock").clone()
    }

    fn count(&self, warehouse: &WarehouseId) -> usize {
        self.sent().iter().filter(|(w, ..)| w == warehouse).count()
    }

    /// The next reading of the logical clock.
    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }
}

impl Patcher for RecordingPatcher {
    fn patch<'a>(
        &'a self,
        warehouse: &'a WarehouseId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        Box::pin(async move {
            let started = self.tick();
            self.sent.lock().expect("lock").push((
                warehouse.clone(),
                token.to_owned(),
                Instant::now(),
            ));
            tokio::time::sleep(self.latency).await;
            self.spans.lock().expect("lock").push(Sent {
                warehouse: warehouse.clone(),
                started,
                finished: self.tick(),
            });
            if self.missing.as_ref() == Some(warehouse) {
                return Err(PatchError::NotFound);
            }
            let take = |left: &AtomicUsize| {
                left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            };
            if take(&self.throttled_left) {
                // What the API server answers when it throttles.
                let status: kube::core::Status = serde_json::from_value(serde_json::json!({
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "message": "Too many requests, please try again later.",
                    "reason": "TooManyRequests",
                    "details": {"retryAfterSeconds": self.retry_after_seconds},
                    "code": 429,
                }))
                .expect("a Status");
                return Err(PatchError::Api(kube::Error::Api(status.boxed()).into()));
            }
            if take(&self.failures_left) {
                Err(PatchError::Api(
                    kube::Error::Service("injected".into()).into(),
                ))
            } else {
                Ok(())
            }
        })
    }
}

#[derive(Default)]
struct CountingObserver {
    coalesced: AtomicUsize,
    patched: AtomicUsize,
    waiting: std::sync::atomic::AtomicI64,
}

impl RefreshObserver for CountingObserver {
    fn patched(&self, _: &PatchResult) {
        self.patched.fetch_add(1, Ordering::SeqCst);
    }
    fn coalesced(&self) {
        self.coalesced.fetch_add(1, Ordering::SeqCst);
    }
    fn waiting(&self, change: i64) {
        self.waiting.fetch_add(change, Ordering::SeqCst);
    }
}

const TEST_RETRY: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_millis(100),
    max_delay: Duration::from_secs(1),
};

fn refresher(
    patcher: &Arc<RecordingPatcher>,
    coalesce: bool,
) -> (Refresher, Arc<CountingObserver>) {
    refresher_with_turns(patcher, coalesce, DEFAULT_MAX_CONCURRENT_PATCHES)
}

fn refresher_with_turns(
    patcher: &Arc<RecordingPatcher>,
    coalesce: bool,
    max_concurrent_patches: usize,
) -> (Refresher, Arc<CountingObserver>) {
    let observer = Arc::new(CountingObserver::default());
    let refresher = Refresher::new(
        Arc::clone(patcher) as Arc<dyn Patcher>,
        Arc::clone(&observer) as Arc<dyn RefreshObserver>,
        RefreshSettings {
            retry: TEST_RETRY,
            coalesce,
            max_concurrent_patches,
        },
    );
    (refresher, observer)
}

fn warehouse(name: &str) -> WarehouseId {
    WarehouseId::new("ns", name)
}

#[tokio::test(start_paused = true)]
async fn one_delivery_one_patch() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(10)));
    let (refresher, _) = refresher(&patcher, true);
    assert_eq!(refresher.refresh(warehouse("a")).await, Ok(()));
    assert_eq!(patcher.count(&warehouse("a")), 1);
}

#[tokio::test(start_paused = true)]
async fn deliveries_during_a_patch_share_exactly_one_follow_up() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(100)));
    let (refresher, observer) = refresher(&patcher, true);
    let first = tokio::spawn(refresher.refresh(warehouse("a")));
    tokio::time::sleep(Duration::from_millis(10)).await;
    // The first patch is in flight now; these ten queue one follow-up.
    let followers: Vec<_> = (0..10)
        .map(|_| tokio::spawn(refresher.refresh(warehouse("a"))))
        .collect();
    assert_eq!(first.await.expect("task"), Ok(()));
    for follower in followers {
        assert_eq!(follower.await.expect("task"), Ok(()));
    }
    assert_eq!(patcher.count(&warehouse("a")), 2);
    assert_eq!(observer.coalesced.load(Ordering::SeqCst), 9);
    assert_eq!(refresher.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn warehouses_are_patched_independently() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(50)));
    let (refresher, _) = refresher(&patcher, true);
    let results =
        futures::future::join_all(["a", "b", "c"].map(|name| refresher.refresh(warehouse(name))))
            .await;
    assert!(results.iter().all(Result::is_ok));
    for name in ["a", "b", "c"] {
        assert_eq!(patcher.count(&warehouse(name)), 1);
    }
}

/// The invariant of the design: every delivery answered with success is
/// answered by a patch of its Warehouse that started after the delivery
/// arrived and finished before the answer; and a burst costs about one
/// patch per round of patch latency, not one per delivery.
#[tokio::test(start_paused = true)]
async fn every_successful_delivery_is_answered_by_a_patch_sent_after_it_arrived() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(30)));
    let (refresher, _) = refresher(&patcher, true);
    let names = ["a", "b", "c", "d"];
    let mut tasks = Vec::new();
    for i in 0..400u64 {
        let refresher = refresher.clone();
        let target = warehouse(names[(i * 7 % 4) as usize]);
        // Arrivals spread over 400 ms with an irregular pattern.
        let delay = Duration::from_millis(i * 13 % 400);
        let patcher = Arc::clone(&patcher);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let arrived = patcher.tick();
            let result = refresher.refresh(target.clone()).await;
            let answered = patcher.tick();
            (target, arrived, answered, result)
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task"));
    }
    let spans = patcher.spans.lock().expect("lock").clone();
    for (target, arrived, answered, result) in &outcomes {
        assert_eq!(result, &Ok(()));
        assert!(
            spans.iter().any(|patch| &patch.warehouse == target
                && patch.started > *arrived
                && patch.finished < *answered),
            "delivery for {target} (arrived at {arrived}, answered at {answered}) was answered \
             without a patch that started after its arrival and finished before its answer"
        );
    }
    let sent = patcher.sent();
    let tokens: std::collections::HashSet<_> = sent.iter().map(|(_, t, _)| t).collect();
    assert_eq!(tokens.len(), sent.len(), "every patch has its own token");
    for name in names {
        // 400 ms of arrivals at 30 ms per patch: at most ~14 rounds + slack.
        let count = patcher.count(&warehouse(name));
        assert!((2..=16).contains(&count), "{name}: {count} patches");
    }
}

#[tokio::test(start_paused = true)]
async fn a_deleted_warehouse_is_reported_and_not_retried() {
    let patcher = Arc::new(RecordingPatcher {
        missing: Some(warehouse("gone")),
        ..RecordingPatcher::default()
    });
    let (refresher, _) = refresher(&patcher, true);
    assert_eq!(
        refresher.refresh(warehouse("gone")).await,
        Err(PatchError::NotFound)
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(patcher.count(&warehouse("gone")), 1);
}

#[tokio::test(start_paused = true)]
async fn api_failures_are_reported_and_the_refresh_goes_on() {
    let patcher = Arc::new(RecordingPatcher {
        failures_left: AtomicUsize::new(2),
        ..RecordingPatcher::default()
    });
    let (refresher, observer) = refresher(&patcher, true);
    let result = refresher.refresh(warehouse("a")).await;
    assert!(matches!(result, Err(PatchError::Api(_))));
    // Retries at +100 ms and +200 ms; the second one lands.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(patcher.count(&warehouse("a")), 3);
    assert_eq!(observer.patched.load(Ordering::SeqCst), 3);
    // The next delivery gets a fresh patch and succeeds.
    assert_eq!(refresher.refresh(warehouse("a")).await, Ok(()));
    assert_eq!(patcher.count(&warehouse("a")), 4);
}

/// Harbor stops after its third attempt: a refresh whose deliveries were
/// all answered 503 is retried by the gateway until it lands, however long
/// the API server fails, at least every `max_delay`; then it stops.
#[tokio::test(start_paused = true)]
async fn a_failing_refresh_is_retried_until_it_lands() {
    const FAILURES: usize = 60;
    let patcher = Arc::new(RecordingPatcher {
        failures_left: AtomicUsize::new(FAILURES),
        ..RecordingPatcher::default()
    });
    let (refresher, observer) = refresher(&patcher, true);
    assert!(matches!(
        refresher.refresh(warehouse("a")).await,
        Err(PatchError::Api(_))
    ));
    // 0.1 + 0.2 + 0.4 + 0.8 s, then one attempt a second: about a minute.
    tokio::time::sleep(Duration::from_secs(10 * 60)).await;
    let sent = patcher.sent();
    assert_eq!(sent.len(), FAILURES + 1, "every failure retried, then done");
    assert_eq!(observer.patched.load(Ordering::SeqCst), FAILURES + 1);
    let gaps: Vec<Duration> = sent.windows(2).map(|w| w[1].2 - w[0].2).collect();
    assert_eq!(gaps[..4], [100, 200, 400, 800].map(Duration::from_millis));
    assert!(
        gaps[4..].iter().all(|gap| *gap == TEST_RETRY.max_delay),
        "the back-off stays at its bound: {gaps:?}"
    );
    // Landed: nothing is held for the Warehouse any more.
    assert!(refresher.inner.lock_slots().is_empty());
    assert_eq!(refresher.in_flight(), 0);
}

/// A delivery that arrives while a failed refresh backs off does not wait
/// out the back-off (Harbor's retry would miss its deadline again).
#[tokio::test(start_paused = true)]
async fn a_delivery_during_the_back_off_is_patched_at_once() {
    let patcher = Arc::new(RecordingPatcher {
        failures_left: AtomicUsize::new(1),
        ..RecordingPatcher::with_latency(Duration::from_millis(10))
    });
    let observer = Arc::new(CountingObserver::default());
    let refresher = Refresher::new(
        Arc::clone(&patcher) as Arc<dyn Patcher>,
        Arc::clone(&observer) as Arc<dyn RefreshObserver>,
        RefreshSettings {
            retry: RetryPolicy {
                first_delay: Duration::from_secs(20),
                max_delay: Duration::from_secs(60),
            },
            ..RefreshSettings::default()
        },
    );
    assert!(refresher.refresh(warehouse("a")).await.is_err());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let arrived = Instant::now();
    assert_eq!(refresher.refresh(warehouse("a")).await, Ok(()));
    assert!(arrived.elapsed() < Duration::from_millis(100));
    assert_eq!(patcher.count(&warehouse("a")), 2);
    // The retry it replaced is not sent as well.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(patcher.count(&warehouse("a")), 2);
}

/// Whatever the number of deliveries during an outage, a Warehouse holds
/// one slot, and deliveries already answered (their futures dropped at the
/// deadline) do not pile up in it.
#[tokio::test(start_paused = true)]
async fn an_outage_holds_one_slot_per_warehouse() {
    let patcher = Arc::new(RecordingPatcher {
        failures_left: AtomicUsize::new(usize::MAX),
        ..RecordingPatcher::with_latency(Duration::from_secs(10))
    });
    let (refresher, _) = refresher(&patcher, true);
    for round in 0..100 {
        for _ in 0..1_000 {
            // Answered 503 at the deadline: the delivery stops waiting.
            drop(refresher.refresh(warehouse("a")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let slots = refresher.inner.lock_slots();
        assert_eq!(slots.len(), 1, "round {round}");
        let queued = slots[&warehouse("a")]
            .queued
            .as_ref()
            .map_or(0, Vec::capacity);
        assert!(queued <= 4, "round {round}: {queued} waiters held");
    }
    // Ten seconds of a flood, the first patch failing after 10 s: the
    // answered deliveries do not skip the back-off of its retry.
    assert_eq!(patcher.count(&warehouse("a")), 1);
    tokio::time::sleep(Duration::from_millis(99)).await;
    assert_eq!(patcher.count(&warehouse("a")), 1);
    tokio::time::sleep(Duration::from_millis(2)).await;
    assert_eq!(patcher.count(&warehouse("a")), 2);
}

#[tokio::test(start_paused = true)]
async fn without_coalescing_every_delivery_costs_a_patch() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(50)));
    let (refresher, observer) = refresher(&patcher, false);
    let results =
        futures::future::join_all((0..20).map(|_| refresher.refresh(warehouse("a")))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(patcher.count(&warehouse("a")), 20);
    assert_eq!(observer.coalesced.load(Ordering::SeqCst), 0);
}

/// Senders that each wait for their answer before sending again (as Harbor
/// does per connection) cost about one patch per round of deliveries, not
/// one per half of them: the follow-up waits a patch latency after the
/// patch before it, long enough for the senders it answered to come back
/// and join it.
#[tokio::test(start_paused = true)]
async fn closed_loop_senders_cost_about_one_patch_per_round() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(30)));
    let (refresher, _) = refresher(&patcher, true);
    let senders = (0..10u64).map(|sender| {
        let refresher = refresher.clone();
        async move {
            // Out of step at first: each starts a little later.
            tokio::time::sleep(Duration::from_millis(sender * 7)).await;
            for _ in 0..10 {
                assert_eq!(refresher.refresh(warehouse("a")).await, Ok(()));
                // The answer's way back and the next delivery's way in.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    futures::future::join_all(senders).await;
    let count = patcher.count(&warehouse("a"));
    assert!(
        count <= 10 + 2,
        "{count} patches for 10 rounds of 10 senders"
    );
}

/// One sender sending pushes one after another waits for its own patch
/// only: the pacing applies to follow-ups queued behind a patch in flight.
#[tokio::test(start_paused = true)]
async fn a_lone_sender_is_not_slowed_by_the_pacing() {
    let latency = Duration::from_millis(30);
    let patcher = Arc::new(RecordingPatcher::with_latency(latency));
    let (refresher, _) = refresher(&patcher, true);
    let start = Instant::now();
    for _ in 0..10 {
        assert_eq!(refresher.refresh(warehouse("a")).await, Ok(()));
    }
    assert_eq!(patcher.count(&warehouse("a")), 10);
    assert_eq!(start.elapsed(), latency * 10);
}

/// Closed-loop senders to one Warehouse of a fast API server (3 ms a
/// patch; each answer takes 0.5 ms to come back as the next delivery):
/// no fixed delay holds them, so they get about one answer per two patch
/// latencies, while each patch serves every sender.
#[tokio::test(start_paused = true)]
async fn a_fast_server_answers_closed_loop_senders_fast_with_few_patches() {
    const SENDERS: u64 = 16;
    let latency = Duration::from_millis(3);
    let patcher = Arc::new(RecordingPatcher::with_latency(latency));
    let (refresher, _) = refresher(&patcher, true);
    let run = Duration::from_secs(1);
    let end = Instant::now() + run;
    let senders = (0..SENDERS).map(|sender| {
        let refresher = refresher.clone();
        async move {
            // Out of step at first.
            tokio::time::sleep(Duration::from_micros(sender * 300)).await;
            let mut answered = Vec::new();
            while Instant::now() < end {
                let arrived = Instant::now();
                assert_eq!(refresher.refresh(warehouse("a")).await, Ok(()));
                answered.push(arrived.elapsed());
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
            answered
        }
    });
    let waits: Vec<Duration> = futures::future::join_all(senders)
        .await
        .into_iter()
        .flatten()
        .collect();
    let deliveries = waits.len();
    let patches = patcher.count(&warehouse("a"));
    // One patch every 6 ms (3 in flight, then 3 of spacing, in which the
    // senders it answered come back), each serving all 16 senders.
    assert!(
        deliveries >= 2_000,
        "{deliveries} deliveries in {run:?}: the pacing held them back"
    );
    assert!(
        patches * 12 <= deliveries,
        "{patches} patches for {deliveries} deliveries"
    );
    let longest = waits.iter().max().copied().unwrap_or_default();
    assert!(longest <= latency * 4, "a delivery waited {longest:?}");
}

/// A slow API server gets fewer, larger patches: the follow-up waits one
/// (smoothed) patch latency after the patch before it returned.
#[tokio::test(start_paused = true)]
async fn a_slow_server_spaces_follow_ups_by_its_latency() {
    let latency = Duration::from_millis(200);
    let patcher = Arc::new(RecordingPatcher::with_latency(latency));
    let (refresher, _) = refresher(&patcher, true);
    let first = tokio::spawn(refresher.refresh(warehouse("a")));
    tokio::time::sleep(Duration::from_millis(10)).await;
    let second = tokio::spawn(refresher.refresh(warehouse("a")));
    assert_eq!(first.await.expect("task"), Ok(()));
    assert_eq!(second.await.expect("task"), Ok(()));
    let sent = patcher.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].2 - sent[0].2, latency * 2, "sent, returned, spaced");
}

/// A 429 holds the follow-ups (and the retry) for the `Retry-After` the
/// API server sent, however fast it answered.
#[tokio::test(start_paused = true)]
async fn a_throttled_patch_holds_the_follow_up_for_its_retry_after() {
    let patcher = Arc::new(RecordingPatcher {
        throttled_left: AtomicUsize::new(1),
        retry_after_seconds: 2,
        ..RecordingPatcher::with_latency(Duration::from_millis(5))
    });
    let (refresher, _) = refresher(&patcher, true);
    let first = tokio::spawn(refresher.refresh(warehouse("a")));
    tokio::time::sleep(Duration::from_millis(1)).await;
    let queued = tokio::spawn(refresher.refresh(warehouse("a")));
    assert!(matches!(
        first.await.expect("task"),
        Err(PatchError::Api(failure)) if failure.retry_after() == Some(Duration::from_secs(2))
    ));
    assert_eq!(queued.await.expect("task"), Ok(()));
    let sent = patcher.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].2 - sent[0].2,
        Duration::from_millis(5) + Duration::from_secs(2)
    );
}

/// While the API server refuses patches, follow-ups for deliveries that
/// keep arriving are spaced further and further apart (up to a second).
#[tokio::test(start_paused = true)]
async fn refused_patches_space_the_follow_ups_further_apart() {
    let patcher = Arc::new(RecordingPatcher {
        failures_left: AtomicUsize::new(usize::MAX),
        ..RecordingPatcher::with_latency(Duration::from_millis(1))
    });
    let (refresher, _) = refresher(&patcher, true);
    // A delivery every millisecond for five seconds, each waiting for its
    // answer in the background.
    for _ in 0..5_000 {
        tokio::spawn(refresher.refresh(warehouse("a")));
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let sent = patcher.sent();
    let gaps: Vec<Duration> = sent.windows(2).map(|w| w[1].2 - w[0].2).collect();
    assert_eq!(
        gaps[..5],
        [51, 101, 201, 401, 801].map(Duration::from_millis),
        "{gaps:?}"
    );
    assert!(
        gaps[5..]
            .iter()
            .all(|gap| *gap == Duration::from_millis(1_001))
    );
}

#[tokio::test(start_paused = true)]
async fn patches_beyond_the_limit_are_counted_as_waiting() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(100)));
    let (refresher, observer) = refresher_with_turns(&patcher, true, 2);
    let all: Vec<_> = (0..5)
        .map(|i| tokio::spawn(refresher.refresh(warehouse(&format!("w{i}")))))
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(refresher.in_flight(), 2);
    assert_eq!(observer.waiting.load(Ordering::SeqCst), 3);
    for delivery in all {
        assert_eq!(delivery.await.expect("task"), Ok(()));
    }
    assert_eq!(observer.waiting.load(Ordering::SeqCst), 0);
    assert_eq!(patcher.sent().len(), 5);
}

/// Stands in for an API server that lands one patch at a time, in order,
/// each taking `cost`: under load a patch's latency is its wait in line.
struct SaturatedServer {
    line: tokio::sync::Mutex<()>,
    cost: Duration,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    sent: Mutex<Vec<WarehouseId>>,
}

impl SaturatedServer {
    fn new(cost: Duration) -> Self {
        Self {
            line: tokio::sync::Mutex::new(()),
            cost,
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
            sent: Mutex::new(Vec::new()),
        }
    }
}

impl Patcher for SaturatedServer {
    fn patch<'a>(
        &'a self,
        warehouse: &'a WarehouseId,
        _token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            self.sent.lock().expect("lock").push(warehouse.clone());
            {
                let _served = self.line.lock().await;
                tokio::time::sleep(self.cost).await;
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })
    }
}

fn refresher_over(server: &Arc<SaturatedServer>, turns: usize) -> Refresher {
    Refresher::new(
        Arc::clone(server) as Arc<dyn Patcher>,
        Arc::new(NoObserver),
        RefreshSettings {
            max_concurrent_patches: turns,
            ..RefreshSettings::default()
        },
    )
}

#[tokio::test(start_paused = true)]
async fn no_more_patches_are_in_flight_than_the_limit() {
    let server = Arc::new(SaturatedServer::new(Duration::from_millis(5)));
    let refresher = refresher_over(&server, 3);
    let names: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
    let results =
        futures::future::join_all(names.iter().map(|name| refresher.refresh(warehouse(name))))
            .await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(server.sent.lock().expect("lock").len(), 30);
    assert_eq!(server.most_in_flight.load(Ordering::SeqCst), 3);
}

/// Closed-loop senders (each waits for its answer, then pushes again) to
/// one repository that 40 Warehouses subscribe to, against a server that
/// lands 100 patches a second: a round of patches takes 400 ms. Taking
/// turns, each delivery waits about one round and each round serves
/// every delivery that arrived during the one before. With every patch in
/// flight at once, each would take a whole round to land and a delivery
/// arriving just after its Warehouse's patch was sent would wait for two
/// (measured with this test: 800 ms and 17 patches per Warehouse).
#[tokio::test(start_paused = true)]
async fn a_saturating_burst_waits_about_one_round() {
    const WAREHOUSES: usize = 40;
    const ROUNDS: usize = 8;
    let server = Arc::new(SaturatedServer::new(Duration::from_millis(10)));
    let refresher = refresher_over(&server, 4);
    let round = server.cost * WAREHOUSES as u32;
    let senders = (0..10u64).map(|sender| {
        let refresher = refresher.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(sender * 37)).await;
            let mut longest = Duration::ZERO;
            for _ in 0..ROUNDS {
                let arrived = Instant::now();
                let all = (0..WAREHOUSES).map(|i| refresher.refresh(warehouse(&format!("w{i}"))));
                let results = futures::future::join_all(all).await;
                assert!(results.iter().all(Result::is_ok));
                longest = longest.max(arrived.elapsed());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            longest
        }
    });
    let longest = futures::future::join_all(senders)
        .await
        .into_iter()
        .max()
        .expect("senders");
    assert!(
        longest < round * 3 / 2,
        "a delivery waited {longest:?}; a round takes {round:?}"
    );
    let patches = server.sent.lock().expect("lock").len();
    let per_warehouse = patches as f64 / WAREHOUSES as f64;
    assert!(
        per_warehouse <= (ROUNDS + 3) as f64,
        "{per_warehouse} patches per Warehouse for {ROUNDS} rounds of 10 senders"
    );
}

/// `future`'s output; a Warehouse left busy would make it wait forever, so
/// give up after a minute of (paused, so instant) test time.
async fn within_a_minute<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("the Warehouse was left busy: the delivery is never served")
}

/// An observer that panics the first time a patch is reported to it.
#[derive(Default)]
struct PanickingObserver {
    panicked: AtomicBool,
}

impl RefreshObserver for PanickingObserver {
    fn patched(&self, _: &PatchResult) {
        if !self.panicked.swap(true, Ordering::SeqCst) {
            panic!("observer failure (injected by the test)");
        }
    }
    fn coalesced(&self) {}
}

/// A panic inside a Warehouse's patch task does not leave the Warehouse
/// busy: the deliveries it held are answered (as if the refresher had
/// stopped: 503, which the sender retries), and the next delivery is served.
#[tokio::test(start_paused = true)]
async fn a_panicking_observer_does_not_leave_the_warehouse_busy() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(10)));
    let observer = Arc::new(PanickingObserver::default());
    let refresher = Refresher::new(
        Arc::clone(&patcher) as Arc<dyn Patcher>,
        Arc::clone(&observer) as Arc<dyn RefreshObserver>,
        RefreshSettings::default(),
    );
    let first = tokio::spawn(refresher.refresh(warehouse("a")));
    tokio::time::sleep(Duration::from_millis(1)).await;
    let joined = tokio::spawn(refresher.refresh(warehouse("a")));
    assert_eq!(first.await.expect("task"), Err(PatchError::Stopped));
    assert!(observer.panicked.load(Ordering::SeqCst));
    // The delivery queued behind the failed task is answered too, not left
    // to wait for its deadline.
    assert_eq!(
        within_a_minute(async { joined.await.expect("task") }).await,
        Err(PatchError::Stopped)
    );
    assert!(
        refresher.inner.lock_slots().is_empty(),
        "the Warehouse is released"
    );
    assert_eq!(refresher.in_flight(), 0);
    assert_eq!(
        within_a_minute(refresher.refresh(warehouse("a"))).await,
        Ok(())
    );
    assert_eq!(patcher.count(&warehouse("a")), 2);
    // Another Warehouse never noticed.
    assert_eq!(refresher.refresh(warehouse("b")).await, Ok(()));
}

/// A patcher that panics on its first patch.
#[derive(Default)]
struct PanickingPatcher {
    calls: AtomicUsize,
}

impl Patcher for PanickingPatcher {
    fn patch<'a>(
        &'a self,
        _: &'a WarehouseId,
        _: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert!(call > 0, "patcher failure (injected by the test)");
            Ok(())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_patcher_does_not_leave_the_warehouse_busy() {
    let patcher = Arc::new(PanickingPatcher::default());
    let refresher = Refresher::new(
        Arc::clone(&patcher) as Arc<dyn Patcher>,
        Arc::new(NoObserver),
        RefreshSettings::default(),
    );
    assert_eq!(
        refresher.refresh(warehouse("a")).await,
        Err(PatchError::Stopped)
    );
    assert_eq!(refresher.in_flight(), 0, "the patch is counted out");
    assert_eq!(
        within_a_minute(refresher.refresh(warehouse("a"))).await,
        Ok(())
    );
    assert_eq!(patcher.calls.load(Ordering::SeqCst), 2);
}
