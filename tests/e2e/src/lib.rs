//! Support for the end-to-end tests: a gateway started in-process against
//! the harness's real control plane, and helpers to create Kargo resources,
//! read their status and send deliveries.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use kargo_webhook_gateway::config::Config;
use kargo_webhook_gateway::kargo::{ProjectConfig, REFRESH_ANNOTATION, Warehouse, WarehouseId};
use kargo_webhook_gateway::{Gateway, IndexedWarehouses};
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::{Api, ObjectMeta, PostParams};
use serde_json::{Value, json};

mod etcd;
pub mod kargo_controller;
mod own_thread;
mod panics;
mod watch_gate;

pub use etcd::compact_etcd;
pub use kargo_controller::{KargoController, KargoControllerConfig};
use own_thread::OwnThread;
pub use panics::gateway_panics;
pub use watch_gate::WatchGate;

/// The external URL every test gateway publishes. Tests send to the
/// gateway's real address with the published path.
pub const EXTERNAL_URL: &str = "http://kargo-webhook-gateway.test";

/// How long tests wait for the gateway to react to a change.
pub const REACTION: Duration = Duration::from_secs(20);

/// A gateway running on a runtime of its own, so that it outlives any one
/// test's runtime.
#[derive(Debug)]
pub struct RunningGateway {
    /// The webhook server.
    pub webhook: SocketAddr,
    /// The admin server.
    pub admin: SocketAddr,
    /// What the gateway's Warehouse index holds.
    index: IndexedWarehouses,
    runner: OwnThread,
}

impl RunningGateway {
    /// Starts a gateway with `config` as `identity` of `control_plane` (the
    /// shared one or a private one) and waits until it is ready. Addresses
    /// in `config` should use port 0.
    pub fn start(control_plane: &ControlPlane, identity: Identity, config: Config) -> Self {
        let kube_config = control_plane.config(identity);
        Self::start_with(
            move || kube::Client::try_from(kube_config).expect("gateway client"),
            config,
        )
    }

    /// Like [`start`](Self::start), with the client `make_client` makes (on
    /// the gateway's own runtime, which the client belongs to): a client of
    /// another API server, or one with a [`WatchGate`].
    pub fn start_with(
        make_client: impl FnOnce() -> kube::Client + Send + 'static,
        config: Config,
    ) -> Self {
        panics::watch_gateway_threads();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let runner = OwnThread::spawn(panics::GATEWAY_THREAD, 2, move |stop| async move {
            let client = make_client();
            let gateway = match Gateway::start(config, client).await {
                Ok(gateway) => gateway,
                Err(error) => {
                    let _ = ready_tx.send(Err(format!("{error:#}")));
                    return;
                }
            };
            let _ = ready_tx.send(Ok((
                gateway.webhook_address,
                gateway.admin_address,
                gateway.index.clone(),
            )));
            let _ = stop.await;
            gateway.shutdown().await;
        });
        let (webhook, admin, index) = ready_rx
            .recv()
            .expect("gateway thread reports")
            .unwrap_or_else(|error| panic!("the gateway did not start: {error}"));
        let gateway = Self {
            webhook,
            admin,
            index,
            runner,
        };
        gateway.wait_ready();
        gateway
    }

