//! The webhook server of the HTTP test binaries: the production server
//! (`http::server::webhook_server`) with a Harbor receiver of project
//! `team-a` and one of the ClusterConfig, a Warehouse index, and an
//! in-memory patcher in place of Kubernetes so that each
//! failure mode can be produced on demand. The end-to-end suite under
//! `tests/e2e` runs the same path against a real API server.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use kargo_webhook_gateway::internals::RefreshEvents;
use kargo_webhook_gateway::internals::{
    BodyBudget, KEEP_ALIVE, Metrics, NoObserver, OwnerReceivers, PatchError, PatchResult, Patcher,
    PromotionPatcher, Promotions, RateLimit, ReceiverTable, RefreshSettings, Refresher,
    ResolveContext, SecretData, SecretLookup, ServerSettings, SharedIndex, SharedPromotionIndex,
    Subscriptions, Targets, TlsFiles, UrlLayout, WebhookState, resolve, webhook_server,
};
use kargo_webhook_gateway::kargo::WebhookReceiverConfig;
use kargo_webhook_gateway::kargo::{ObjectId, Owner, PromotionId, WarehouseId};
use kargo_webhook_gateway::providers_linked;
use kargo_webhook_provider::SecretValue;
use serde_json::{Value, json};

/// The receiver's `auth-header`.
pub const AUTH: &str = "Bearer test-harbor-secret";
/// The `auth-header` of the ClusterConfig's receiver.
pub const CLUSTER_AUTH: &str = "Bearer test-cluster-secret";
/// A tagged push of `harbor.example.com/library/nginx:1.27.3`.
pub const PUSH: &[u8] = include_bytes!("../../../tests/fixtures/harbor/push-simple.json");
/// A push by digest only.
pub const PUSH_DIGEST_ONLY: &[u8] =
    include_bytes!("../../../tests/fixtures/harbor/push-digest-only.json");
/// A pull: well-formed, ignored.
pub const PULL: &[u8] = include_bytes!("../../../tests/fixtures/harbor/pull.json");
/// Not JSON at all.
pub const NOT_JSON: &[u8] = include_bytes!("../../../tests/fixtures/harbor/not-json.txt");

/// How the in-memory API server behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Api {
    /// Every patch lands at once.
    Healthy,
    /// Every patch fails as if the API server were unreachable.
    Failing,
    /// Every patch lands after this delay.
    Slow(Duration),
}

/// Records patches instead of sending them.
#[derive(Debug)]
pub struct MemoryPatcher {
    behaviour: Api,
    /// (warehouse, refresh token) of every patch that landed.
    pub patched: Mutex<Vec<(String, String)>>,
    existing: Vec<&'static str>,
}

impl MemoryPatcher {
    /// One patch of the object `namespace/name`, as the fake API server
    /// behaves.
    async fn record<K>(&self, object: &ObjectId<K>, token: &str) -> PatchResult {
        match self.behaviour {
            Api::Failing => {
                return Err(PatchError::Api(
                    kube::Error::Service("connection refused".into()).into(),
                ));
            }
            Api::Slow(delay) => tokio::time::sleep(delay).await,
            Api::Healthy => {}
        }
        if !self.existing.contains(&object.name()) {
            return Err(PatchError::NotFound);
        }
        self.patched
            .lock()
            .expect("lock")
            .push((object.to_string(), token.to_owned()));
        Ok(())
    }
}

impl Patcher for MemoryPatcher {
    fn patch<'a>(
        &'a self,
        warehouse: &'a WarehouseId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        Box::pin(self.record(warehouse, token))
    }
}

impl PromotionPatcher for MemoryPatcher {
    fn patch<'a>(
        &'a self,
        promotion: &'a PromotionId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        Box::pin(self.record(promotion, token))
    }
}

