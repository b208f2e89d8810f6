//! Case: the refresh path. Closed-loop senders over 16 connections, every
//! delivery refreshing the same Warehouse, against the real API server:
//! deliveries per second, latency, and patches sent per delivery. In the
//! same run, the API server alone: back-to-back merge patches of that
//! Warehouse's refresh annotation over 16 connections, which is the most a
//! server that patches once per delivery (Kargo's own) can answer, and the
//! scale for reading the gateway's figures on another machine.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use kargo_webhook_gateway::internals::TokenSource;
use kargo_webhook_gateway::kargo::{REFRESH_ANNOTATION, Warehouse};
use kargo_webhook_testenv::Identity;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::context::Bench;
use crate::process::{GatewayOptions, scrape};
use crate::stats::{median, millis, percentile};
use crate::table::{Table, fixed};
use crate::workload::{create_all, project, warehouse};
use crate::wrk::{self, Load, Measured};

const NAMESPACE: &str = "bench-refresh";
const WAREHOUSE: &str = "hot";
/// What `push-simple.json` pushes.
const REPOSITORY: &str = "harbor.example.com/library/nginx";
const CONNECTIONS: usize = 16;
/// `wrk` runs on this core; the gateway and the API server are not pinned.
const LOAD_CPU: usize = 1;
const WARM_UP: Duration = Duration::from_secs(2);
const PATCHES: &str = "kargo_webhook_refresh_patches_total";
const DELIVERIES: &str = "kargo_webhook_deliveries_total";
/// A direct patch without an answer by then counts as failed.
const PATCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The patch counter is final once it has not moved for this long.
const SETTLED: Duration = Duration::from_millis(500);

/// One run: the gateway under load, then the API server alone.
struct Round {
    gateway: Measured,
    /// Deliveries the gateway counted during the measured run.
    deliveries: f64,
    /// Patches it sent for them.
    patches: f64,
    apiserver: Direct,
    /// The same over one connection: what one patch at a time can reach.
    single: Direct,
}

/// Back-to-back patches straight to the API server.
struct Direct {
    /// Patches that landed, per second.
    per_second: f64,
    /// Patches refused or unanswered within [`PATCH_TIMEOUT`].
    failed: usize,
    p50: Duration,
    p99: Duration,
}

/// Runs the case.
pub async fn run(bench: &Bench) -> anyhow::Result<Table> {
    let auth = project(&bench.client, NAMESPACE).await;
    create_all(
        &bench.client,
        vec![warehouse(
            NAMESPACE,
            WAREHOUSE,
            json!([{"image": {"repoURL": REPOSITORY}}]),
        )?],
    )
    .await?;
    let script = bench.scratch.path().join("refresh.lua");
    wrk::post_script(
        &script,
        &bench.fixture_path("push-simple.json"),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
    )?;

    let start_load = bench.quiet().await;
    let mut rounds = Vec::new();
    for run in 1..=bench.settings.runs {
        let round = round(bench, &script).await?;
        eprintln!(
            "  run {run}: gateway {:.0} deliveries/s, p99 {:.1} ms, {:.0} patches for {:.0} deliveries; \
             API server alone {:.0} patches/s",
            round.gateway.requests_per_second,
            millis(round.gateway.p99),
            round.patches,
            round.deliveries,
            round.apiserver.per_second
        );
        rounds.push(round);
    }
    let end_load = crate::machine::load1();
    Ok(report(bench, &rounds, start_load, end_load))
}

async fn round(bench: &Bench, script: &std::path::Path) -> anyhow::Result<Round> {
    let mut gateway = bench.gateway("refresh", GatewayOptions::default())?;
    gateway
        .wait_ready(&bench.http, Duration::from_secs(60))
        .await?;
    let url = bench.live_receiver_url(&mut gateway, NAMESPACE).await?;
    let mut load = Load {
        connections: CONNECTIONS,
        duration: WARM_UP,
        cpu: Some(LOAD_CPU),
        script,
    };
    wrk::run(&url, &load)?;
    let before = settled(bench, &gateway).await?;
    load.duration = bench.settings.duration;
    let measured = wrk::run(&url, &load)?;
    let after = settled(bench, &gateway).await?;
    gateway.check_alive()?;
    gateway.stop();
    let apiserver = direct_patches(bench, bench.settings.duration, CONNECTIONS).await?;
    let single = direct_patches(bench, bench.settings.duration, 1).await?;
    Ok(Round {
        single,
        gateway: measured,
        deliveries: after.0 - before.0,
        patches: after.1 - before.1,
        apiserver,
    })
}

/// The gateway's delivery and patch counters once its patches have stopped.
async fn settled(bench: &Bench, gateway: &crate::process::Server) -> anyhow::Result<(f64, f64)> {
    let mut patches = scrape(&bench.http, gateway, PATCHES).await?;
    let mut moved = Instant::now();
    while moved.elapsed() < SETTLED {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = scrape(&bench.http, gateway, PATCHES).await?;
        if now != patches {
            patches = now;
            moved = Instant::now();
        }
    }
    Ok((scrape(&bench.http, gateway, DELIVERIES).await?, patches))
}

