use std::sync::atomic::AtomicUsize;

use tokio::time::Instant;

use super::*;

/// Records every patch with its send time; fails on demand.
#[derive(Default)]
struct RecordingPatcher {
    sent: Mutex<Vec<(WarehouseId, String, Instant)>>,
    latency: Duration,
    /// Patches to fail with an API error before succeeding.
    failures_left: AtomicUsize,
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
}

impl Patcher for RecordingPatcher {
    fn patch<'a>(
        &'a self,
        warehouse: &'a WarehouseId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        Box::pin(async move {
            self.sent.lock().expect("lock").push((
                warehouse.clone(),
                token.to_owned(),
                Instant::now(),
            ));
            tokio::time::sleep(self.latency).await;
            if self.missing.as_ref() == Some(warehouse) {
                return Err(PatchError::NotFound);
            }
            let failing = self
                .failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if failing {
                Err(PatchError::Api("injected".into()))
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
}

impl RefreshObserver for CountingObserver {
    fn patched(&self, _: &PatchResult) {
        self.patched.fetch_add(1, Ordering::SeqCst);
    }
    fn coalesced(&self) {
        self.coalesced.fetch_add(1, Ordering::SeqCst);
    }
}

fn refresher(
    patcher: &Arc<RecordingPatcher>,
    coalesce: bool,
) -> (Refresher, Arc<CountingObserver>) {
    let observer = Arc::new(CountingObserver::default());
    let refresher = Refresher::new(
        Arc::clone(patcher) as Arc<dyn Patcher>,
        Arc::clone(&observer) as Arc<dyn RefreshObserver>,
        RetryPolicy {
            retries: 3,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        },
        coalesce,
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

/// The invariant of the design: every delivery answered with success saw a
/// patch of its Warehouse sent after it arrived; and a burst costs about one
/// patch per round of patch latency, not one per delivery.
#[tokio::test(start_paused = true)]
async fn every_successful_delivery_is_covered_by_a_later_patch() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(30)));
    let (refresher, _) = refresher(&patcher, true);
    let names = ["a", "b", "c", "d"];
    let mut tasks = Vec::new();
    for i in 0..400u64 {
        let refresher = refresher.clone();
        let target = warehouse(names[(i * 7 % 4) as usize]);
        // Arrivals spread over 400 ms with an irregular pattern.
        let delay = Duration::from_millis(i * 13 % 400);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let arrived = Instant::now();
            let result = refresher.refresh(target.clone()).await;
            (target, arrived, result)
        }));
    }
    let sent = {
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task"));
        }
        let sent = patcher.sent();
        for (target, arrived, result) in &outcomes {
            assert_eq!(result, &Ok(()));
            assert!(
                sent.iter().any(|(w, _, at)| w == target && at >= arrived),
                "delivery for {target} at {arrived:?} has no later patch"
            );
        }
        sent
    };
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

#[tokio::test(start_paused = true)]
async fn retries_stop_after_the_policy_limit() {
    let patcher = Arc::new(RecordingPatcher {
        failures_left: AtomicUsize::new(100),
        ..RecordingPatcher::default()
    });
    let (refresher, _) = refresher(&patcher, true);
    assert!(refresher.refresh(warehouse("a")).await.is_err());
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        patcher.count(&warehouse("a")),
        4,
        "first attempt + 3 retries"
    );
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
/// does per connection) cost about one patch per delivery per sender, not
/// one and a half: the spacing between patches keeps them in step.
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
/// only: the spacing applies to follow-ups queued behind a patch in flight.
#[tokio::test(start_paused = true)]
async fn a_lone_sender_is_not_slowed_by_the_spacing() {
    let patcher = Arc::new(RecordingPatcher::with_latency(Duration::from_millis(30)));
    let (refresher, _) = refresher(&patcher, true);
    let start = Instant::now();
    for _ in 0..10 {
        assert_eq!(refresher.refresh(warehouse("a")).await, Ok(()));
    }
    assert_eq!(patcher.count(&warehouse("a")), 10);
    assert!(start.elapsed() < PATCH_SPACING * 2, "{:?}", start.elapsed());
}
