//! The real `kargo-webhook-gateway` binary against a real control plane:
//! started with the admin kubeconfig in `KUBECONFIG`, every line it writes
//! on stderr kept for the test, its addresses read from its "gateway
//! listening" line, signals sent to it by pid.
//!
//! The binary is the one Cargo built for the tests; set
//! `KARGO_WEBHOOK_TEST_GATEWAY_BIN` to run another (a release build, to
//! measure what users run).

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kargo_webhook_gateway::kargo::{ProjectConfig, REFRESH_ANNOTATION, Warehouse};
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::{Api, Patch, PatchParams, PostParams};
use rustix::process::{Pid, Signal, kill_process};
use serde_json::{Value, json};

/// How long a test waits for the gateway to react.
pub const REACTION: Duration = Duration::from_secs(20);

/// A running gateway process. Killed (SIGKILL) on drop if still running.
#[derive(Debug)]
pub struct GatewayProcess {
    child: Child,
    /// The webhook server's address.
    pub webhook: SocketAddr,
    /// The admin server's address.
    pub admin: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl GatewayProcess {
    /// Starts the binary with `args` (besides loopback addresses on free
    /// ports, which it always gets) as the control plane's admin, and waits
    /// until it listens.
    ///
    /// # Panics
    /// If it does not start listening within [`REACTION`].
    pub fn start(control_plane: &ControlPlane, args: &[&str]) -> Self {
        let binary = std::env::var_os("KARGO_WEBHOOK_TEST_GATEWAY_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_kargo-webhook-gateway").into());
        let mut child = Command::new(binary)
            .args([
                "--webhook-address",
                "127.0.0.1:0",
                "--admin-address",
                "127.0.0.1:0",
            ])
            .args(args)
            .env("KUBECONFIG", control_plane.kubeconfig_path(Identity::Admin))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting kargo-webhook-gateway");
        let stderr = child.stderr.take().expect("stderr pipe");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    lines.lock().expect("log lock").push(line);
                }
            })
        };
        let deadline = Instant::now() + REACTION;
        let (webhook, admin) = loop {
            let found = lines.lock().expect("log lock").iter().find_map(|line| {
                Some((
                    address_after(line, "webhook_address")?,
                    address_after(line, "admin_address")?,
                ))
            });
            if let Some(addresses) = found {
                break addresses;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the gateway exited with {status} before listening:\n{}",
                    lines.lock().expect("log lock").join("\n")
                );
            }
            assert!(Instant::now() < deadline, "the gateway never listened");
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            webhook,
            admin,
            lines,
            reader: Some(reader),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as Kubernetes does when it stops a Pod.
    pub fn terminate(&self) {
        let pid = i32::try_from(self.pid())
            .ok()
            .and_then(Pid::from_raw)
            .expect("a valid pid");
        kill_process(pid, Signal::TERM).expect("sending SIGTERM");
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every line written so far on stderr. After the process exited (see
    /// [`wait_exit`](Self::wait_exit)), call [`all_logs`](Self::all_logs) to
    /// be sure nothing is still in the pipe.
    pub fn logs(&self) -> Vec<String> {
        self.lines.lock().expect("log lock").clone()
    }

    /// Every line the process wrote, once it has exited.
    ///
    /// # Panics
    /// If it is still running.
    pub fn all_logs(&mut self) -> Vec<String> {
        assert!(
            matches!(self.child.try_wait(), Ok(Some(_))),
            "the gateway still runs"
        );
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.logs()
    }

    /// A receiver path's URL on this gateway.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.webhook)
    }

    /// The status `/readyz` answers now (0 when nothing answers).
    pub async fn readyz(&self) -> u16 {
        reqwest::get(format!("http://{}/readyz", self.admin))
            .await
            .map_or(0, |response| response.status().as_u16())
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `127.0.0.1:<port>` that follows `key` in a log line, whatever the
/// format (text with colours, or JSON).
fn address_after(line: &str, key: &str) -> Option<SocketAddr> {
    let rest = &line[line.find(key)? + key.len()..];
    let start = rest.find("127.0.0.1:")?;
    let address: String = rest[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    address.parse().ok()
}

/// Polls `probe` until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn apply<K>(api: &Api<K>, name: &str, object: &K)
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
{
    api.patch(
        name,
        &PatchParams::apply("kargo-webhook-gateway-tests").force(),
        &Patch::Apply(object),
    )
    .await
    .unwrap_or_else(|e| panic!("applying {name}: {e}"));
}

/// Creates or replaces a Secret with the label the gateway watches.
pub async fn put_secret(client: &kube::Client, namespace: &str, name: &str, auth_header: &str) {
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"kargo.akuity.io/cred-type": "generic"},
        },
        "stringData": {"auth-header": auth_header},
    }))
    .expect("secret");
    apply(&Api::namespaced(client.clone(), namespace), name, &secret).await;
}