    /// The shared gateway of this test binary: admin identity, default
    /// settings, leader election off (it is the only publisher).
    pub fn shared() -> &'static RunningGateway {
        static SHARED: OnceLock<RunningGateway> = OnceLock::new();
        SHARED.get_or_init(|| {
            let control_plane = ControlPlane::shared();
            RunningGateway::start(control_plane, Identity::Admin, test_config())
        })
    }

    /// Blocks until `/readyz` answers 200.
    fn wait_ready(&self) {
        let url = format!("http://{}/readyz", self.admin);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if blocking_get_status(&url) == Some(200) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the gateway never became ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the gateway's Warehouse index has seen each of `names`
    /// in `namespace`: a delivery sent before would race the watch.
    pub async fn wait_indexed(&self, namespace: &str, names: &[&str]) {
        for name in names {
            let id = WarehouseId::new(namespace, name);
            eventually(
                &format!("the gateway to index Warehouse {id}"),
                REACTION,
                || async { self.index.contains(&id).then_some(()) },
            )
            .await;
        }
    }

    /// Waits until this gateway routes `path` to a receiver (anything but
    /// 404). A path in status may have been published by someone else
    /// (Kargo's controller, another gateway) before this gateway read the
    /// receiver's Secret. The probe carries no credentials: it is refused,
    /// never served.
    pub async fn wait_served(&self, path: &str) {
        let url = self.url(path);
        eventually("the gateway to serve the path", REACTION, || async {
            let (status, _) = deliver(&url, None, "application/json", Vec::new()).await;
            (status != 404).then_some(())
        })
        .await;
    }

    /// The URL of a receiver path on this gateway.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.webhook)
    }

    /// The status `/readyz` answers now.
    pub async fn readyz(&self) -> u16 {
        reqwest::get(format!("http://{}/readyz", self.admin))
            .await
            .map_or(0, |response| response.status().as_u16())
    }

    /// The metrics `/metrics` serves now.
    pub async fn metrics(&self) -> Metrics {
        let text = reqwest::get(format!("http://{}/metrics", self.admin))
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|e| panic!("GET /metrics: {e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading /metrics: {e}"));
        Metrics(text)
    }

    /// Stops the gateway gracefully and waits for it (as dropping it does).
    pub fn stop(mut self) {
        self.runner.stop();
    }
}

/// A scrape of the gateway's `/metrics` (OpenMetrics text).
#[derive(Debug, Clone)]
pub struct Metrics(pub String);

impl Metrics {
    /// The value of the sample `name{labels}`, 0 when absent (counters and
    /// label sets appear only once something was counted). `labels` is the
    /// exact label text, e.g. `provider="harbor",outcome="refreshed"`, or
    /// empty for a metric without labels.
    pub fn value(&self, name: &str, labels: &str) -> f64 {
        let key = if labels.is_empty() {
            name.to_owned()
        } else {
            format!("{name}{{{labels}}}")
        };
        self.0
            .lines()
            .filter_map(|line| line.strip_prefix(key.as_str())?.strip_prefix(' '))
            .filter_map(|value| value.split_whitespace().next()?.parse().ok())
            .next()
            .unwrap_or(0.0)
    }
}

/// A GET on a plain-HTTP loopback URL, without a runtime.
fn blocking_get_status(url: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

/// Gateway settings for tests: ephemeral ports, a fixed external URL, no
/// rate limit, no leader election, the cluster Secrets in
/// `kargo-system-resources`, and status published by the gateway (these
/// tests run no Kargo controller).
pub fn test_config() -> Config {
    let mut config = Config::defaults();
    config.webhook_address = "127.0.0.1:0".parse().expect("address");
    config.admin_address = "127.0.0.1:0".parse().expect("address");
    config.external_url = EXTERNAL_URL.to_owned();
    config.receiver_rate = 0.0;
    config.leader_election = false;
    config.publish_status = true;
    config.workers = 2;
    config.shutdown_timeout = Duration::from_secs(5);
    config
}

/// A sample Harbor body from `tests/fixtures/harbor/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = kargo_webhook_testenv::paths::repository_root()
        .join("tests/fixtures/harbor")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The files of `tests/fixtures/harbor/` (without the README), sorted.
pub fn fixture_names() -> std::collections::BTreeSet<String> {
    let dir = kargo_webhook_testenv::paths::repository_root().join("tests/fixtures/harbor");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    let mut names = std::collections::BTreeSet::new();
    for entry in entries {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != "README.md" {
            names.insert(name);
        }
    }
    names
}

/// Creates a namespace if it does not exist.
pub async fn ensure_namespace(client: &kube::Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match api.create(&PostParams::default(), &namespace).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => panic!("creating namespace {name}: {error}"),
    }
}

/// Creates or replaces a Secret with the label the gateway watches.
pub async fn put_secret(client: &kube::Client, namespace: &str, name: &str, data: &[(&str, &str)]) {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"kargo.akuity.io/cred-type": "generic"},
        },
        "stringData": data.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect::<serde_json::Map<_, _>>(),
    }))
    .expect("secret");
    apply(&api, name, &secret).await;
}

