//! Wires the gateway together: watches, receiver table, index, refresher,
//! status publishing and the two HTTP servers; and shuts it down in order.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use arc_swap::ArcSwap;
use kube::api::Api;
use kube::runtime::watcher;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::http::body_budget::BodyBudget;
use crate::http::{admin, server, webhook};
use crate::index::SharedIndex;
use crate::index::sync::IndexHandler;
use crate::kargo::{ClusterConfig, ProjectConfig, Warehouse};
use crate::lease::{LeaderElection, LeaseConfig};
use crate::metrics::{Metrics, PatchLabels};
use crate::readiness::Readiness;
use crate::receivers::builder::{SharedTable, TableBuilder};
use crate::receivers::events::ProblemReporter;
use crate::receivers::publish::StatusPublisher;
use crate::receivers::secret_watches::{self, SecretWatches};
use crate::receivers::sources::{ConfigHandler, SharedSources, needed_secret_keys};
use crate::receivers::{ReceiverTable, UrlLayout};
use crate::refresher::{
    KubePatcher, PatchResult, RefreshObserver, RefreshSettings, Refresher, RetryPolicy,
    patch_result_label,
};
use crate::watch::WatchReporting;
use crate::{providers_linked, watch as kwatch};

/// The watches readiness waits for.
const WATCHES: [&str; 4] = [
    "projectconfigs",
    "clusterconfigs",
    secret_watches::RESOURCE,
    "warehouses",
];
/// How often an unreachable API server is probed.
const API_PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    /// Where the webhook server listens.
    pub webhook_address: SocketAddr,
    /// Where the admin server listens.
    pub admin_address: SocketAddr,
    /// Readiness, for callers that wait on it.
    pub readiness: Arc<Readiness>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The Warehouse index, for callers that wait until it has seen a
    /// Warehouse (the end-to-end tests).
    pub index: SharedIndex,
    webhook_server: ServerHandle,
    admin_server: ServerHandle,
    webhook_task: JoinHandle<std::io::Result<()>>,
    admin_task: JoinHandle<std::io::Result<()>>,
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
        let metrics = Arc::new(Metrics::new());
        let readiness = Arc::new(Readiness::new(&WATCHES));
        let shared = Shared {
            metrics: Arc::clone(&metrics),
            readiness: Arc::clone(&readiness),
            sources: Arc::new(SharedSources::default()),
            table: Arc::new(ArcSwap::from_pointee(ReceiverTable::default())),
            index: SharedIndex::default(),
        };
        let refresher = Refresher::new(
            Arc::new(KubePatcher::new(client.clone())),
            Arc::clone(&metrics) as Arc<dyn RefreshObserver>,
            RefreshSettings {
                retry: RetryPolicy::default(),
                coalesce: config.coalesce,
                max_concurrent_patches: config.max_concurrent_patches,
            },
        );
        let (webhook_server, webhook_address) = webhook_server(
            &config,
            webhook::WebhookState {
                table: Arc::clone(&shared.table),
                index: shared.index.clone(),
                refresher,
                metrics: Arc::clone(&metrics),
                body_limit: config.body_limit,
                body_budget: BodyBudget::new(
                    config.body_memory_budget,
                    metrics.request_body_bytes.clone(),
                ),
                answer_deadline: config.answer_deadline,
                body_read_timeout: config.body_read_timeout,
            },
        )?;
        let (admin_server, admin_address) = admin_server(
            &config,
            admin::AdminState {
                readiness: Arc::clone(&readiness),
                metrics: Arc::clone(&metrics),
            },
        )?;

        let mut background = spawn_watches(&config, &client, &registry, &shared);
        background.push(tokio::spawn(
            TableBuilder {
                sources: Arc::clone(&shared.sources),
                table: Arc::clone(&shared.table),
                registry,
                cluster_secrets_namespace: config.cluster_secrets_namespace.clone(),
                rate_limit: config.rate_limit(),
                layout: layout.clone(),
                metrics: Arc::clone(&metrics),
            }
            .run(),
        ));
        let election = spawn_reporting(&config, &client, layout, &shared, &mut background);
        background.push(tokio::spawn(probe_api(client, Arc::clone(&readiness))));

        let webhook_handle = webhook_server.handle();
        let admin_handle = admin_server.handle();
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
            readiness,
            metrics,
            index: shared.index,
            webhook_server: webhook_handle,
            admin_server: admin_handle,
            webhook_task: tokio::spawn(webhook_server),
            admin_task: tokio::spawn(admin_server),
            background,
            election,
        })
    }

    /// Stops accepting, lets in-flight deliveries finish (within the
    /// configured shutdown timeout), releases the Lease, stops the rest.
    pub async fn shutdown(self) {
        self.webhook_server.stop(true).await;
        let _ = self.webhook_task.await;
        if let Some(election) = &self.election {
            election.release().await;
        }
        for task in &self.background {
            task.abort();
        }
        self.admin_server.stop(true).await;
        let _ = self.admin_task.await;
    }
}

