//! Case 2, the index at scale: thousands of Warehouses with three
//! subscriptions each in the real API server; the gateway's initial sync
//! time and its resident memory afterwards, as a separate process.

use std::time::{Duration, Instant};

use kargo_webhook_e2e::ensure_namespace;

use crate::context::Bench;
use crate::process::GatewayOptions;
use crate::stats::median;
use crate::table::{Table, fixed};
use crate::workload::{create_all, fleet_subscriptions, warehouse};

/// Warehouses per project namespace.
const PER_NAMESPACE: usize = 100;
/// Memory is read this long after the sync, once start-up garbage is freed.
const SETTLE: Duration = Duration::from_secs(2);
const INDEXED: &str = "kargo_webhook_indexed_warehouses";

struct Sample {
    ready: Duration,
    indexed: Duration,
    rss_kib: u64,
    peak_kib: u64,
}

/// Runs the case.
pub async fn run(bench: &Bench) -> anyhow::Result<Table> {
    let wanted = bench.settings.warehouses;
    // The gateway's own footprint, before there is anything to index.
    let empty = sample(bench, 0).await?;

    let started = Instant::now();
    let mut objects = Vec::with_capacity(wanted);
    for team in 0..wanted.div_ceil(PER_NAMESPACE) {
        let namespace = format!("fleet-{team}");
        ensure_namespace(&bench.client, &namespace).await;
        for index in 0..PER_NAMESPACE.min(wanted - team * PER_NAMESPACE) {
            objects.push(warehouse(
                &namespace,
                &format!("service-{index}"),
                fleet_subscriptions(team, index),
            )?);
        }
    }
    create_all(&bench.client, objects).await?;
    let created_in = started.elapsed();
    eprintln!(
        "  created {wanted} Warehouses in {:.1}s",
        created_in.as_secs_f64()
    );

    let start_load = bench.quiet().await;
    let mut samples = Vec::new();
    for run in 1..=bench.settings.runs {
        let sample = sample(bench, wanted).await?;
        eprintln!(
            "  run {run}: ready {:.2}s, indexed {:.2}s, RSS {:.1} MiB",
            sample.ready.as_secs_f64(),
            sample.indexed.as_secs_f64(),
            sample.rss_kib as f64 / 1024.0
        );
        samples.push(sample);
    }
    let end_load = crate::machine::load1();

    let mut table = Table::new(
        &format!("Index scale: {wanted} Warehouses x 3 subscriptions"),
        &[
            "run",
            "start to /readyz s",
            "start to indexed s",
            "RSS MiB",
            "peak RSS MiB",
        ],
    );
    let row = |label: String, s: &Sample| {
        vec![
            label,
            fixed(s.ready.as_secs_f64(), 2),
            fixed(s.indexed.as_secs_f64(), 2),
            fixed(s.rss_kib as f64 / 1024.0, 1),
            fixed(s.peak_kib as f64 / 1024.0, 1),
        ]
    };
    table.row(row("no Warehouses".into(), &empty));
    for (index, sample) in samples.iter().enumerate() {
        table.row(row((index + 1).to_string(), sample));
    }
    let pick = |f: fn(&Sample) -> f64| median(&samples.iter().map(f).collect::<Vec<_>>());
    table.row(vec![
        "**median**".into(),
        fixed(pick(|s| s.ready.as_secs_f64()), 2),
        fixed(pick(|s| s.indexed.as_secs_f64()), 2),
        fixed(pick(|s| s.rss_kib as f64) / 1024.0, 1),
        fixed(pick(|s| s.peak_kib as f64) / 1024.0, 1),
    ]);
    table.note(format!(
        "The gateway's release binary as its own process (2 webhook workers, not pinned) with a KUBECONFIG, started fresh each run; \
         RSS is VmRSS {}s after indexed_warehouses reached {wanted}, peak is VmHWM. \
         Creating the Warehouses took {:.0}s (32 concurrent creates). \
         1-minute load {start_load:.2} at start, {end_load:.2} at end. Targets: sync < 10 s, RSS <= 20 MiB.",
        SETTLE.as_secs(),
        created_in.as_secs_f64()
    ));
    Ok(table)
}

/// Starts a gateway and waits for readiness and for `wanted` indexed
/// Warehouses, then reads its memory.
async fn sample(bench: &Bench, wanted: usize) -> anyhow::Result<Sample> {
    let mut gateway = bench.gateway(&format!("index-{wanted}"), GatewayOptions::default())?;
    let (ready, indexed) = bench
        .wait_synced(
            &mut gateway,
            INDEXED,
            wanted as f64,
            Duration::from_secs(120),
        )
        .await?;
    tokio::time::sleep(SETTLE).await;
    let (rss_kib, peak_kib) = gateway.memory_kib()?;
    gateway.stop();
    Ok(Sample {
        ready,
        indexed,
        rss_kib,
        peak_kib,
    })
}
