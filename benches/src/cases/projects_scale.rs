//! Case: many projects. Receiver Secrets are read through one watch per
//! project namespace (the only way Kargo's per-namespace grant allows), so
//! this measures what that costs at scale: the gateway's time to ready and
//! to every receiver live, its memory and connections to the API server,
//! the API server's memory, and how soon a rotated Secret's new URL works.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use kargo_webhook_e2e::{ensure_namespace, put_project_config, put_secret};
use kargo_webhook_gateway::internals::{PathInputs, UrlLayout};
use serde_json::json;

use crate::context::Bench;
use crate::process::{GatewayOptions, Server};
use crate::stats::median;
use crate::table::{Table, fixed};

const READY_RECEIVERS: &str = "kargo_webhook_receivers{state=\"ready\"}";
const RECEIVER: &str = "harbor";
const SECRET: &str = "harbor-webhook";
/// Objects created at once while setting up.
const CREATE_CONCURRENCY: usize = 32;
/// Memory is read this long after the sync, once start-up garbage is freed.
const SETTLE: Duration = Duration::from_secs(2);

struct Sample {
    ready: Duration,
    all_live: Duration,
    rss_kib: u64,
    peak_kib: u64,
    sockets: usize,
    apiserver_growth_kib: i64,
    rotation: Duration,
}

