//! Wires the gateway together: watches, receiver table, index, refresher,
//! status publishing and the two HTTP servers; and shuts it down in order.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use anyhow::Context;
use arc_swap::ArcSwap;
use kargo_webhook_provider::Registry;
use kube::api::Api;
use kube::runtime::watcher;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::dispatch::Targets;
use crate::http::body_budget::BodyBudget;
use crate::http::{admin, server, webhook};
use crate::index::SharedIndex;
use crate::index::sync::WarehouseIndexer;
use crate::kargo::{ClusterConfig, ProjectConfig, Promotion, Warehouse, WarehouseId};
use crate::lease::{LeaderElection, LeaseConfig};
use crate::metrics::{Metrics, PatchLabels};
use crate::promotions::{KubePromotionPatcher, PromotionIndexer, Promotions, SharedPromotionIndex};
use crate::readiness::{Readiness, SyncHandle};
use crate::receivers::builder::{SharedTable, TableBuilder};
use crate::receivers::events::ProblemReporter;
use crate::receivers::publish::StatusPublisher;
use crate::receivers::secret_watches::{self, SecretWatches};
use crate::receivers::sources::{ConfigIndex, SharedSources, needed_secret_keys};
use crate::receivers::{ReceiverTable, UrlLayout};
use crate::refresh_events::{KubeEventWriter, RefreshEvents};
use crate::refresher::{
    KubePatcher, PatchResult, RefreshObserver, RefreshSettings, Refresher, RetryPolicy,
    patch_result_label,
};
use crate::watch::WatchReporting;
use crate::{providers_linked, watch as kwatch};

/// How often an unreachable API server is probed.
const API_PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    /// Where the webhook server listens.
    pub webhook_address: SocketAddr,
    /// Where the admin server listens.
    pub admin_address: SocketAddr,
    /// The Warehouses indexed, for callers that wait until it has seen a
    /// Warehouse (the end-to-end tests).
    pub index: IndexedWarehouses,
    webhook_server: RunningServer,
    admin_server: RunningServer,
    background: Vec<JoinHandle<()>>,
    election: Option<Arc<LeaderElection>>,
}

impl Gateway {
    /// Starts everything within the current Tokio runtime. The listeners
    /// are bound (and a TLS pair loaded) first, so that a bad address or
    /// certificate fails the start before anything talks to Kubernetes.
    pub async fn start(config: Config, client: kube::Client) -> anyhow::Result<Self> {
        config.check().map_err(anyhow::Error::msg)?;
        let registry = providers_linked::registry()?;
        let layout = UrlLayout::new(&config.external_url, &config.base_path)
            .context("--external-url and --base-path cannot give Kargo's receiver URLs")?;
        let shared = Shared::new();
        // Before any server listens, so that /readyz never answers before
        // it knows what to wait for.
        let synced = SyncHandles::register(&shared.readiness);

        let (events, events_task) = RefreshEvents::start(
            Arc::new(KubeEventWriter::new(client.clone(), &config.identity)),
            config.refresh_event_window,
            Arc::clone(&shared.metrics),
        );
        let (webhook_server, webhook_address) =
            webhook_server(&config, webhook_state(&config, &client, &shared, events))?;
        let (listener, admin_address) = bind(config.admin_address)?;
        let admin_server = admin::admin_server(
            listener,
            admin::AdminState {
                readiness: Arc::clone(&shared.readiness),
                metrics: Arc::clone(&shared.metrics),
            },
        )?;

        let mut background = spawn_watches(&config, &client, &registry, &shared, synced);
        background.push(events_task);
        background.push(spawn_table_builder(
            &config,
            registry,
            layout.clone(),
            &shared,
        ));
        let election = spawn_reporting(&config, &client, layout, &shared, &mut background);
        background.push(tokio::spawn(probe_api(
            client,
            Arc::clone(&shared.readiness),
        )));

        tracing::info!(
            %webhook_address,
            %admin_address,
            external_url = %config.external_url,
            publish_status = config.publish_status,
            "gateway listening"
        );
        Ok(Self {
            webhook_address,
            admin_address,
            index: IndexedWarehouses(shared.index),
            webhook_server: RunningServer::spawn(webhook_server),
            admin_server: RunningServer::spawn(admin_server),
            background,
            election,
        })
    }