/// A running webhook server.
#[derive(Debug)]
pub struct Gateway {
    /// Where it listens.
    pub address: SocketAddr,
    /// The receiver's path, e.g. `/harbor/<token>`.
    pub path: String,
    /// The receiver's full URL on `address`.
    pub url: String,
    /// The URL of a ClusterConfig receiver (`CLUSTER_AUTH`), whose scope is
    /// every namespace.
    pub cluster_url: String,
    /// What was patched.
    pub patcher: Arc<MemoryPatcher>,
    /// A client for well-behaved requests.
    pub client: reqwest::Client,
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
    /// The Warehouse index, for tests that add Warehouses.
    pub index: SharedIndex,
    /// The Promotion index, for tests that add Promotions waiting on a pull
    /// request.
    pub promotions: SharedPromotionIndex,
}

impl Gateway {
    /// The Warehouses patched so far, sorted.
    pub fn patched(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .patcher
            .patched
            .lock()
            .expect("lock")
            .iter()
            .map(|(w, _)| w.clone())
            .collect();
        names.sort();
        names
    }

    /// POSTs a JSON body, with `auth` as `Authorization` if given.
    pub async fn post(&self, url: &str, auth: Option<&str>, body: &'static [u8]) -> (u16, Value) {
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// How to set up the server.
#[derive(Debug)]
pub struct Options {
    /// The in-memory API server's behaviour.
    pub api: Api,
    /// Each receiver's rate limit.
    pub rate: RateLimit,
    /// `--answer-deadline`.
    pub deadline: Duration,
    /// `--body-limit`.
    pub body_limit: usize,
    /// `--body-memory-budget`.
    pub body_memory_budget: usize,
    /// `--header-read-timeout`.
    pub header_read_timeout: Duration,
    /// `--body-read-timeout`.
    pub body_read_timeout: Duration,
    /// The server's keep-alive (production: `server::KEEP_ALIVE`).
    pub keep_alive: Duration,
    /// `--base-path`.
    pub base_path: &'static str,
    /// Warehouses the in-memory API server has.
    pub existing: Vec<&'static str>,
    /// HTTPS with these files (`url` is then `https://`).
    pub tls: Option<TlsFiles>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api: Api::Healthy,
            rate: RateLimit::UNLIMITED,
            deadline: Duration::from_millis(2500),
            body_limit: 2 * 1024 * 1024,
            body_memory_budget: 64 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(2),
            keep_alive: KEEP_ALIVE,
            base_path: "",
            existing: vec!["nginx-semver", "nginx-any", "nginx-old", "nginx-elsewhere"],
            tls: None,
        }
    }
}

fn subscriptions(value: Value) -> Subscriptions {
    Subscriptions::from_spec(value.as_array().expect("array"))
}

/// Starts a webhook server with one Harbor receiver in namespace `team-a`
/// and Warehouses: two that match push-simple.json, one whose rule rejects
/// its tag, one in another namespace, one that will turn out deleted.
pub async fn start(options: Options) -> Gateway {
    try_start(options).await.expect("listen")
}