/// Sends merge patches of the refresh annotation to the Warehouse from
/// `connections` tasks, each sending its next as soon as the last one is
/// answered, for `duration` (after a warm-up), over a client of its own.
async fn direct_patches(
    bench: &Bench,
    duration: Duration,
    connections: usize,
) -> anyhow::Result<Direct> {
    // No retries inside the client (it would retry a 429 or 503 up to 15
    // times, for minutes): each patch is one request, bounded in time.
    let mut config = bench.control_plane.config(Identity::Admin);
    config.default_retry = false;
    let client = kube::Client::try_from(config)?;
    let api: Api<Warehouse> = Api::namespaced(client, NAMESPACE);
    let tokens = std::sync::Arc::new(TokenSource::new());
    let send_for = |length: Duration| {
        let tasks = (0..connections).map(|_| {
            let (api, tokens) = (api.clone(), std::sync::Arc::clone(&tokens));
            tokio::spawn(async move {
                let end = Instant::now() + length;
                let (mut latencies, mut failed) = (Vec::new(), 0usize);
                while Instant::now() < end {
                    let body =
                        json!({"metadata": {"annotations": {REFRESH_ANNOTATION: tokens.next()}}});
                    let started = Instant::now();
                    let (params, merge) = (PatchParams::default(), Patch::Merge(&body));
                    let patch = api.patch_metadata(WAREHOUSE, &params, &merge);
                    match tokio::time::timeout(PATCH_TIMEOUT, patch).await {
                        Ok(Ok(_)) => latencies.push(started.elapsed()),
                        Ok(Err(_)) | Err(_) => failed += 1,
                    }
                }
                anyhow::Ok((latencies, failed))
            })
        });
        futures::future::try_join_all(tasks)
    };
    send_for(WARM_UP).await?;
    let started = Instant::now();
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for task in send_for(duration).await? {
        let (landed, refused) = task.context("a patching task failed")?;
        latencies.extend(landed);
        failed += refused;
    }
    let elapsed = started.elapsed();
    Ok(Direct {
        failed,
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
    })
}

fn report(bench: &Bench, rounds: &[Round], start: f64, end: f64) -> Table {
    let mut table = Table::new(
        &format!("Refresh path: {CONNECTIONS} connections, every delivery refreshes one Warehouse"),
        &[
            "run",
            "deliveries/s",
            "p50 ms",
            "p99 ms",
            "deliveries",
            "patches",
            "deliveries per patch",
            "API server alone: patches/s",
            "its p50 ms",
            "its p99 ms",
            "deliveries/s vs its patches/s",
            "API server, 1 connection: patches/s",
        ],
    );
    let columns = |round: &Round| {
        [
            round.gateway.requests_per_second,
            millis(round.gateway.p50),
            millis(round.gateway.p99),
            round.deliveries,
            round.patches,
            round.deliveries / round.patches.max(1.0),
            round.apiserver.per_second,
            millis(round.apiserver.p50),
            millis(round.apiserver.p99),
            round.gateway.requests_per_second / round.apiserver.per_second,
            round.single.per_second,
        ]
    };
    let cells = |label: String, values: [f64; 11]| {
        let mut row = vec![label, fixed(values[0], 0)];
        row.extend(values[1..3].iter().map(|v| fixed(*v, 1)));
        row.extend(values[3..5].iter().map(|v| fixed(*v, 0)));
        row.push(fixed(values[5], 1));
        row.push(fixed(values[6], 0));
        row.extend(values[7..9].iter().map(|v| fixed(*v, 1)));
        row.push(fixed(values[9], 2));
        row.push(fixed(values[10], 0));
        row
    };
    for (index, round) in rounds.iter().enumerate() {
        table.row(cells((index + 1).to_string(), columns(round)));
    }
    let all: Vec<[f64; 11]> = rounds.iter().map(columns).collect();
    let medians: [f64; 11] = std::array::from_fn(|column| {
        median(&all.iter().map(|row| row[column]).collect::<Vec<_>>())
    });
    table.row(cells("**median**".into(), medians));
    let errors: u64 = rounds
        .iter()
        .map(|round| round.gateway.non_2xx + round.gateway.socket_errors)
        .sum();
    let direct_failed: usize = rounds
        .iter()
        .map(|round| round.apiserver.failed + round.single.failed)
        .sum();
    table.note(format!(
        "wrk -t1 -c{CONNECTIONS} -d{secs}s pinned to CPU {LOAD_CPU} (each connection sends its next push-simple.json when the last is answered) \
         to one Warehouse subscribing to {REPOSITORY}; the gateway's release binary as its own process (2 webhook workers, not pinned), \
         started fresh each run, rate limit off, log at info to /dev/null; deliveries and patches are the gateway's own counters. \
         Then, in the same run, {CONNECTIONS} tasks of the bench send merge patches of the refresh annotation to the same Warehouse \
         back to back for {secs}s over one kube client (one connection each): the API server's own rate, \
         which is what a server patching once per delivery can answer at most; and the same over one connection \
         (one patch at a time, as the gateway sends them to one Warehouse). \
         Non-2xx answers and socket errors over all runs: {errors}; direct patches refused or unanswered within {timeout}s \
         (not counted in its rate): {direct_failed}; 1-minute load {start:.2} at start, {end:.2} at end. \
         Targets: p99 < 100 ms; at least 414 deliveries/s (Kargo's own server on the reference machine) and 4x the 91 before adaptive pacing; \
         at least 8 deliveries per patch.",
        timeout = PATCH_TIMEOUT.as_secs(),
        secs = bench.settings.duration.as_secs()
    ));
    table
}