    /// Stops accepting, lets in-flight deliveries finish (within the
    /// configured shutdown timeout), releases the Lease, stops the rest.
    pub async fn shutdown(self) {
        self.webhook_server.stop().await;
        if let Some(election) = &self.election {
            election.release().await;
        }
        for task in &self.background {
            task.abort();
        }
        self.admin_server.stop().await;
    }
}

/// An HTTP server running on its own task.
#[derive(Debug)]
struct RunningServer {
    handle: ServerHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    fn spawn(server: Server) -> Self {
        Self {
            handle: server.handle(),
            task: tokio::spawn(server),
        }
    }

    /// Stops accepting and waits for the requests in flight.
    async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}

/// Which Warehouses the gateway's index holds, readable from any thread.
#[derive(Debug, Clone)]
pub struct IndexedWarehouses(SharedIndex);

impl IndexedWarehouses {
    /// True once the index holds the Warehouse `id` (with at least one
    /// subscription it can match).
    pub fn contains(&self, id: &WarehouseId) -> bool {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
    }
}

/// The state the background tasks and the servers share.
struct Shared {
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
    sources: Arc<SharedSources>,
    table: SharedTable,
    index: SharedIndex,
    promotions: SharedPromotionIndex,
}

impl Shared {
    fn new() -> Self {
        Self {
            metrics: Arc::new(Metrics::new()),
            readiness: Arc::new(Readiness::default()),
            sources: Arc::new(SharedSources::default()),
            table: Arc::new(ArcSwap::from_pointee(ReceiverTable::default())),
            index: SharedIndex::default(),
            promotions: SharedPromotionIndex::default(),
        }
    }
}

/// What the webhook handlers read: the receiver table, and the indexes with
/// what refreshes their objects through `client`.
fn webhook_state(
    config: &Config,
    client: &kube::Client,
    shared: &Shared,
    events: RefreshEvents,
) -> webhook::WebhookState {
    let refresher = Refresher::new(
        Arc::new(KubePatcher::new(client.clone())),
        Arc::clone(&shared.metrics) as Arc<dyn RefreshObserver>,
        RefreshSettings {
            retry: RetryPolicy::default(),
            coalesce: config.coalesce,
            max_concurrent_patches: config.max_concurrent_patches,
        },
    );
    webhook::WebhookState {
        table: Arc::clone(&shared.table),
        targets: Targets {
            index: shared.index.clone(),
            refresher,
            promotions: Promotions::new(
                shared.promotions.clone(),
                Arc::new(KubePromotionPatcher::new(client.clone())),
            ),
            events,
        },
        metrics: Arc::clone(&shared.metrics),
        body_limit: config.body_limit,
        body_budget: BodyBudget::new(
            config.body_memory_budget,
            shared.metrics.request_body_bytes.clone(),
        ),
        answer_deadline: config.answer_deadline,
        body_read_timeout: config.body_read_timeout,
    }
}

/// Binds a listener; the address says which port it got.
fn bind(address: SocketAddr) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener =
        TcpListener::bind(address).with_context(|| format!("cannot listen on {address}"))?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}

/// Binds the webhook listener and builds its server (HTTPS when a key pair
/// is configured).
fn webhook_server(
    config: &Config,
    state: webhook::WebhookState,
) -> anyhow::Result<(Server, SocketAddr)> {
    let (listener, address) = bind(config.webhook_address)?;
    let workers = if config.workers == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        config.workers
    };
    let tls = config
        .tls_cert_path
        .clone()
        .zip(config.tls_key_path.clone())
        .map(|(certificate, key)| crate::http::tls::TlsFiles { certificate, key });
    let server = server::webhook_server(
        state,
        listener,
        server::ServerSettings {
            workers,
            header_read_timeout: config.header_read_timeout,
            keep_alive: server::KEEP_ALIVE,
            shutdown_timeout: config.shutdown_timeout,
            tls,
        },
    )?;
    Ok((server, address))
}

