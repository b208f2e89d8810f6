//! The webhook server over real HTTP, one test per row of the answer table:
//! routing, methods, body limits, credentials, bodies, ignored events,
//! refreshes, API failures, the answer deadline and rate limiting.
//!
//! Kubernetes is replaced here by an in-memory patcher so that each failure
//! mode can be produced on demand; the end-to-end suite under `tests/e2e`
//! runs the same path against a real API server.

use std::collections::HashMap;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use arc_swap::ArcSwap;
use kargo_webhook_gateway::http::webhook::{self, WebhookState};
use kargo_webhook_gateway::index::{SharedIndex, Subscriptions, WarehouseId};
use kargo_webhook_gateway::kargo::WebhookReceiverConfig;
use kargo_webhook_gateway::metrics::Metrics;
use kargo_webhook_gateway::providers_linked;
use kargo_webhook_gateway::ratelimit::RateLimit;
use kargo_webhook_gateway::receivers::resolve::{Owner, ResolveContext, SecretData, resolve};
use kargo_webhook_gateway::receivers::table::OwnerReceivers;
use kargo_webhook_gateway::receivers::{ReceiverTable, Scope, UrlLayout};
use kargo_webhook_gateway::refresher::{
    NoObserver, PatchError, PatchResult, Patcher, Refresher, RetryPolicy,
};
use kargo_webhook_provider::SecretValue;
use serde_json::{Value, json};

const AUTH: &str = "Bearer test-harbor-secret";
const PUSH: &[u8] = include_bytes!("../../tests/fixtures/harbor/push-simple.json");
const PUSH_DIGEST_ONLY: &[u8] = include_bytes!("../../tests/fixtures/harbor/push-digest-only.json");
const PULL: &[u8] = include_bytes!("../../tests/fixtures/harbor/pull.json");
const NOT_JSON: &[u8] = include_bytes!("../../tests/fixtures/harbor/not-json.txt");

/// How the in-memory API server behaves.
#[derive(Clone, Copy, PartialEq)]
enum Api {
    Healthy,
    Failing,
    Slow(Duration),
}

struct MemoryPatcher {
    behaviour: Api,
    patched: Mutex<Vec<(String, String)>>,
    existing: Vec<&'static str>,
}

impl Patcher for MemoryPatcher {
    fn patch<'a>(
        &'a self,
        warehouse: &'a WarehouseId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        Box::pin(async move {
            match self.behaviour {
                Api::Failing => return Err(PatchError::Api("connection refused".into())),
                Api::Slow(delay) => tokio::time::sleep(delay).await,
                Api::Healthy => {}
            }
            if !self.existing.contains(&warehouse.name()) {
                return Err(PatchError::NotFound);
            }
            self.patched
                .lock()
                .expect("lock")
                .push((warehouse.to_string(), token.to_owned()));
            Ok(())
        })
    }
}

struct Gateway {
    address: SocketAddr,
    url: String,
    patcher: Arc<MemoryPatcher>,
    client: reqwest::Client,
}