/// The state the background tasks and the servers share.
struct Shared {
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
    sources: Arc<SharedSources>,
    table: SharedTable,
    index: SharedIndex,
}

/// Binds the webhook listener and builds its server (HTTPS when a key pair
/// is configured).
fn webhook_server(
    config: &Config,
    state: webhook::WebhookState,
) -> anyhow::Result<(actix_web::dev::Server, SocketAddr)> {
    let listener = TcpListener::bind(config.webhook_address)
        .with_context(|| format!("cannot listen on {}", config.webhook_address))?;
    let address = listener.local_addr()?;
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

/// Binds the admin listener and builds its server (probes and metrics).
fn admin_server(
    config: &Config,
    state: admin::AdminState,
) -> anyhow::Result<(actix_web::dev::Server, SocketAddr)> {
    let listener = TcpListener::bind(config.admin_address)
        .with_context(|| format!("cannot listen on {}", config.admin_address))?;
    let address = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .configure(admin::configure)
    })
    .workers(1)
    .shutdown_timeout(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((server, address))
}

/// Starts the ProjectConfig, ClusterConfig and Warehouse watches and the
/// per-namespace Secret watches.
fn spawn_watches(
    config: &Config,
    client: &kube::Client,
    registry: &kargo_webhook_provider::Registry,
    shared: &Shared,
) -> Vec<JoinHandle<()>> {
    let report = |resource| WatchReporting {
        resource,
        readiness: Some(Arc::clone(&shared.readiness)),
        metrics: Arc::clone(&shared.metrics),
    };
    vec![
        tokio::spawn(kwatch::run(
            Api::<ProjectConfig>::all(client.clone()),
            watcher::Config::default(),
            report(WATCHES[0]),
            ConfigHandler::<ProjectConfig>::new(Arc::clone(&shared.sources)),
        )),
        tokio::spawn(kwatch::run(
            Api::<ClusterConfig>::all(client.clone()),
            watcher::Config::default(),
            report(WATCHES[1]),
            ConfigHandler::<ClusterConfig>::new(Arc::clone(&shared.sources)),
        )),
        tokio::spawn(kwatch::run(
            Api::<Warehouse>::all(client.clone()),
            watcher::Config::default().page_size(crate::index::sync::LIST_PAGE_SIZE),
            report(WATCHES[3]),
            IndexHandler::new(shared.index.clone(), Arc::clone(&shared.metrics)),
        )),
        tokio::spawn(
            SecretWatches {
                client: client.clone(),
                sources: Arc::clone(&shared.sources),
                label_selector: config.secret_label_selector.clone(),
                cluster_secrets_namespace: config.cluster_secrets_namespace.clone(),
                needed_keys: needed_secret_keys(registry),
                readiness: Arc::clone(&shared.readiness),
                metrics: Arc::clone(&shared.metrics),
            }
            .run(),
        ),
    ]
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
    let (leader, election) = if config.leader_election {
        let (election, leader) = LeaderElection::new(
            client.clone(),
            LeaseConfig {
                namespace: config.lease_namespace.clone(),
                name: config.lease_name.clone(),
                identity: identity.clone(),
                duration: Duration::from_secs(15),
                renew: Duration::from_secs(5),
            },
        );
        let election = Arc::new(election);
        background.push(tokio::spawn(Arc::clone(&election).run()));
        (leader, Some(election))
    } else {
        let (sender, leader) = watch::channel(true);
        // Keep the sender alive for as long as its receivers run.
        background.push(tokio::spawn(async move {
            sender.closed().await;
        }));
        (leader, None)
    };
    let leader_metric = Arc::clone(&shared.metrics);
    let mut leader_watch = leader.clone();
    background.push(tokio::spawn(async move {
        loop {
            leader_metric
                .leader
                .set(i64::from(*leader_watch.borrow_and_update()));
            if leader_watch.changed().await.is_err() {
                return;
            }
        }
    }));
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
