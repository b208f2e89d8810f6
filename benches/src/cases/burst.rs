//! Case 3, bursts: thousands of Harbor pushes over many connections for one
//! repository that hundreds of Warehouses subscribe to, against the real API
//! server. Measures latency and patches, and checks the refresh invariant:
//! every Warehouse's last refresh was sent after the last delivery arrived.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use futures::future::try_join_all;
use k8s_openapi::jiff::Timestamp;
use kargo_webhook_gateway::internals::sent_at;
use kargo_webhook_gateway::kargo::{REFRESH_ANNOTATION, Warehouse};
use kube::api::{Api, ListParams};
use serde_json::json;

use crate::context::Bench;
use crate::process::{GatewayOptions, scrape};
use crate::stats::{median, millis, percentile};
use crate::table::{Table, fixed};
use crate::workload::{create_all, project, warehouse};

const NAMESPACE: &str = "bench-burst";
/// What `push-simple.json` pushes (tag 1.27.1).
const REPOSITORY: &str = "harbor.example.com/library/nginx";
const PATCHES: &str = "kargo_webhook_refresh_patches_total";
/// The patch counter is taken as final once it has not moved for this long.
const SETTLED: Duration = Duration::from_secs(2);
/// With coalescing, the patches still owed after the answers are waited
/// for this long at most.
const DRAIN_LIMIT: Duration = Duration::from_secs(600);
/// Without coalescing, every delivery issues one patch per Warehouse, far
/// more than the API server can take at once: the landed ones are counted
/// for this long after the last answer, then the gateway is stopped.
const UNCOALESCED_WINDOW: Duration = Duration::from_secs(60);

/// One delivery as the sender saw it.
struct Sent {
    /// Wall-clock time just before the request was sent: a lower bound of
    /// its arrival at the gateway.
    at: SystemTime,
    latency: Duration,
    /// 0 when no answer came.
    status: u16,
}

/// What one burst did.
struct Outcome {
    statuses: BTreeMap<u16, usize>,
    latencies: Vec<Duration>,
    /// First send to last answer.
    elapsed: Duration,
    /// First send to the last patch (patches may go on after the answers).
    last_patch: Duration,
    /// Patches that landed (or failed) while the run was watched.
    patches: f64,
    /// Patches issued, when known (without coalescing: one per delivery
    /// and Warehouse).
    issued: Option<f64>,
    /// Warehouses whose last refresh was sent before the last delivery.
    violations: usize,
}

