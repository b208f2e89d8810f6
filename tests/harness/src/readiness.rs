//! Waiting for the API server: first for its serving certificate (clients
//! need it as their CA), then for `/readyz`.

use std::path::Path;
use std::time::{Duration, Instant};

use tracing::instrument::WithSubscriber;

use crate::error::{Error, Result};
use crate::process;

/// How long the API server gets to become ready.
pub(crate) const APISERVER_READY_TIMEOUT: Duration = Duration::from_secs(60);

const POLL_INTERVAL: Duration = Duration::from_millis(200);
const LOG_TAIL_LINES: usize = 30;

/// What [`wait_for`] polls.
#[derive(Debug)]
pub(crate) struct Watched<'a> {
    /// The server's process id: if it exits, waiting stops at once.
    pub(crate) pid: u32,
    /// Its log, quoted in the error.
    pub(crate) log: &'a Path,
    /// When the wait started (the deadline counts from here).
    pub(crate) since: Instant,
}

/// Polls `probe` until it returns `Ok(true)`; fails when the server process
/// exits or [`APISERVER_READY_TIMEOUT`] passes, quoting the last log lines.
pub(crate) async fn wait_for<F, Fut>(watched: &Watched<'_>, mut probe: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<(), String>>,
{
    loop {
        if !process::is_running(watched.pid) {
            return Err(not_ready(watched, "the process exited".into()));
        }
        let problem = match probe().await {
            Ok(()) => return Ok(()),
            Err(problem) => problem,
        };
        if watched.since.elapsed() >= APISERVER_READY_TIMEOUT {
            return Err(not_ready(watched, problem));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Probe: the API server has written its self-signed certificate.
pub(crate) async fn certificate_written(cert: &Path) -> std::result::Result<(), String> {
    match tokio::fs::metadata(cert).await {
        Ok(meta) if meta.len() > 0 => Ok(()),
        _ => Err(format!("{} not written yet", cert.display())),
    }
}

/// Probe: `GET /readyz` answers `ok`.
pub(crate) async fn readyz(client: &kube::Client) -> std::result::Result<(), String> {
    let request = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    // Until it is ready, /readyz answers 500, which the kube client's
    // tracing layer logs at ERROR; those are expected here, not news for
    // whoever runs the harness (the local run prints its log).
    let answer = client
        .request_text(request)
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await;
    match answer {
        Ok(body) if body.trim() == "ok" => Ok(()),
        Ok(body) => Err(format!("/readyz answered {body:?}")),
        Err(e) => Err(format!("/readyz: {e}")),
    }
}

fn not_ready(watched: &Watched<'_>, reason: String) -> Error {
    Error::NotReady {
        server: "kube-apiserver",
        waited_secs: watched.since.elapsed().as_secs(),
        reason,
        log: watched.log.to_path_buf(),
        log_tail: process::log_tail(watched.log, LOG_TAIL_LINES),
    }
}