/// Runs the case with `projects` project namespaces.
pub async fn run(bench: &Bench, projects: usize) -> anyhow::Result<Table> {
    let started = Instant::now();
    futures::stream::iter(0..projects)
        .map(|n| async move {
            let namespace = namespace(n);
            ensure_namespace(&bench.client, &namespace).await;
            put_secret(
                &bench.client,
                &namespace,
                SECRET,
                &[("auth-header", &secret(n, 0))],
            )
            .await;
            put_project_config(
                &bench.client,
                &namespace,
                json!([{"name": RECEIVER, "harbor": {"secretRef": {"name": SECRET}}}]),
            )
            .await;
            anyhow::Ok(())
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    let created_in = started.elapsed();
    eprintln!(
        "  created {projects} projects in {:.1}s",
        created_in.as_secs_f64()
    );

    let start_load = bench.quiet().await;
    let mut samples = Vec::new();
    for run in 1..=bench.settings.runs {
        let sample = sample(bench, projects, run).await?;
        eprintln!(
            "  run {run}: ready {:.2}s, all live {:.2}s, RSS {:.1} MiB, {} sockets, rotation {:.2}s",
            sample.ready.as_secs_f64(),
            sample.all_live.as_secs_f64(),
            sample.rss_kib as f64 / 1024.0,
            sample.sockets,
            sample.rotation.as_secs_f64(),
        );
        samples.push(sample);
    }
    let end_load = crate::machine::load1();

    let mut table = Table::new(
        &format!("Projects: {projects} project namespaces, one Harbor receiver each"),
        &[
            "run",
            "start to /readyz s",
            "start to all receivers live s",
            "RSS MiB",
            "peak RSS MiB",
            "sockets",
            "API server RSS growth MiB",
            "rotation to new URL s",
        ],
    );
    let mib = |kib: f64| fixed(kib / 1024.0, 1);
    for (index, s) in samples.iter().enumerate() {
        table.row(vec![
            (index + 1).to_string(),
            fixed(s.ready.as_secs_f64(), 2),
            fixed(s.all_live.as_secs_f64(), 2),
            mib(s.rss_kib as f64),
            mib(s.peak_kib as f64),
            s.sockets.to_string(),
            mib(s.apiserver_growth_kib as f64),
            fixed(s.rotation.as_secs_f64(), 2),
        ]);
    }
    let pick = |f: fn(&Sample) -> f64| median(&samples.iter().map(f).collect::<Vec<_>>());
    table.row(vec![
        "**median**".into(),
        fixed(pick(|s| s.ready.as_secs_f64()), 2),
        fixed(pick(|s| s.all_live.as_secs_f64()), 2),
        mib(pick(|s| s.rss_kib as f64)),
        mib(pick(|s| s.peak_kib as f64)),
        fixed(pick(|s| s.sockets as f64), 0),
        mib(pick(|s| s.apiserver_growth_kib as f64)),
        fixed(pick(|s| s.rotation.as_secs_f64()), 2),
    ]);
    table.note(format!(
        "The gateway's release binary as its own process, started fresh each run. Each project namespace has a \
         labelled Secret and a ProjectConfig with one Harbor receiver; the gateway watches the Secrets of each \
         namespace separately (one HTTP/1.1 connection per watch, as the kube client opens them). \
         RSS is VmRSS {}s after every receiver was live, peak is VmHWM; sockets are the gateway's open sockets \
         (listeners and API connections); the API server's growth is its VmRSS then minus before the gateway \
         started. Rotation: one Secret rewritten, time until a delivery to the new URL is no longer 404. \
         Creating the projects took {:.0}s. 1-minute load {start_load:.2} at start, {end_load:.2} at end.",
        SETTLE.as_secs(),
        created_in.as_secs_f64()
    ));
    Ok(table)
}

fn namespace(n: usize) -> String {
    format!("project-{n}")
}

fn secret(n: usize, generation: usize) -> String {
    format!("Bearer project-{n}-generation-{generation}")
}

/// Starts a gateway, waits for every receiver, reads the costs, then
/// rotates one Secret and times its new URL.
async fn sample(bench: &Bench, projects: usize, run: usize) -> anyhow::Result<Sample> {
    let apiserver = bench
        .control_plane
        .apiserver_pid()
        .context("the API server runs")?;
    let apiserver_before = resident_kib(apiserver)?;
    let mut gateway = bench.gateway(&format!("projects-{projects}"), GatewayOptions::default())?;
    let (ready, all_live) = bench
        .wait_synced(
            &mut gateway,
            READY_RECEIVERS,
            projects as f64,
            Duration::from_secs(300),
        )
        .await?;
    tokio::time::sleep(SETTLE).await;
    let (rss_kib, peak_kib) = gateway.memory_kib()?;
    let sockets = open_sockets(gateway.pid())?;
    let apiserver_growth_kib = resident_kib(apiserver)? - apiserver_before;
    let rotation = rotate(bench, &gateway, projects / 2, run).await?;
    gateway.stop();
    Ok(Sample {
        ready,
        all_live,
        rss_kib,
        peak_kib,
        sockets,
        apiserver_growth_kib,
        rotation,
    })
}

/// Rewrites project `n`'s Secret and waits until its new URL routes.
async fn rotate(bench: &Bench, gateway: &Server, n: usize, run: usize) -> anyhow::Result<Duration> {
    let namespace = namespace(n);
    let value = secret(n, run);
    let path = UrlLayout::new("http://unused", "")
        .expect("valid layout")
        .path(&PathInputs {
            project: &namespace,
            receiver_type: RECEIVER,
            receiver_name: RECEIVER,
            secret_values: &[value.as_bytes()],
        });
    let url = gateway.url(path.as_str());
    let started = Instant::now();
    put_secret(
        &bench.client,
        &namespace,
        SECRET,
        &[("auth-header", &value)],
    )
    .await;
    loop {
        // An empty body: any answer but 404 means the path routes.
        let response = bench
            .http
            .post(&url)
            .header("authorization", &value)
            .send()
            .await?;
        if response.status() != 404 {
            return Ok(started.elapsed());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "the rotated URL did not route within 60s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A process's resident memory in KiB.
fn resident_kib(pid: u32) -> anyhow::Result<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    let kib = line
        .split_whitespace()
        .nth(1)
        .context("no VmRSS value")?
        .parse()?;
    Ok(kib)
}

/// The number of sockets the process holds open.
fn open_sockets(pid: u32) -> anyhow::Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))? {
        let target = std::fs::read_link(entry?.path()).unwrap_or_default();
        if target.to_string_lossy().starts_with("socket:") {
            count += 1;
        }
    }
    Ok(count)
}
