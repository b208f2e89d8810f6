//! `kargo-webhook-bench`: the gateway's benchmark suite. Run it with
//! `scripts/bench`, which builds everything in release first. It prints
//! Markdown tables on standard output (progress goes to standard error);
//! docs/benchmarks.md records a run and says where the time goes.
//!
//! Benchmarks report; they never pass or fail anything, and they are not
//! part of `scripts/test`.

mod cases;
mod context;
mod machine;
mod process;
mod stats;
mod table;
mod workload;
mod wrk;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use kargo_webhook_gateway::config::parse_duration;

use crate::context::{Bench, Settings};
use crate::table::Table;

/// A benchmark case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Case {
    /// In-memory lookups: the Warehouse index and the receiver table.
    Lookup,
    /// The HTTP path against a bare actix-web endpoint.
    Http,
    /// Closed-loop deliveries that all refresh one Warehouse, and the API
    /// server's own patch rate.
    Refresh,
    /// Bursts of pushes for one repository with many subscribers.
    Burst,
    /// Initial sync and memory with thousands of Warehouses.
    Index,
    /// Receivers in many project namespaces: per-namespace Secret watches.
    Projects,
}

/// Runs the gateway's benchmarks against a private, real control plane and
/// prints the results as Markdown tables.
#[derive(Debug, Parser)]
#[command(name = "kargo-webhook-bench", about)]
struct Args {
    /// The cases to run, in this order (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Case::Lookup, Case::Http, Case::Refresh, Case::Burst, Case::Index, Case::Projects])]
    cases: Vec<Case>,
    /// Repetitions of each measurement (pairs, for A/B comparisons).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Length of each HTTP load run.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Warehouses of the index case (three subscriptions each).
    #[arg(long, default_value_t = 10_000)]
    warehouses: usize,
    /// Project namespaces of the projects case (one receiver each).
    #[arg(long, default_value_t = 1_000)]
    projects: usize,
    /// Deliveries of the large burst.
    #[arg(long, default_value_t = 5_000)]
    burst: usize,
    /// Deliveries of the burst run with and without coalescing.
    #[arg(long, default_value_t = 500)]
    small_burst: usize,
    /// Connections the bursts are sent over.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Warehouses subscribing to the burst's repository.
    #[arg(long, default_value_t = 200)]
    burst_warehouses: usize,
    /// Start measurements only when the 1-minute load is below this ...
    #[arg(long, default_value_t = 0.5)]
    max_load: f64,
    /// ... or once this much time has been spent waiting for it.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    patience: Duration,
    /// Keep each gateway's log (level info) in this directory.
    #[arg(long)]
    gateway_logs: Option<PathBuf>,
    /// Directory of the release binaries (default: this binary's).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin_dir = match args.bin_dir.clone() {
        Some(dir) => dir,
        None => std::env::current_exe()?
            .parent()
            .context("this binary has no directory")?
            .to_owned(),
    };
    let settings = Settings {
        runs: args.runs.max(1),
        duration: args.duration,
        warehouses: args.warehouses,
        burst: args.burst,
        small_burst: args.small_burst,
        connections: args.connections.max(1),
        burst_warehouses: args.burst_warehouses,
        max_load: args.max_load,
        patience: args.patience,
        gateway_logs: args.gateway_logs.clone(),
    };
    let machine = machine::Machine::describe();
    emit(&format!(
        "## kargo-webhook-gateway benchmarks\n\n\
         - machine: {}\n- started: {} (1-minute load {:.2})\n- revision: {}\n",
        machine.summary(),
        k8s_openapi::jiff::Timestamp::now().round(k8s_openapi::jiff::Unit::Second)?,
        machine::load1(),
        revision(),
    ));

    let needs_cluster = args.cases.iter().any(|case| *case != Case::Lookup);
    let bench = if needs_cluster {
        Some(Bench::start(settings.clone(), bin_dir).await?)
    } else {
        None
    };
    for case in &args.cases {
        eprintln!("== {case:?}");
        let tables = match (case, &bench) {
            (Case::Lookup, _) => {
                machine::wait_for_quiet(settings.max_load, settings.patience).await;
                cases::lookup::run(settings.warehouses)?
            }
            (Case::Http, Some(bench)) => vec![cases::http_path::run(bench).await?],
            (Case::Refresh, Some(bench)) => vec![cases::refresh_path::run(bench).await?],
            (Case::Burst, Some(bench)) => cases::burst::run(bench).await?,
            (Case::Index, Some(bench)) => vec![cases::index_scale::run(bench).await?],
            (Case::Projects, Some(bench)) => {
                vec![cases::projects_scale::run(bench, args.projects).await?]
            }
            (_, None) => unreachable!("a cluster is started for every case that needs one"),
        };
        tables.iter().for_each(Table::print);
    }
    if let Some(bench) = bench {
        bench.control_plane.stop()?;
    }
    Ok(())
}

fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// The commit measured, with `-dirty` if the tree has changes.
fn revision() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    match run(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|status| !status.is_empty());
            format!("{commit}{}", if dirty { "-dirty" } else { "" })
        }
        None => "unknown".into(),
    }
}