/// [`start`], returning the server's error instead of panicking.
pub async fn try_start(options: Options) -> anyhow::Result<Gateway> {
    let registry = providers_linked::registry().expect("providers");
    let mut secrets: HashMap<(String, String), Arc<SecretData>> = HashMap::new();
    let data: SecretData = [(
        "auth-header".to_owned(),
        SecretValue::new(AUTH.as_bytes().to_vec()),
    )]
    .into_iter()
    .collect();
    secrets.insert(("team-a".into(), "harbor".into()), Arc::new(data));
    let cluster_data: SecretData = [(
        "auth-header".to_owned(),
        SecretValue::new(CLUSTER_AUTH.as_bytes().to_vec()),
    )]
    .into_iter()
    .collect();
    secrets.insert(
        ("kargo-system-resources".into(), "cluster-harbor".into()),
        Arc::new(cluster_data),
    );
    let layout = UrlLayout::new("http://unused", options.base_path).expect("valid layout");
    let context = ResolveContext {
        registry: &registry,
        cluster_secrets_namespace: "kargo-system-resources",
        rate_limit: options.rate,
        layout: &layout,
    };
    let lookup = |ns: &str, name: &str| {
        secrets
            .get(&(ns.to_owned(), name.to_owned()))
            .cloned()
            .map_or(SecretLookup::NotFound, SecretLookup::Found)
    };
    let owners = [
        (
            Owner::Project {
                namespace: "team-a".into(),
                name: "team-a".into(),
            },
            json!([{"name": "harbor", "harbor": {"secretRef": {"name": "harbor"}}}]),
        ),
        (
            Owner::Cluster {
                name: "cluster".into(),
            },
            json!([{"name": "all", "harbor": {"secretRef": {"name": "cluster-harbor"}}}]),
        ),
    ]
    .into_iter()
    .map(|(owner, spec)| {
        let entries: Vec<WebhookReceiverConfig> = serde_json::from_value(spec).expect("entries");
        let results = resolve(&owner, &entries, context, &lookup);
        OwnerReceivers {
            owner,
            generation: Some(1),
            results,
            published: Vec::new(),
        }
    })
    .collect();
    let table = ReceiverTable::build(owners, None);
    let path_of = |kind: &str| {
        let owner = table
            .owners()
            .iter()
            .find(|owner| owner.owner.kind() == kind)
            .expect("owner");
        let receiver = owner.results[0].state.as_ref().expect("live receiver");
        receiver.path.as_str().to_owned()
    };
    let path = path_of("ProjectConfig");
    let cluster_path = path_of("ClusterConfig");

    let index = SharedIndex::default();
    let promotions = SharedPromotionIndex::default();
    {
        let mut index = index.write().expect("lock");
        let repo = "harbor.example.com/library/nginx";
        index.apply(
            WarehouseId::new("team-a", "nginx-semver"),
            subscriptions(json!([{"image": {"repoURL": repo, "constraint": "^1.27"}}])),
        );
        index.apply(
            WarehouseId::new("team-a", "nginx-any"),
            subscriptions(json!([{"image": {"repoURL": format!("{repo}:latest"), "imageSelectionStrategy": "Lexical"}}])),
        );
        index.apply(
            WarehouseId::new("team-a", "nginx-old"),
            subscriptions(json!([{"image": {"repoURL": repo, "constraint": "<1.0"}}])),
        );
        index.apply(
            WarehouseId::new("team-b", "nginx-elsewhere"),
            subscriptions(json!([{"image": {"repoURL": repo}}])),
        );
    }
    let patcher = Arc::new(MemoryPatcher {
        behaviour: options.api,
        patched: Mutex::new(Vec::new()),
        existing: options.existing,
    });
    let refresher = Refresher::new(
        Arc::clone(&patcher) as Arc<dyn Patcher>,
        Arc::new(NoObserver),
        RefreshSettings::default(),
    );
    let metrics = Arc::new(Metrics::new());
    let body_budget = BodyBudget::new(
        options.body_memory_budget,
        metrics.request_body_bytes.clone(),
    );
    let state = WebhookState {
        table: Arc::new(ArcSwap::from_pointee(table)),
        targets: Targets {
            index: Arc::clone(&index),
            refresher,
            promotions: Promotions::new(
                Arc::clone(&promotions),
                Arc::clone(&patcher) as Arc<dyn PromotionPatcher>,
            ),
            events: RefreshEvents::disabled(),
        },
        metrics: Arc::clone(&metrics),
        body_limit: options.body_limit,
        body_budget,
        answer_deadline: options.deadline,
        body_read_timeout: options.body_read_timeout,
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let server = webhook_server(
        state,
        listener,
        ServerSettings {
            workers: 1,
            header_read_timeout: options.header_read_timeout,
            keep_alive: options.keep_alive,
            shutdown_timeout: Duration::from_secs(1),
            tls: options.tls.clone(),
        },
    )?;
    tokio::spawn(server);
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    Ok(Gateway {
        address,
        url: format!("{scheme}://{address}{path}"),
        cluster_url: format!("{scheme}://{address}{cluster_path}"),
        path,
        patcher,
        client: reqwest::Client::new(),
        metrics,
        index,
        promotions,
    })
}