/// Runs the case: the large burst with coalescing, then the small one with
/// coalescing on and off in alternation.
pub async fn run(bench: &Bench) -> anyhow::Result<Vec<Table>> {
    let settings = &bench.settings;
    let auth = project(&bench.client, NAMESPACE).await;
    let subscribers = (0..settings.burst_warehouses)
        .map(|index| {
            warehouse(
                NAMESPACE,
                &format!("subscriber-{index}"),
                json!([{"image": {"repoURL": REPOSITORY, "constraint": "^1.0.0"}}]),
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    create_all(&bench.client, subscribers).await?;
    let body = std::fs::read(bench.fixture_path("push-simple.json"))?;

    let start_load = bench.quiet().await;
    let mut large = Vec::new();
    for run in 1..=settings.runs {
        let outcome = burst(bench, &auth, &body, settings.burst, true).await?;
        eprintln!("  large burst {run}: {}", outcome.summary());
        large.push(outcome);
    }
    let mut small = Vec::new();
    for run in 1..=settings.runs {
        let on = burst(bench, &auth, &body, settings.small_burst, true).await?;
        eprintln!("  small burst {run}, coalescing on: {}", on.summary());
        let off = burst(bench, &auth, &body, settings.small_burst, false).await?;
        eprintln!("  small burst {run}, coalescing off: {}", off.summary());
        small.push((on, off));
    }
    let end_load = crate::machine::load1();
    let conditions = format!(
        "{} connections (one HTTP/1.1 connection each, deliveries sent back to back), push-simple.json, \
         {} Warehouses in one project subscribing to {REPOSITORY}; the gateway's release binary as its own process \
         (2 webhook workers, not pinned), started fresh each run; latency is client-side; \
         1-minute load {start_load:.2} at start, {end_load:.2} at end.",
        settings.connections, settings.burst_warehouses
    );
    Ok(vec![
        large_table(bench, &large, &conditions),
        small_table(bench, &small, &conditions),
    ])
}

const HEADERS: [&str; 10] = [
    "200",
    "other answers",
    "p50 ms",
    "p99 ms",
    "max ms",
    "answers done s",
    "last patch s",
    "patches/s",
    "patches / Warehouse",
    "invariant",
];

impl Outcome {
    fn p(&self, p: f64) -> f64 {
        millis(percentile(&self.latencies, p))
    }

    /// Patches landed per second of the run: what the API server took.
    fn patch_rate(&self) -> f64 {
        self.patches / self.last_patch.as_secs_f64().max(0.001)
    }

    fn per_warehouse(&self, warehouses: usize) -> f64 {
        self.patches / warehouses as f64
    }

    fn cells(&self, warehouses: usize) -> Vec<String> {
        let ok = self.statuses.get(&200).copied().unwrap_or(0);
        let other: Vec<String> = self
            .statuses
            .iter()
            .filter(|(status, _)| **status != 200)
            .map(|(status, count)| format!("{count}x{status}"))
            .collect();
        vec![
            ok.to_string(),
            if other.is_empty() {
                "0".into()
            } else {
                other.join(" ")
            },
            fixed(self.p(50.0), 0),
            fixed(self.p(99.0), 0),
            fixed(self.p(100.0), 0),
            fixed(self.elapsed.as_secs_f64(), 1),
            fixed(self.last_patch.as_secs_f64(), 1),
            fixed(self.patch_rate(), 0),
            match self.issued {
                Some(issued) if issued > self.patches => format!(
                    "{:.1} issued, {:.1} landed by {:.0} s",
                    issued / warehouses as f64,
                    self.per_warehouse(warehouses),
                    self.last_patch.as_secs_f64()
                ),
                _ => fixed(self.per_warehouse(warehouses), 1),
            },
            if self.violations == 0 {
                "holds".into()
            } else {
                format!("{} Warehouses violate it", self.violations)
            },
        ]
    }

    fn summary(&self) -> String {
        format!(
            "p50 {:.0} ms, p99 {:.0} ms, {:.0} patches, answers {:?}, invariant violations {}",
            self.p(50.0),
            self.p(99.0),
            self.patches,
            self.statuses,
            self.violations
        )
    }
}

fn large_table(bench: &Bench, runs: &[Outcome], conditions: &str) -> Table {
    let settings = &bench.settings;
    let warehouses = settings.burst_warehouses;
    let mut headers = vec!["run"];
    headers.extend(HEADERS);
    let mut table = Table::new(
        &format!(
            "Burst: {} pushes, {} Warehouses, coalescing on",
            settings.burst, warehouses
        ),
        &headers,
    );
    for (index, outcome) in runs.iter().enumerate() {
        let mut row = vec![(index + 1).to_string()];
        row.extend(outcome.cells(warehouses));
        table.row(row);
    }
    let pick = |f: &dyn Fn(&Outcome) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    table.row(vec![
        "**median**".into(),
        String::new(),
        String::new(),
        fixed(pick(&|o| o.p(50.0)), 0),
        fixed(pick(&|o| o.p(99.0)), 0),
        fixed(pick(&|o| o.p(100.0)), 0),
        fixed(pick(&|o| o.elapsed.as_secs_f64()), 1),
        fixed(pick(&|o| o.last_patch.as_secs_f64()), 1),
        fixed(pick(&|o| o.patch_rate()), 0),
        fixed(pick(&|o| o.per_warehouse(warehouses)), 1),
    ]);
    table.note(format!(
        "{conditions} Targets: p99 < 1 s; patches per Warehouse <= deliveries/connections + 5 = {}.",
        settings.burst / settings.connections + 5
    ));
    table
}

fn small_table(bench: &Bench, pairs: &[(Outcome, Outcome)], conditions: &str) -> Table {
    let settings = &bench.settings;
    let warehouses = settings.burst_warehouses;
    let mut headers = vec!["pair", "coalescing"];
    headers.extend(HEADERS);
    let mut table = Table::new(
        &format!(
            "Coalescing on vs off: {} pushes, {} Warehouses",
            settings.small_burst, warehouses
        ),
        &headers,
    );
    for (index, (on, off)) in pairs.iter().enumerate() {
        for (mode, outcome) in [("on", on), ("off", off)] {
            let mut row = vec![(index + 1).to_string(), mode.into()];
            row.extend(outcome.cells(warehouses));
            table.row(row);
        }
    }
    let issued = |o: &Outcome| o.issued.unwrap_or(o.patches);
    let ratio = |f: &dyn Fn(&Outcome) -> f64| {
        median(
            &pairs
                .iter()
                .map(|(on, off)| f(off) / f(on))
                .collect::<Vec<_>>(),
        )
    };
    table.note(format!(
        "{conditions} Runs alternate on, off. Without coalescing every delivery issues a patch per Warehouse; \
         those that have not landed {}s after the last answer are abandoned with the gateway, and since patches \
         race, the last one to land may carry an older token (the invariant column then reports it). \
         Median ratio off/on per pair: patches issued {:.1}x, p50 {:.1}x, p99 {:.1}x.",
        UNCOALESCED_WINDOW.as_secs(),
        ratio(&issued),
        ratio(&|o| o.p(50.0)),
        ratio(&|o| o.p(99.0)),
    ));
    table
}

/// Starts a gateway, sends `deliveries` pushes over the configured
/// connections, waits for the patches to stop, and checks the invariant.
async fn burst(
    bench: &Bench,
    auth: &str,
    body: &[u8],
    deliveries: usize,
    coalesce: bool,
) -> anyhow::Result<Outcome> {
    let options = GatewayOptions {
        coalesce,
        ..GatewayOptions::default()
    };
    let label = format!("burst-{deliveries}-coalesce-{coalesce}");
    let mut gateway = bench.gateway(&label, options)?;
    gateway
        .wait_ready(&bench.http, Duration::from_secs(60))
        .await?;
    let url = bench.live_receiver_url(&mut gateway, NAMESPACE).await?;
    let before = scrape(&bench.http, &gateway, PATCHES).await?;

    let connections = bench.settings.connections;
    let started = Instant::now();
    let senders = (0..connections).map(|connection| {
        let count = deliveries / connections + usize::from(connection < deliveries % connections);
        send(url.clone(), auth.to_owned(), body.to_vec(), count)
    });
    let sent: Vec<Sent> = try_join_all(senders).await?.into_iter().flatten().collect();
    let elapsed = started.elapsed();

    // Patches may go on after the answers (past the deadline, or without
    // coalescing): wait until they are all done. Without coalescing every
    // delivery sends its own patch to every Warehouse, so their number is
    // known; with it, the counter standing still says the queues are empty.
    let warehouses = bench.settings.burst_warehouses;
    let issued = (!coalesce).then_some((deliveries * warehouses) as f64);
    let mut patches = scrape(&bench.http, &gateway, PATCHES).await?;
    let mut moved = Instant::now();
    let mut last_patch = started.elapsed();
    let deadline = Instant::now()
        + if coalesce {
            DRAIN_LIMIT
        } else {
            UNCOALESCED_WINDOW
        };
    while (!coalesce || moved.elapsed() < SETTLED)
        && Instant::now() < deadline
        && issued.is_none_or(|issued| patches - before < issued)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = scrape(&bench.http, &gateway, PATCHES).await?;
        if now != patches {
            patches = now;
            moved = Instant::now();
            last_patch = started.elapsed();
        }
    }
    let violations = check_invariant(bench, &sent).await?;
    gateway.stop();

    let mut statuses = BTreeMap::new();
    for delivery in &sent {
        *statuses.entry(delivery.status).or_insert(0) += 1;
    }
    Ok(Outcome {
        statuses,
        latencies: sent.iter().map(|d| d.latency).collect(),
        elapsed,
        last_patch,
        patches: patches - before,
        issued,
        violations,
    })
}

/// One connection's deliveries, one after another.
async fn send(url: String, auth: String, body: Vec<u8>, count: usize) -> anyhow::Result<Vec<Sent>> {
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut sent = Vec::with_capacity(count);
    for _ in 0..count {
        let at = SystemTime::now();
        let start = Instant::now();
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .header("authorization", &auth)
            .body(body.clone())
            .send()
            .await;
        let status = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                // Read the answer so the connection is reused.
                let _ = response.bytes().await;
                status
            }
            Err(_) => 0,
        };
        sent.push(Sent {
            at,
            latency: start.elapsed(),
            status,
        });
    }
    Ok(sent)
}

/// Counts the Warehouses whose last refresh token was sent before the last
/// delivery was sent (or that have none).
async fn check_invariant(bench: &Bench, sent: &[Sent]) -> anyhow::Result<usize> {
    let last = sent
        .iter()
        .map(|delivery| delivery.at)
        .max()
        .context("no delivery was sent")?;
    let last = Timestamp::try_from(last)?;
    let warehouses = Api::<Warehouse>::namespaced(bench.client.clone(), NAMESPACE)
        .list(&ListParams::default())
        .await?;
    Ok(warehouses
        .items
        .iter()
        .filter(|warehouse| {
            let token = warehouse
                .metadata
                .annotations
                .as_ref()
                .and_then(|annotations| annotations.get(REFRESH_ANNOTATION));
            token
                .and_then(|token| sent_at(token))
                .is_none_or(|sent| sent <= last)
        })
        .count())
}