/// Creates or replaces the project's ProjectConfig with one Harbor
/// receiver named `harbor` using Secret `secret`.
pub async fn put_project_config(client: &kube::Client, namespace: &str, secret: &str) {
    let config: ProjectConfig = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "ProjectConfig",
        "metadata": {"name": namespace, "namespace": namespace},
        "spec": {"webhookReceivers": [
            {"name": "harbor", "harbor": {"secretRef": {"name": secret}}}
        ]},
    }))
    .expect("project config");
    apply(
        &Api::namespaced(client.clone(), namespace),
        namespace,
        &config,
    )
    .await;
}

/// Creates a Warehouse subscribed to `repository`.
pub async fn create_warehouse(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    repository: &str,
) {
    let warehouse: Warehouse = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "Warehouse",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"subscriptions": [{"image": {"repoURL": repository}}]},
    }))
    .expect("warehouse");
    Api::<Warehouse>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &warehouse)
        .await
        .unwrap_or_else(|e| panic!("creating Warehouse {namespace}/{name}: {e}"));
}

/// The Warehouse's refresh annotation.
pub async fn refresh_token(client: &kube::Client, namespace: &str, name: &str) -> Option<String> {
    Api::<Warehouse>::namespaced(client.clone(), namespace)
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("reading {namespace}/{name}: {e}"))
        .metadata
        .annotations?
        .get(REFRESH_ANNOTATION)
        .cloned()
}

/// Waits until the ProjectConfig's status publishes a path for receiver
/// `harbor` other than `not`, and returns it.
pub async fn published_path(client: &kube::Client, namespace: &str, not: Option<&str>) -> String {
    let api: Api<ProjectConfig> = Api::namespaced(client.clone(), namespace);
    eventually("a published receiver path", REACTION, || async {
        let config = api.get_opt(namespace).await.ok()??;
        let status = serde_json::to_value(config.status?).ok()?;
        let path = status["webhookReceivers"]
            .as_array()?
            .iter()
            .find(|r| r["name"] == "harbor")?["path"]
            .as_str()?
            .to_owned();
        (Some(path.as_str()) != not).then_some(path)
    })
    .await
}

/// What a delivery got back.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Every response header, as `name: value` lines.
    pub headers: String,
    /// The raw body.
    pub body: String,
    /// Time from sending to the complete answer.
    pub took: Duration,
}

impl Answer {
    /// The body as JSON (`null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The `Retry-After` header in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.headers
            .lines()
            .find_map(|line| line.strip_prefix("retry-after: "))
            .and_then(|value| value.trim().parse().ok())
    }
}

/// Waits until `url` routes to a receiver of the gateway it points at
/// (anything but 404). The path in status may have been published by
/// another process (another test's gateway; in a cluster, Kargo's
/// controller) before this gateway read the receiver's Secret. The probe
/// carries no credentials: it is refused, never served.
pub async fn wait_served(url: &str) {
    eventually(
        "the gateway to serve the published path",
        REACTION,
        || async { (post(url, &[], Vec::new()).await.status != 404).then_some(()) },
    )
    .await;
}

/// POSTs `body` to `url` with the given headers.
///
/// # Panics
/// If no answer comes within 30 s, or the connection fails.
pub async fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let started = Instant::now();
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("delivering: {e}"));
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())))
        .collect::<Vec<_>>()
        .join("\n");
    let body = response.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body,
        took: started.elapsed(),
    }
}

/// A sample Harbor body from `tests/fixtures/harbor/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = kargo_webhook_testenv::paths::repository_root()
        .join("tests/fixtures/harbor")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
