//! The servers under test as separate processes, each optionally pinned to
//! one core with `taskset`: the gateway's release binary (with a KUBECONFIG,
//! as it runs in a cluster) and the bare baseline.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rustix::process::{Pid, Signal, kill_process};

/// How the gateway under test is started.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Webhook worker threads (0: one per CPU it may use).
    pub workers: usize,
    /// Coalesce refreshes per Warehouse (the hidden benchmark flag).
    pub coalesce: bool,
    /// Pin the process to this core.
    pub cpu: Option<usize>,
    /// The gateway's log level; its log goes to `log_file` or nowhere.
    pub log_level: &'static str,
    /// Where the gateway's standard error goes.
    pub log_file: Option<PathBuf>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            workers: 0,
            coalesce: true,
            cpu: None,
            log_level: "info",
            log_file: None,
        }
    }
}

/// A server process, stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// When it was spawned.
    pub spawned: Instant,
    /// The port it serves on.
    pub address: SocketAddr,
    /// The admin port (the gateway only).
    pub admin: Option<SocketAddr>,
}

/// A loopback address with a port that was free a moment ago.
pub fn free_address() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn command(binary: &Path, cpu: Option<usize>) -> Command {
    match cpu {
        // taskset execs the binary: the pid stays the server's.
        Some(cpu) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpu.to_string()).arg(binary);
            command
        }
        None => Command::new(binary),
    }
}

impl Server {
    /// Starts the gateway's binary against the cluster of `kubeconfig`, with
    /// no rate limit and no leader election.
    pub fn gateway(
        binary: &Path,
        kubeconfig: &Path,
        options: &GatewayOptions,
    ) -> anyhow::Result<Self> {
        let address = free_address()?;
        let admin = free_address()?;
        let stderr = match &options.log_file {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        };
        let child = command(binary, options.cpu)
            .env("KUBECONFIG", kubeconfig)
            .args(["--webhook-address", &address.to_string()])
            .args(["--admin-address", &admin.to_string()])
            .args(["--external-url", &format!("http://{address}")])
            .args(["--leader-election", "false"])
            // No Kargo controller here: the gateway publishes the URLs.
            .args(["--publish-status", "true"])
            .args(["--receiver-rate", "0"])
            .args(["--workers", &options.workers.to_string()])
            .args(["--coalesce", &options.coalesce.to_string()])
            .args(["--log-level", options.log_level])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Self {
            child,
            spawned: Instant::now(),
            address,
            admin: Some(admin),
        })
    }

    /// Starts the bare baseline with one worker; with `work`, it also reads
    /// each push and writes a line for it (see `kargo-webhook-bare`).
    pub fn bare(binary: &Path, cpu: Option<usize>, work: bool) -> anyhow::Result<Self> {
        let address = free_address()?;
        let child = command(binary, cpu)
            .args(["--address", &address.to_string(), "--workers", "1"])
            .args(work.then_some("--work"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Self {
            child,
            spawned: Instant::now(),
            address,
            admin: None,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://<address><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The admin server's `/metrics` URL.
    pub fn metrics_url(&self) -> Option<String> {
        self.admin.map(|admin| format!("http://{admin}/metrics"))
    }

    /// Fails if the process has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the server exited: {status}");
        }
        Ok(())
    }

    /// Waits until the gateway's `/readyz` answers 200 and returns the time
    /// since spawning.
    pub async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> anyhow::Result<Duration> {
        let admin = self.admin.context("not a gateway")?;
        let url = format!("http://{admin}/readyz");
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(response) = http.get(&url).send().await
                && response.status() == 200
            {
                return Ok(self.spawned.elapsed());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                bail!("the gateway was not ready after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until anything answers on the server's port.
    pub async fn wait_listening(
        &mut self,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if http.get(self.url("/")).send().await.is_ok() {
                return Ok(());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                bail!("the server did not listen within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Resident and peak resident memory, in KiB (`VmRSS`, `VmHWM`).
    pub fn memory_kib(&self) -> anyhow::Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
                .with_context(|| format!("no {name} in /proc/<pid>/status"))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// Stops the process: SIGTERM, and SIGKILL after five seconds.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        if let Some(pid) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// The value of a metric line such as `name{labels} 3`, if present; for a
/// `name` without labels, the sum over every label set.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        // `name` must end at a label set or the value, not mid-word.
        if !(rest.starts_with(' ') || (rest.starts_with('{') && !name.contains('{'))) {
            continue;
        }
        let value: f64 = rest.rsplit(' ').next()?.parse().ok()?;
        *found.get_or_insert(0.0) += value;
    }
    found
}

/// Scrapes a metric from the gateway.
pub async fn scrape(http: &reqwest::Client, server: &Server, name: &str) -> anyhow::Result<f64> {
    let url = server.metrics_url().context("not a gateway")?;
    let text = http.get(&url).send().await?.text().await?;
    Ok(metric(&text, name).unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::metric;

    #[test]
    fn metrics_are_read_by_name_and_summed_over_labels() {
        let text = "# HELP x\n\
            kargo_webhook_refresh_patches_total{result=\"success\"} 7\n\
            kargo_webhook_refresh_patches_total{result=\"error\"} 2\n\
            kargo_webhook_indexed_warehouses 10000\n\
            kargo_webhook_indexed_warehouses_other 5\n";
        assert_eq!(
            metric(text, "kargo_webhook_refresh_patches_total"),
            Some(9.0)
        );
        assert_eq!(
            metric(
                text,
                "kargo_webhook_refresh_patches_total{result=\"error\"}"
            ),
            Some(2.0)
        );
        assert_eq!(
            metric(text, "kargo_webhook_indexed_warehouses"),
            Some(10000.0)
        );
        assert_eq!(metric(text, "kargo_webhook_missing"), None);
    }
}
