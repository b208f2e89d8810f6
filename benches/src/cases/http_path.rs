//! Case 1, the HTTP path's ceiling: the gateway answering authenticated
//! Harbor pushes that match no Warehouse, against a bare actix-web endpoint,
//! with the same load generator, connections, duration and CPU share, in
//! alternating runs.

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
    let mut gateway = bench.gateway("http", options)?;
    gateway
        .wait_ready(&bench.http, Duration::from_secs(60))
        .await?;
    let gateway_url = bench.live_receiver_url(&mut gateway, NAMESPACE).await?;
    let mut bare = Server::bare(&bench.bare_binary(), Some(SERVER_CPU))?;
    bare.wait_listening(&bench.http, Duration::from_secs(10))
        .await?;
    // The same path on both, so that request sizes are equal.
    let path = gateway_url
        .strip_prefix(&format!("http://{}", gateway.address))
        .unwrap_or("/")
        .to_owned();
    let bare_url = bare.url(&path);

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
    wrk::run(&bare_url, &load)?;
    wrk::run(&gateway_url, &load)?;

    let start_load = bench.quiet().await;
    load.duration = bench.settings.duration;
    let mut pairs: Vec<(Measured, Measured)> = Vec::new();
    for run in 1..=bench.settings.runs {
        let bare_run = wrk::run(&bare_url, &load)?;
        let gateway_run = wrk::run(&gateway_url, &load)?;
        eprintln!(
            "  pair {run}: bare {:.0} req/s, gateway {:.0} req/s",
            bare_run.requests_per_second, gateway_run.requests_per_second
        );
        pairs.push((bare_run, gateway_run));
    }
    gateway.check_alive()?;
    let end_load = crate::machine::load1();
    Ok(report(&pairs, bench, start_load, end_load))
}

fn report(pairs: &[(Measured, Measured)], bench: &Bench, start: f64, end: f64) -> Table {
    let mut table = Table::new(
        "HTTP path: gateway vs bare actix-web",
        &[
            "pair",
            "bare req/s",
            "gateway req/s",
            "gateway/bare",
            "bare p50 ms",
            "gateway p50 ms",
            "bare p99 ms",
            "gateway p99 ms",
        ],
    );
    let ratio = |(bare, gateway): &(Measured, Measured)| {
        gateway.requests_per_second / bare.requests_per_second
    };
    let cells = |label: String, values: [f64; 7]| {
        let mut row = vec![label];
        row.extend([
            fixed(values[0], 0),
            fixed(values[1], 0),
            format!("{:.0}%", values[2] * 100.0),
        ]);
        row.extend(values[3..].iter().map(|v| fixed(*v, 3)));
        row
    };
    let columns = |pair: &(Measured, Measured)| {
        [
            pair.0.requests_per_second,
            pair.1.requests_per_second,
            ratio(pair),
            millis(pair.0.p50),
            millis(pair.1.p50),
            millis(pair.0.p99),
            millis(pair.1.p99),
        ]
    };
    for (index, pair) in pairs.iter().enumerate() {
        table.row(cells((index + 1).to_string(), columns(pair)));
    }
    let all: Vec<[f64; 7]> = pairs.iter().map(columns).collect();
    let medians: [f64; 7] = std::array::from_fn(|column| {
        median(&all.iter().map(|row| row[column]).collect::<Vec<_>>())
    });
    table.row(cells("**median**".into(), medians));
    let errors: u64 = pairs
        .iter()
        .map(|(b, g)| b.non_2xx + b.socket_errors + g.non_2xx + g.socket_errors)
        .sum();
    table.note(format!(
        "wrk -t1 -c{CONNECTIONS} -d{}s, pinned to CPU {LOAD_CPU}; each server pinned to CPU {SERVER_CPU} with 1 actix worker; runs alternate bare, gateway; \
         the gateway answers an authenticated Harbor push (push-simple.json) matching no Warehouse, logging at info to /dev/null; \
         non-2xx answers and socket errors over all runs: {errors}; 1-minute load {start:.2} at start, {end:.2} at end. \
         Target: gateway >= 70% of bare.",
        bench.settings.duration.as_secs()
    ));
    table
}
