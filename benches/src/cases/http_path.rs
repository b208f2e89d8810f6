//! Case 1, the HTTP path's ceiling: the gateway answering authenticated
//! Harbor pushes that match no Warehouse, against a bare actix-web endpoint,
//! with the same load generator, connections, duration and CPU share, in
//! alternating runs. A second gateway logging at `warn` (no line per
//! delivery) shows what the per-delivery log line costs, and the bare
//! endpoint doing the least any receiver must do (read the push, write a
//! line) shows how much of the gap is that work and how much the gateway's
//! own.

use std::time::Duration;

use crate::context::Bench;
use crate::process::{GatewayOptions, Server};
use crate::stats::{median, millis};
use crate::table::{Table, fixed};
use crate::workload;
use crate::wrk::{self, Load, Measured};

const NAMESPACE: &str = "bench-http";
const CONNECTIONS: usize = 64;
/// The servers share one core, `wrk` has the other.
const SERVER_CPU: usize = 0;
const LOAD_CPU: usize = 1;
const WARM_UP: Duration = Duration::from_secs(2);

/// Runs the case.
pub async fn run(bench: &Bench) -> anyhow::Result<Table> {
    let auth = workload::project(&bench.client, NAMESPACE).await;
    let options = GatewayOptions {
        workers: 1,
        cpu: Some(SERVER_CPU),
        ..GatewayOptions::default()
    };
    let mut gateway = bench.gateway("http", options.clone())?;
    gateway
        .wait_ready(&bench.http, Duration::from_secs(60))
        .await?;
    let gateway_url = bench.live_receiver_url(&mut gateway, NAMESPACE).await?;
    let quiet_options = GatewayOptions {
        log_level: "warn",
        ..options
    };
    let mut quiet = bench.gateway("http-quiet", quiet_options)?;
    quiet
        .wait_ready(&bench.http, Duration::from_secs(60))
        .await?;
    let quiet_url = bench.live_receiver_url(&mut quiet, NAMESPACE).await?;
    let mut bare = Server::bare(&bench.bare_binary(), Some(SERVER_CPU), false)?;
    bare.wait_listening(&bench.http, Duration::from_secs(10))
        .await?;
    let mut working = Server::bare(&bench.bare_binary(), Some(SERVER_CPU), true)?;
    working
        .wait_listening(&bench.http, Duration::from_secs(10))
        .await?;
    // The same path on both, so that request sizes are equal.
    let path = gateway_url
        .strip_prefix(&format!("http://{}", gateway.address))
        .unwrap_or("/")
        .to_owned();
    let bare_url = bare.url(&path);
    let working_url = working.url(&path);

    let script = bench.scratch.path().join("push.lua");
    wrk::post_script(
        &script,
        &bench.fixture_path("push-simple.json"),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
    )?;
    let mut load = Load {
        connections: CONNECTIONS,
        duration: WARM_UP,
        cpu: Some(LOAD_CPU),
        script: &script,
    };
    for url in [&bare_url, &gateway_url, &quiet_url, &working_url] {
        wrk::run(url, &load)?;
    }

    let start_load = bench.quiet().await;
    load.duration = bench.settings.duration;
    let mut rounds: Vec<Round> = Vec::new();
    for run in 1..=bench.settings.runs {
        let round = Round {
            bare: wrk::run(&bare_url, &load)?,
            gateway: wrk::run(&gateway_url, &load)?,
            quiet: wrk::run(&quiet_url, &load)?,
            working: wrk::run(&working_url, &load)?,
        };
        eprintln!(
            "  round {run}: bare {:.0} req/s, gateway {:.0} req/s, gateway at warn {:.0} req/s, bare with the work {:.0} req/s",
            round.bare.requests_per_second,
            round.gateway.requests_per_second,
            round.quiet.requests_per_second,
            round.working.requests_per_second
        );
        rounds.push(round);
    }
    gateway.check_alive()?;
    quiet.check_alive()?;
    let end_load = crate::machine::load1();
    Ok(report(&rounds, bench, start_load, end_load))
}

/// One run of each server, back to back.
struct Round {
    bare: Measured,
    gateway: Measured,
    /// The gateway without its per-delivery log line.
    quiet: Measured,
    /// The bare endpoint reading each push and writing a line for it.
    working: Measured,
}

/// Numbers per round in the table.
const COLUMNS: usize = 12;

fn report(rounds: &[Round], bench: &Bench, start: f64, end: f64) -> Table {
    let mut table = Table::new(
        "HTTP path: gateway vs bare actix-web",
        &[
            "round",
            "bare req/s",
            "gateway req/s",
            "gateway/bare",
            "bare p50 ms",
            "gateway p50 ms",
            "bare p99 ms",
            "gateway p99 ms",
            "gateway at warn req/s",
            "at warn/bare",
            "bare with the work req/s",
            "with the work/bare",
            "gateway/bare with the work",
        ],
    );
    let columns = |round: &Round| {
        let bare = round.bare.requests_per_second;
        [
            bare,
            round.gateway.requests_per_second,
            round.gateway.requests_per_second / bare,
            millis(round.bare.p50),
            millis(round.gateway.p50),
            millis(round.bare.p99),
            millis(round.gateway.p99),
            round.quiet.requests_per_second,
            round.quiet.requests_per_second / bare,
            round.working.requests_per_second,
            round.working.requests_per_second / bare,
            round.gateway.requests_per_second / round.working.requests_per_second,
        ]
    };
    let cells = |label: String, values: [f64; COLUMNS]| {
        let percent = |ratio: f64| format!("{:.0}%", ratio * 100.0);
        let mut row = vec![label];
        row.extend([fixed(values[0], 0), fixed(values[1], 0), percent(values[2])]);
        row.extend(values[3..7].iter().map(|v| fixed(*v, 3)));
        row.extend([fixed(values[7], 0), percent(values[8])]);
        row.extend([
            fixed(values[9], 0),
            percent(values[10]),
            percent(values[11]),
        ]);
        row
    };
    for (index, round) in rounds.iter().enumerate() {
        table.row(cells((index + 1).to_string(), columns(round)));
    }
    let all: Vec<[f64; COLUMNS]> = rounds.iter().map(columns).collect();
    let medians: [f64; COLUMNS] = std::array::from_fn(|column| {
        median(&all.iter().map(|row| row[column]).collect::<Vec<_>>())
    });
    table.row(cells("**median**".into(), medians));
    let errors: u64 = rounds
        .iter()
        .flat_map(|round| [&round.bare, &round.gateway, &round.quiet, &round.working])
        .map(|run| run.non_2xx + run.socket_errors)
        .sum();
    table.note(format!(
        "wrk -t1 -c{CONNECTIONS} -d{}s, pinned to CPU {LOAD_CPU}; each server pinned to CPU {SERVER_CPU} with 1 actix worker; runs alternate bare, gateway, gateway at warn, bare with the work; \
         the gateways answer an authenticated Harbor push (push-simple.json) matching no Warehouse, logging (text) to /dev/null at info (one line per delivery) or at warn (none); \
         the bare endpoint with the work also reads the push's fields (serde_json, one pass) and writes one line per delivery to /dev/null; \
         non-2xx answers and socket errors over all runs: {errors}; 1-minute load {start:.2} at start, {end:.2} at end. \
         Target: gateway >= 80% of bare with the log line.",
        bench.settings.duration.as_secs()
    ));
    table
}