/// The part of readiness of each component it waits for.
struct SyncHandles {
    project_configs: SyncHandle,
    cluster_configs: SyncHandle,
    secrets: SyncHandle,
    warehouses: SyncHandle,
    promotions: SyncHandle,
}

impl SyncHandles {
    fn register(readiness: &Arc<Readiness>) -> Self {
        Self {
            project_configs: readiness.register("projectconfigs"),
            cluster_configs: readiness.register("clusterconfigs"),
            secrets: readiness.register(secret_watches::RESOURCE),
            warehouses: readiness.register("warehouses"),
            promotions: readiness.register("promotions"),
        }
    }
}

/// Starts the ProjectConfig, ClusterConfig and Warehouse watches and the
/// per-namespace Secret watches, each holding its part of readiness.
fn spawn_watches(
    config: &Config,
    client: &kube::Client,
    registry: &Registry,
    shared: &Shared,
    synced: SyncHandles,
) -> Vec<JoinHandle<()>> {
    let report = |resource, readiness| WatchReporting {
        resource,
        readiness: Some(readiness),
        metrics: Arc::clone(&shared.metrics),
    };
    let configs_listed = vec![synced.project_configs.view(), synced.cluster_configs.view()];
    vec![
        tokio::spawn(kwatch::run(
            Api::<ProjectConfig>::all(client.clone()),
            watcher::Config::default(),
            report("projectconfigs", synced.project_configs),
            ConfigIndex::<ProjectConfig>::new(Arc::clone(&shared.sources)),
        )),
        tokio::spawn(kwatch::run(
            Api::<ClusterConfig>::all(client.clone()),
            watcher::Config::default(),
            report("clusterconfigs", synced.cluster_configs),
            ConfigIndex::<ClusterConfig>::new(Arc::clone(&shared.sources)),
        )),
        tokio::spawn(kwatch::run(
            Api::<Warehouse>::all(client.clone()),
            watcher::Config::default().page_size(crate::index::sync::LIST_PAGE_SIZE),
            report("warehouses", synced.warehouses),
            WarehouseIndexer::new(shared.index.clone(), Arc::clone(&shared.metrics)),
        )),
        tokio::spawn(kwatch::run(
            Api::<Promotion>::all(client.clone()),
            watcher::Config::default(),
            report("promotions", synced.promotions),
            PromotionIndexer::new(shared.promotions.clone()),
        )),
        tokio::spawn(
            SecretWatches {
                client: client.clone(),
                sources: Arc::clone(&shared.sources),
                label_selector: config.secret_label_selector.clone(),
                cluster_secrets_namespace: config.cluster_secrets_namespace.clone(),
                needed_keys: needed_secret_keys(registry),
                readiness: synced.secrets,
                configs_listed,
                metrics: Arc::clone(&shared.metrics),
            }
            .run(),
        ),
    ]
}

/// Starts the task that rebuilds the receiver table whenever its sources
/// change.
fn spawn_table_builder(
    config: &Config,
    registry: Registry,
    layout: UrlLayout,
    shared: &Shared,
) -> JoinHandle<()> {
    tokio::spawn(
        TableBuilder {
            sources: Arc::clone(&shared.sources),
            table: Arc::clone(&shared.table),
            registry,
            cluster_secrets_namespace: config.cluster_secrets_namespace.clone(),
            rate_limit: config.rate_limit(),
            layout,
            metrics: Arc::clone(&shared.metrics),
        }
        .run(),
    )
}