impl Gateway {
    fn patched(&self) -> Vec<String> {
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

    async fn post(&self, url: &str, auth: Option<&str>, body: &'static [u8]) -> (u16, Value) {
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

struct Options {
    api: Api,
    rate: RateLimit,
    deadline: Duration,
    body_limit: usize,
    /// Warehouses the in-memory API server has.
    existing: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api: Api::Healthy,
            rate: RateLimit::UNLIMITED,
            deadline: Duration::from_millis(2500),
            body_limit: 2 * 1024 * 1024,
            existing: vec!["nginx-semver", "nginx-any", "nginx-old", "nginx-elsewhere"],
        }
    }
}

fn subscriptions(value: Value) -> Subscriptions {
    Subscriptions::from_spec(value.as_array().expect("array"))
}

/// Starts a webhook server with one Harbor receiver in namespace `team-a`
/// and Warehouses: two that match push-simple.json, one whose rule rejects
/// its tag, one in another namespace, one that will turn out deleted.
async fn start(options: Options) -> Gateway {
    let registry = providers_linked::registry().expect("providers");
    let mut secrets: HashMap<(String, String), Arc<SecretData>> = HashMap::new();
    let data: SecretData = [(
        "auth-header".to_owned(),
        SecretValue::new(AUTH.as_bytes().to_vec()),
    )]
    .into_iter()
    .collect();
    secrets.insert(("team-a".into(), "harbor".into()), Arc::new(data));
    let owner = Owner {
        scope: Scope::Project,
        namespace: "team-a".into(),
        name: "team-a".into(),
    };
    let entries: Vec<WebhookReceiverConfig> = serde_json::from_value(
        json!([{"name": "harbor", "harbor": {"secretRef": {"name": "harbor"}}}]),
    )
    .expect("entries");
    let results = resolve(
        &owner,
        &entries,
        ResolveContext {
            registry: &registry,
            cluster_secrets_namespace: "kargo-system-resources",
            rate_limit: options.rate,
        },
        &|ns, name| secrets.get(&(ns.to_owned(), name.to_owned())).cloned(),
    );
    let table = ReceiverTable::build(
        vec![OwnerReceivers {
            owner,
            generation: Some(1),
            results,
        }],
        None,
    );
    let receiver = table.owners()[0].results[0]
        .state
        .as_ref()
        .expect("live receiver");
    let path = UrlLayout::new("http://unused", "").path(receiver);

    let index = SharedIndex::default();
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
        RetryPolicy::default(),
        true,
    );
    let state = WebhookState {
        table: Arc::new(ArcSwap::from_pointee(table)),
        index,
        refresher,
        metrics: Arc::new(Metrics::new()),
        base_path: String::new(),
        body_limit: options.body_limit,
        answer_deadline: options.deadline,
        body_read_timeout: Duration::from_secs(2),
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .configure(webhook::configure)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    Gateway {
        address,
        url: format!("http://{address}{path}"),
        patcher,
        client: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn unknown_token_and_wrong_provider_are_the_same_404() {
    let gateway = start(Options::default()).await;
    let token = gateway.url.rsplit('/').next().expect("token").to_owned();
    let unknown = format!("http://{}/harbor/{}", gateway.address, "0".repeat(64));
    let wrong_provider = format!("http://{}/quay/{token}", gateway.address);
    let a = gateway.post(&unknown, Some(AUTH), PUSH).await;
    let b = gateway.post(&wrong_provider, Some(AUTH), PUSH).await;
    assert_eq!(a, (404, json!({"error": "not found"})));
    assert_eq!(a, b);
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn path_variants_of_a_real_receiver_are_not_found() {
    let gateway = start(Options::default()).await;
    let url = &gateway.url;
    let (base, token) = url.rsplit_once('/').expect("token");
    for variant in [
        format!("{url}/"),
        format!("{url}?x=1"),
        format!("{base}/{}", token.to_uppercase()),
        format!("{base}//{token}"),
        format!("{}%2F{token}", base),
    ] {
        let (status, _) = gateway.post(&variant, Some(AUTH), PUSH).await;
        assert_eq!(status, 404, "{variant}");
    }
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn other_methods_get_405() {
    let gateway = start(Options::default()).await;
    let response = gateway.client.get(&gateway.url).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_with_or_without_content_length() {
    let gateway = start(Options {
        body_limit: 1024,
        ..Options::default()
    })
    .await;
    let big = vec![b' '; 4096];
    let declared = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .body(big.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(declared.status().as_u16(), 413);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..8).map(|_| Ok(vec![b' '; 512])).collect();
    let chunked = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("sent");
    assert_eq!(chunked.status().as_u16(), 413);
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_and_patch_nothing() {
    let gateway = start(Options::default()).await;
    assert_eq!(
        gateway.post(&gateway.url, None, PUSH).await,
        (401, json!({"error": "missing authorization"}))
    );
    assert_eq!(
        gateway.post(&gateway.url, Some("Bearer wrong"), PUSH).await,
        (401, json!({"error": "unauthorized"}))
    );
    // Authentication comes first: a bad body without credentials is a 401.
    assert_eq!(gateway.post(&gateway.url, None, NOT_JSON).await.0, 401);
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn malformed_bodies_get_400() {
    let gateway = start(Options::default()).await;
    assert_eq!(
        gateway.post(&gateway.url, Some(AUTH), NOT_JSON).await,
        (400, json!({"error": "invalid request body"}))
    );
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn ignored_events_get_200_and_patch_nothing() {
    let gateway = start(Options::default()).await;
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PULL).await;
    assert_eq!(status, 200);
    let msg = body["msg"].as_str().expect("msg");
    assert!(
        msg.starts_with("ignored: ") && msg.contains("PULL_ARTIFACT"),
        "{msg}"
    );
    let (status, body) = gateway
        .post(&gateway.url, Some(AUTH), PUSH_DIGEST_ONLY)
        .await;
    assert_eq!(status, 200);
    assert!(
        body["msg"].as_str().expect("msg").contains("names no tag"),
        "{body}"
    );
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn pushes_refresh_exactly_the_matching_warehouses_of_the_project() {
    let gateway = start(Options::default()).await;
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"msg": "refreshed 2 warehouse(s)", "warehouses": ["team-a/nginx-any", "team-a/nginx-semver"]})
        )
    );
    assert_eq!(
        gateway.patched(),
        ["team-a/nginx-any", "team-a/nginx-semver"]
    );
}

#[tokio::test]
async fn two_quick_pushes_write_two_distinct_tokens() {
    let gateway = start(Options::default()).await;
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);
    let tokens: Vec<String> = gateway
        .patcher
        .patched
        .lock()
        .expect("lock")
        .iter()
        .filter(|(w, _)| w == "team-a/nginx-semver")
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn api_failure_gets_503_with_retry_after() {
    let gateway = start(Options {
        api: Api::Failing,
        ..Options::default()
    })
    .await;
    let response = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .header("content-type", "application/json")
        .body(PUSH)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 503);
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse::<u64>()
            .expect("seconds")
            >= 1
    );
}

#[tokio::test]
async fn a_missed_deadline_gets_503_and_the_refresh_goes_on() {
    let gateway = start(Options {
        api: Api::Slow(Duration::from_millis(600)),
        deadline: Duration::from_millis(200),
        ..Options::default()
    })
    .await;
    let started = std::time::Instant::now();
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "answered at the deadline"
    );
    assert!(gateway.patched().is_empty());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        gateway.patched(),
        ["team-a/nginx-any", "team-a/nginx-semver"]
    );
}

#[tokio::test]
async fn too_many_deliveries_get_429_even_when_unauthenticated() {
    let gateway = start(Options {
        rate: RateLimit {
            rate: 0.5,
            burst: 2.0,
        },
        ..Options::default()
    })
    .await;
    assert_eq!(
        gateway
            .post(&gateway.url, Some("Bearer guess-1"), PUSH)
            .await
            .0,
        401
    );
    assert_eq!(
        gateway
            .post(&gateway.url, Some("Bearer guess-2"), PUSH)
            .await
            .0,
        401
    );
    let response = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .body(PUSH)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn a_warehouse_deleted_before_its_patch_is_reported_and_the_rest_refreshed() {
    // nginx-any is in the index but gone from the API server.
    let gateway = start(Options {
        existing: vec!["nginx-semver"],
        ..Options::default()
    })
    .await;
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(status, 200);
    assert_eq!(body["msg"], "refreshed 1 warehouse(s)");
    assert_eq!(body["warehouses"], json!(["team-a/nginx-semver"]));
    assert_eq!(body["gone"], json!(["team-a/nginx-any"]));
}