/// Creates or replaces the project's ProjectConfig with `receivers`.
pub async fn put_project_config(client: &kube::Client, namespace: &str, receivers: Value) {
    let api: Api<ProjectConfig> = Api::namespaced(client.clone(), namespace);
    let config: ProjectConfig = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "ProjectConfig",
        "metadata": {"name": namespace, "namespace": namespace},
        "spec": {"webhookReceivers": receivers},
    }))
    .expect("project config");
    apply(&api, namespace, &config).await;
}

/// Creates a Warehouse with `subscriptions`.
pub async fn create_warehouse(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    subscriptions: Value,
) {
    let api: Api<Warehouse> = Api::namespaced(client.clone(), namespace);
    let warehouse: Warehouse = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "Warehouse",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"subscriptions": subscriptions},
    }))
    .expect("warehouse");
    api.create(&PostParams::default(), &warehouse)
        .await
        .unwrap_or_else(|e| panic!("creating Warehouse {namespace}/{name}: {e}"));
}

async fn apply<K>(api: &Api<K>, name: &str, object: &K)
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
{
    let params = kube::api::PatchParams::apply("kargo-webhook-e2e").force();
    api.patch(name, &params, &kube::api::Patch::Apply(object))
        .await
        .unwrap_or_else(|e| panic!("applying {name}: {e}"));
}

/// Polls `probe` until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ProjectConfig's status as JSON.
pub async fn project_status(client: &kube::Client, namespace: &str) -> Option<Value> {
    let api: Api<ProjectConfig> = Api::namespaced(client.clone(), namespace);
    let config = api.get_opt(namespace).await.ok()??;
    serde_json::to_value(config.status?).ok()
}

/// Waits for the published path of `receiver` and returns it.
pub async fn receiver_path(client: &kube::Client, namespace: &str, receiver: &str) -> String {
    eventually(
        &format!("a published path for receiver {receiver:?}"),
        REACTION,
        || async {
            let status = project_status(client, namespace).await?;
            status["webhookReceivers"]
                .as_array()?
                .iter()
                .find(|r| r["name"] == receiver)?["path"]
                .as_str()
                .map(str::to_owned)
        },
    )
    .await
}

/// The Warehouse's current refresh annotation.
pub async fn refresh_token(client: &kube::Client, namespace: &str, name: &str) -> Option<String> {
    let api: Api<Warehouse> = Api::namespaced(client.clone(), namespace);
    let warehouse = api
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("reading {namespace}/{name}: {e}"));
    warehouse
        .metadata
        .annotations?
        .get(REFRESH_ANNOTATION)
        .cloned()
}

/// POSTs `body` to `url` and returns the status and the JSON body.
pub async fn deliver(
    url: &str,
    auth: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("delivering: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// POSTs a JSON `body` with `headers` to `url` and returns the status and
/// the JSON body.
pub async fn deliver_with(url: &str, headers: &[(String, String)], body: Vec<u8>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("delivering: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The Harbor guide's project in `namespace`: a Secret `harbor-webhook`
/// holding `auth`, a ProjectConfig with the receiver `harbor`, and a
/// Warehouse `nginx` subscribing to the repository of `push-simple.json`,
/// indexed by each of `gateways` before this returns.
pub async fn nginx_project(
    client: &kube::Client,
    namespace: &str,
    auth: &str,
    gateways: &[&RunningGateway],
) {
    put_secret(
        client,
        namespace,
        "harbor-webhook",
        &[("auth-header", auth)],
    )
    .await;
    put_project_config(
        client,
        namespace,
        json!([{"name": "harbor", "harbor": {"secretRef": {"name": "harbor-webhook"}}}]),
    )
    .await;
    create_warehouse(
        client,
        namespace,
        "nginx",
        json!([{"image": {"repoURL": "harbor.example.com/library/nginx"}}]),
    )
    .await;
    for gateway in gateways {
        gateway.wait_indexed(namespace, &["nginx"]).await;
    }
}
