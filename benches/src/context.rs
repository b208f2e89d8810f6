//! What every case shares: the settings, the control plane, clients, the
//! binaries under test and a scratch directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kargo_webhook_e2e::receiver_path;
use kargo_webhook_testenv::{ControlPlane, Identity};

use crate::process::{GatewayOptions, Server};
use crate::workload::RECEIVER;

/// The suite's settings (see `main.rs` for their flags).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Repetitions of each measurement (pairs, for A/B cases).
    pub runs: usize,
    /// Length of one load run of the HTTP case.
    pub duration: Duration,
    /// Warehouses of the index case.
    pub warehouses: usize,
    /// Deliveries of the large burst.
    pub burst: usize,
    /// Deliveries of the burst run with and without coalescing.
    pub small_burst: usize,
    /// Connections the bursts are sent over.
    pub connections: usize,
    /// Warehouses subscribing to the burst's repository.
    pub burst_warehouses: usize,
    /// Start a measurement only below this 1-minute load ...
    pub max_load: f64,
    /// ... or after waiting this long for it.
    pub patience: Duration,
    /// Keep every gateway's log (level info) in this directory.
    pub gateway_logs: Option<PathBuf>,
}

/// The shared context.
pub struct Bench {
    /// The settings.
    pub settings: Settings,
    /// A private control plane, started for this run.
    pub control_plane: ControlPlane,
    /// A cluster-admin client.
    pub client: kube::Client,
    /// A plain HTTP client for probes and metrics.
    pub http: reqwest::Client,
    /// Where the release binaries are.
    pub bin_dir: PathBuf,
    /// Scratch files (wrk scripts).
    pub scratch: tempfile::TempDir,
    /// Gateways started so far, to name their logs.
    gateways: AtomicUsize,
}

impl std::fmt::Debug for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bench")
            .field("settings", &self.settings)
            .field("bin_dir", &self.bin_dir)
            .finish_non_exhaustive()
    }
}

impl Bench {
    /// Starts the control plane.
    pub async fn start(settings: Settings, bin_dir: PathBuf) -> anyhow::Result<Self> {
        for binary in ["kargo-webhook-gateway", "kargo-webhook-bare"] {
            if !bin_dir.join(binary).is_file() {
                bail!(
                    "{} not found in {}: build with scripts/bench, which builds everything in release",
                    binary,
                    bin_dir.display()
                );
            }
        }
        let started = Instant::now();
        let control_plane = ControlPlane::start()
            .await
            .context("starting the control plane")?;
        eprintln!(
            "control plane up in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        let client = control_plane.client(Identity::Admin)?;
        Ok(Self {
            settings,
            control_plane,
            client,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            bin_dir,
            scratch: tempfile::Builder::new()
                .prefix("kargo-webhook-bench-")
                .tempdir()?,
            gateways: AtomicUsize::new(0),
        })
    }

    /// The gateway's release binary.
    pub fn gateway_binary(&self) -> PathBuf {
        self.bin_dir.join("kargo-webhook-gateway")
    }

    /// Starts a gateway process with `options`, its log kept if asked for.
    pub fn gateway(&self, label: &str, mut options: GatewayOptions) -> anyhow::Result<Server> {
        let number = self.gateways.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(dir) = &self.settings.gateway_logs {
            std::fs::create_dir_all(dir)?;
            options.log_file = Some(dir.join(format!("{number:02}-{label}.log")));
        }
        Server::gateway(&self.gateway_binary(), self.kubeconfig(), &options)
    }

    /// Polls a freshly started gateway until `/readyz` answers 200 and the
    /// metric `metric` reaches `wanted`, in one loop (either may come
    /// first); returns the time from its start to each.
    pub async fn wait_synced(
        &self,
        gateway: &mut Server,
        metric: &str,
        wanted: f64,
        patience: Duration,
    ) -> anyhow::Result<(Duration, Duration)> {
        let readyz = format!(
            "http://{}/readyz",
            gateway.admin.context("the gateway has an admin port")?
        );
        let deadline = Instant::now() + patience;
        let (mut ready, mut reached) = (None, None);
        loop {
            if ready.is_none()
                && let Ok(response) = self.http.get(&readyz).send().await
                && response.status() == 200
            {
                ready = Some(gateway.spawned.elapsed());
            }
            if reached.is_none()
                && let Ok(value) = crate::process::scrape(&self.http, gateway, metric).await
                && value >= wanted
            {
                reached = Some(gateway.spawned.elapsed());
            }
            if let (Some(ready), Some(reached)) = (ready, reached) {
                return Ok((ready, reached));
            }
            gateway.check_alive()?;
            if Instant::now() >= deadline {
                bail!(
                    "the gateway did not reach {metric} = {wanted} within {}s",
                    patience.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The baseline's release binary.
    pub fn bare_binary(&self) -> PathBuf {
        self.bin_dir.join("kargo-webhook-bare")
    }

    /// The kubeconfig the gateway processes use.
    pub fn kubeconfig(&self) -> &Path {
        self.control_plane.kubeconfig_path(Identity::Admin)
    }

    /// A sample Harbor body.
    pub fn fixture_path(&self, name: &str) -> PathBuf {
        kargo_webhook_testenv::paths::repository_root()
            .join("tests/fixtures/harbor")
            .join(name)
    }

    /// The URL of `namespace`'s receiver on `gateway`, once the gateway
    /// serves it: a GET answers 405 at a live receiver URL (404 before),
    /// and sends no refresh.
    pub async fn live_receiver_url(
        &self,
        gateway: &mut Server,
        namespace: &str,
    ) -> anyhow::Result<String> {
        let path = receiver_path(&self.client, namespace, RECEIVER).await;
        let url = gateway.url(&path);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.http.get(&url).send().await
                && response.status() == 405
            {
                return Ok(url);
            }
            gateway.check_alive()?;
            if Instant::now() > deadline {
                bail!("the receiver of {namespace} never became live");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for a quiet machine; returns the load the measurement starts at.
    pub async fn quiet(&self) -> f64 {
        crate::machine::wait_for_quiet(self.settings.max_load, self.settings.patience).await
    }
}