/// Starts the Lease election (when configured) and what only its holder
/// does: Events about receiver problems and, with `--publish-status`, the
/// status of ProjectConfigs and ClusterConfigs.
fn spawn_reporting(
    config: &Config,
    client: &kube::Client,
    layout: UrlLayout,
    shared: &Shared,
    background: &mut Vec<JoinHandle<()>>,
) -> Option<Arc<LeaderElection>> {
    let identity = if config.identity.is_empty() {
        format!("kargo-webhook-gateway-{}", uuid::Uuid::new_v4().simple())
    } else {
        config.identity.clone()
    };
    let (leader, election) = elect(config, client, identity.clone(), background);
    background.push(spawn_leader_gauge(
        leader.clone(),
        Arc::clone(&shared.metrics),
    ));
    background.push(tokio::spawn(
        ProblemReporter::new(
            client.clone(),
            identity,
            Arc::clone(&shared.sources),
            Arc::clone(&shared.table),
            leader.clone(),
        )
        .run(),
    ));
    if config.publish_status {
        background.push(tokio::spawn(
            StatusPublisher::new(
                client.clone(),
                Arc::clone(&shared.sources),
                Arc::clone(&shared.table),
                layout,
                leader,
                Arc::clone(&shared.metrics),
            )
            .run(),
        ));
    }
    election
}

/// Whether this replica leads: from the Lease election with
/// `--leader-election`, always otherwise.
fn elect(
    config: &Config,
    client: &kube::Client,
    identity: String,
    background: &mut Vec<JoinHandle<()>>,
) -> (watch::Receiver<bool>, Option<Arc<LeaderElection>>) {
    if !config.leader_election {
        let (sender, leader) = watch::channel(true);
        // Keep the sender alive for as long as its receivers run.
        background.push(tokio::spawn(async move {
            sender.closed().await;
        }));
        return (leader, None);
    }
    let (election, leader) = LeaderElection::new(
        client.clone(),
        LeaseConfig {
            namespace: config.lease_namespace.clone(),
            name: config.lease_name.clone(),
            identity,
            duration: Duration::from_secs(15),
            renew: Duration::from_secs(5),
        },
    );
    let election = Arc::new(election);
    background.push(tokio::spawn(Arc::clone(&election).run()));
    (leader, Some(election))
}

/// Keeps the leader gauge in step with the election.
fn spawn_leader_gauge(mut leader: watch::Receiver<bool>, metrics: Arc<Metrics>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            metrics.leader.set(i64::from(*leader.borrow_and_update()));
            if leader.changed().await.is_err() {
                return;
            }
        }
    })
}

/// While a watch reports the API server unreachable, asks it for its
/// version until it answers, so that readiness recovers even when nothing
/// changes in the cluster.
async fn probe_api(client: kube::Client, readiness: Arc<Readiness>) {
    loop {
        tokio::time::sleep(API_PROBE_INTERVAL).await;
        if readiness.api_unreachable() && client.apiserver_version().await.is_ok() {
            readiness.mark_api_reachable();
        }
    }
}

// The refresher reports through its observer trait and knows nothing of
// metrics; metrics know nothing of the refresher. The wiring joins them.
impl RefreshObserver for Metrics {
    fn patched(&self, result: &PatchResult) {
        self.patches
            .get_or_create(&PatchLabels {
                result: patch_result_label(result),
            })
            .inc();
    }

    fn coalesced(&self) {
        self.coalesced.inc();
    }

    fn waiting(&self, change: i64) {
        self.patches_waiting.inc_by(change);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refresher::PatchError;

    #[test]
    fn refresh_observations_reach_the_metrics() {
        let metrics = Metrics::new();
        metrics.patched(&Ok(()));
        metrics.patched(&Err(PatchError::NotFound));
        metrics.coalesced();
        metrics.waiting(2);
        let text = metrics.encode();
        assert!(text.contains("kargo_webhook_refresh_patches_total{result=\"success\"} 1"));
        assert!(text.contains("kargo_webhook_refresh_patches_total{result=\"not_found\"} 1"));
        assert!(text.contains("kargo_webhook_coalesced_deliveries_total 1"));
        assert!(text.contains("kargo_webhook_refresh_patches_waiting 2"));
    }
}
