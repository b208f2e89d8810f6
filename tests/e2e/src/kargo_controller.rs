//! A stand-in for Kargo's management controller, as far as webhook
//! receivers go: it publishes `status.webhookReceivers` and the `Ready`
//! condition of every ProjectConfig and ClusterConfig with Kargo's URL
//! formula (written here independently of the gateway's), through the
//! status subresource, under its own field manager.
//!
//! It reconciles an object when its generation or refresh annotation
//! changes (Kargo's predicates), when a Secret in the object's Secret
//! namespace changes, at every resync interval, and, after a failing pass,
//! with Kargo's exponential back-off. Secrets are read from the API server
//! on each pass, where Kargo reads them: the ProjectConfig's namespace, and
//! the system resources namespace for the ClusterConfig `cluster` (whose
//! project is "").
//!
//! Tests can pause it (it then writes nothing), resume it (it reconciles
//! everything at once) and stop it. It runs on a runtime of its own, so
//! that it outlives any one test's runtime.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::PartialObjectMeta;
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use tokio::sync::{RwLock, mpsc, oneshot};

mod formula;
mod reconcile;
mod status;

pub use formula::{ReceiverDetails, receiver_details, receiver_path};
pub use reconcile::secret_key;

use reconcile::{Outcome, Settings, cluster_configs, project_configs};

use crate::own_thread::OwnThread;

/// The field manager of the stand-in's status writes (`metadata.managedFields`).
pub const KARGO_FIELD_MANAGER: &str = "kargo";

/// The name of the one ClusterConfig Kargo reconciles.
pub const CLUSTER_CONFIG_NAME: &str = "cluster";

/// Kargo's default namespace for the Secrets of cluster-level resources.
pub const DEFAULT_SYSTEM_RESOURCES_NAMESPACE: &str = "kargo-system-resources";

/// The stand-in's default resync interval.
pub const DEFAULT_RESYNC: Duration = Duration::from_secs(30);

/// Kargo's back-off after a failing pass (controller-runtime's default
/// per-item limiter): 5 ms, doubling; here capped at the resync interval.
const FIRST_RETRY: Duration = Duration::from_millis(5);

/// Settings of the stand-in.
#[derive(Debug, Clone)]
pub struct KargoControllerConfig {
    /// Kargo's `EXTERNAL_WEBHOOK_SERVER_BASE_URL`.
    pub base_url: String,
    /// Where the ClusterConfig's Secrets live.
    pub system_resources_namespace: String,
    /// How often everything is reconciled regardless of changes.
    pub resync: Duration,
    /// `None`: every ProjectConfig and the ClusterConfig, as Kargo does.
    /// `Some`: only the ProjectConfigs of these namespaces, and the
    /// ClusterConfig only if the system resources namespace is among them,
    /// so that tests running side by side can each have their own.
    pub only_namespaces: Option<Vec<String>>,
}

impl KargoControllerConfig {
    /// The default settings, publishing under `base_url`, reconciling only
    /// the objects of `namespaces` (see [`only_namespaces`](Self::only_namespaces)).
    pub fn scoped(base_url: &str, namespaces: &[&str]) -> Self {
        Self {
            base_url: base_url.to_owned(),
            only_namespaces: Some(namespaces.iter().map(|n| (*n).to_owned()).collect()),
            ..Self::default()
        }
    }

    fn in_scope(&self, object: &ConfigRef) -> bool {
        let Some(namespaces) = &self.only_namespaces else {
            return true;
        };
        let namespace = match object {
            ConfigRef::Project { namespace, .. } => namespace,
            ConfigRef::Cluster { .. } => &self.system_resources_namespace,
        };
        namespaces.contains(namespace)
    }
}

impl Default for KargoControllerConfig {
    /// The test gateway's external URL, Kargo's default Secret namespace,
    /// a 30 s resync.
    fn default() -> Self {
        Self {
            base_url: crate::EXTERNAL_URL.to_owned(),
            system_resources_namespace: DEFAULT_SYSTEM_RESOURCES_NAMESPACE.to_owned(),
            resync: DEFAULT_RESYNC,
            only_namespaces: None,
        }
    }
}

/// A ProjectConfig or the ClusterConfig.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigRef {
    /// A ProjectConfig; its project is its namespace.
    Project {
        /// Its namespace (the project).
        namespace: String,
        /// Its name (by Kargo's convention, the namespace's).
        name: String,
    },
    /// A ClusterConfig (Kargo reads only `cluster`).
    Cluster {
        /// Its name.
        name: String,
    },
}

impl ConfigRef {
    /// The ProjectConfig of project `namespace`.
    pub fn project(namespace: &str) -> Self {
        ConfigRef::Project {
            namespace: namespace.to_owned(),
            name: namespace.to_owned(),
        }
    }

    /// The ClusterConfig `cluster`.
    pub fn cluster() -> Self {
        ConfigRef::Cluster {
            name: CLUSTER_CONFIG_NAME.to_owned(),
        }
    }
}

impl ConfigRef {
    /// The object as the API server holds it now, `None` if absent.
    pub async fn fetch(&self, client: &kube::Client) -> kube::Result<Option<DynamicObject>> {
        self.api(client).get_opt(self.name()).await
    }
}

/// The field managers that wrote `object`'s status subresource, as
/// `metadata.managedFields` records them.
pub fn status_managers(object: &DynamicObject) -> Vec<String> {
    object
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter(|entry| entry.subresource.as_deref() == Some("status"))
        .filter_map(|entry| entry.manager.clone())
        .collect()
}

impl fmt::Display for ConfigRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigRef::Project { namespace, name } => write!(f, "ProjectConfig {namespace}/{name}"),
            ConfigRef::Cluster { name } => write!(f, "ClusterConfig {name}"),
        }
    }
}

/// One status write of the stand-in.
#[derive(Debug, Clone)]
pub struct StatusWrite {
    /// The object written.
    pub object: ConfigRef,
    /// Its `resourceVersion` after the write.
    pub resource_version: String,
    /// When the write's answer came.
    pub at: Instant,
    /// The status after the write.
    pub status: Value,
}

/// Every status write so far, in order.
#[derive(Debug, Default)]
pub(crate) struct WriteLog(Mutex<Vec<StatusWrite>>);

impl WriteLog {
    fn record(&self, write: StatusWrite) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(write);
    }

    fn snapshot(&self) -> Vec<StatusWrite> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What makes the stand-in reconcile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Trigger {
    /// Everything (start, resync, resume).
    All,
    /// The objects whose Secrets live in this namespace.
    SecretsIn(String),
    /// One object.
    Object(ConfigRef),
}

/// State shared between the handle and the stand-in's runtime.
#[derive(Debug)]
struct Shared {
    /// Held for reading through each batch of reconciles, so that
    /// [`KargoController::pause`] returns only once no write is under way.
    paused: RwLock<bool>,
    triggers: mpsc::UnboundedSender<Trigger>,
    writes: WriteLog,
}

/// The running stand-in. Dropping it stops it.
#[derive(Debug)]
pub struct KargoController {
    shared: Arc<Shared>,
    runner: OwnThread,
}

impl KargoController {
    /// Starts the stand-in on `control_plane` as the admin (Kargo's
    /// controller may read every Secret it needs).
    pub fn start(control_plane: &ControlPlane, config: KargoControllerConfig) -> Self {
        let kube_config = control_plane.config(Identity::Admin);
        Self::start_with(
            move || kube::Client::try_from(kube_config).expect("stand-in Kargo controller client"),
            config,
        )
    }

    /// Like [`start`](Self::start), with the client `make_client` makes on
    /// the stand-in's own runtime.
    pub fn start_with(
        make_client: impl FnOnce() -> kube::Client + Send + 'static,
        config: KargoControllerConfig,
    ) -> Self {
        let (triggers_tx, triggers_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            paused: RwLock::new(false),
            triggers: triggers_tx,
            writes: WriteLog::default(),
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let thread_shared = Arc::clone(&shared);
        let runner = OwnThread::spawn("kargo-controller", 0, move |stop| async move {
            let client = make_client();
            let _ = ready_tx.send(());
            run(client, config, thread_shared, triggers_rx, stop).await;
        });
        ready_rx
            .recv()
            .expect("the stand-in Kargo controller did not start");
        Self { shared, runner }
    }

    /// Pauses: once this returns, no write is under way and none follows
    /// until [`resume`](Self::resume).
    pub async fn pause(&self) {
        *self.shared.paused.write().await = true;
    }

    /// Resumes and reconciles everything at once.
    pub async fn resume(&self) {
        *self.shared.paused.write().await = false;
        let _ = self.shared.triggers.send(Trigger::All);
    }

    /// Asks for a reconcile of everything now.
    pub fn reconcile_all(&self) {
        let _ = self.shared.triggers.send(Trigger::All);
    }

    /// Every status write so far, in order.
    pub fn writes(&self) -> Vec<StatusWrite> {
        self.shared.writes.snapshot()
    }

    /// The status writes to `object` so far, in order.
    pub fn writes_to(&self, object: &ConfigRef) -> Vec<StatusWrite> {
        let mut writes = self.writes();
        writes.retain(|write| &write.object == object);
        writes
    }

    /// Stops the stand-in and waits for it (as dropping it does).
    pub fn stop(mut self) {
        self.runner.stop();
    }
}

/// The stand-in's main loop: watches feed triggers; each batch of triggers
/// is expanded into objects and reconciled one after the other.
async fn run(
    client: kube::Client,
    config: KargoControllerConfig,
    shared: Arc<Shared>,
    mut triggers: mpsc::UnboundedReceiver<Trigger>,
    mut stop: oneshot::Receiver<()>,
) {
    let settings = Settings {
        base_url: config.base_url.clone(),
        system_resources_namespace: config.system_resources_namespace.clone(),
    };
    let watches = [
        tokio::spawn(watch_configs(
            Api::all_with(client.clone(), &project_configs()),
            shared.triggers.clone(),
        )),
        tokio::spawn(watch_configs(
            Api::all_with(client.clone(), &cluster_configs()),
            shared.triggers.clone(),
        )),
        tokio::spawn(watch_secrets(client.clone(), shared.triggers.clone())),
    ];
    let mut resync = tokio::time::interval(config.resync);
    resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending = BTreeSet::new();
    let mut retries: HashMap<ConfigRef, (Duration, tokio::time::Instant)> = HashMap::new();
    loop {
        let next_retry = retries.values().map(|(_, due)| *due).min();
        tokio::select! {
            _ = &mut stop => break,
            trigger = triggers.recv() => match trigger {
                Some(trigger) => {
                    pending.insert(trigger);
                    while let Ok(trigger) = triggers.try_recv() {
                        pending.insert(trigger);
                    }
                }
                None => break,
            },
            // The first tick is immediate: Kargo reconciles everything at start.
            _ = resync.tick() => {
                pending.insert(Trigger::All);
            }
            () = sleep_until(next_retry) => {
                let now = tokio::time::Instant::now();
                for (object, (_, due)) in &retries {
                    if *due <= now {
                        pending.insert(Trigger::Object(object.clone()));
                    }
                }
            }
        }
        let paused = shared.paused.read().await;
        if *paused {
            pending.clear();
            retries.clear();
            continue;
        }
        let mut objects = expand(&client, &settings, std::mem::take(&mut pending)).await;
        objects.retain(|object| config.in_scope(object));
        for object in objects {
            let outcome = reconcile::reconcile(&client, &settings, &object, &shared.writes).await;
            match outcome {
                Ok(Outcome::Synced | Outcome::Absent) => {
                    retries.remove(&object);
                }
                Ok(Outcome::Failed) | Err(_) => {
                    if let Err(error) = &outcome {
                        tracing::warn!(%object, %error, "stand-in Kargo controller reconcile failed");
                    }
                    let delay = retries
                        .get(&object)
                        .map_or(FIRST_RETRY, |(delay, _)| (*delay * 2).min(config.resync));
                    retries.insert(object, (delay, tokio::time::Instant::now() + delay));
                }
            }
        }
        drop(paused);
    }
    for watch in watches {
        watch.abort();
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The objects `triggers` stand for, each once.
async fn expand(
    client: &kube::Client,
    settings: &Settings,
    triggers: BTreeSet<Trigger>,
) -> BTreeSet<ConfigRef> {
    let mut objects = BTreeSet::new();
    for trigger in triggers {
        match trigger {
            Trigger::All => {
                objects.extend(list_project_configs(client, None).await);
                objects.insert(ConfigRef::cluster());
            }
            Trigger::SecretsIn(namespace) => {
                if namespace == settings.system_resources_namespace {
                    objects.insert(ConfigRef::cluster());
                }
                objects.extend(list_project_configs(client, Some(&namespace)).await);
            }
            Trigger::Object(object) => {
                objects.insert(object);
            }
        }
    }
    objects
}

async fn list_project_configs(client: &kube::Client, namespace: Option<&str>) -> Vec<ConfigRef> {
    let api: Api<DynamicObject> = match namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, &project_configs()),
        None => Api::all_with(client.clone(), &project_configs()),
    };
    match api.list_metadata(&ListParams::default()).await {
        Ok(list) => list
            .items
            .into_iter()
            .filter_map(|object| {
                Some(ConfigRef::Project {
                    namespace: object.metadata.namespace?,
                    name: object.metadata.name?,
                })
            })
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "stand-in Kargo controller could not list ProjectConfigs");
            Vec::new()
        }
    }
}

/// Watches ProjectConfigs or ClusterConfigs and triggers a reconcile when
/// one is new or its generation or refresh annotation changed (Kargo's
/// `GenerationChangedPredicate` or `RefreshRequested`); deletions and
/// status-only changes trigger nothing.
async fn watch_configs(api: Api<DynamicObject>, triggers: mpsc::UnboundedSender<Trigger>) {
    let mut seen: HashMap<ConfigRef, (Option<i64>, Option<String>)> = HashMap::new();
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let object = match event {
            Ok(watcher::Event::Apply(object) | watcher::Event::InitApply(object)) => object,
            Ok(watcher::Event::Delete(object)) => {
                if let Some(key) = config_ref(&object) {
                    seen.remove(&key);
                }
                continue;
            }
            Ok(watcher::Event::Init | watcher::Event::InitDone) => continue,
            Err(error) => {
                tracing::debug!(%error, "stand-in Kargo controller watch error");
                continue;
            }
        };
        let Some(key) = config_ref(&object) else {
            continue;
        };
        let state = (
            object.metadata.generation,
            object
                .metadata
                .annotations
                .as_ref()
                .and_then(|annotations| annotations.get("kargo.akuity.io/refresh"))
                .cloned(),
        );
        if seen.insert(key.clone(), state.clone()).as_ref() != Some(&state) {
            let key = match key {
                // Kargo reconciles the ClusterConfig `cluster` whichever one changed.
                ConfigRef::Cluster { .. } => ConfigRef::cluster(),
                project => project,
            };
            let _ = triggers.send(Trigger::Object(key));
        }
    }
}

fn config_ref(object: &DynamicObject) -> Option<ConfigRef> {
    let name = object.metadata.name.clone()?;
    Some(match object.metadata.namespace.clone() {
        Some(namespace) => ConfigRef::Project { namespace, name },
        None => ConfigRef::Cluster { name },
    })
}

/// Watches Secrets (metadata only) and triggers a reconcile of the
/// objects whose Secrets live in the namespace of each changed one.
async fn watch_secrets(client: kube::Client, triggers: mpsc::UnboundedSender<Trigger>) {
    let api: Api<PartialObjectMeta<Secret>> = Api::all(client);
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        match event {
            Ok(
                watcher::Event::Apply(secret)
                | watcher::Event::InitApply(secret)
                | watcher::Event::Delete(secret),
            ) => {
                if let Some(namespace) = secret.metadata.namespace {
                    let _ = triggers.send(Trigger::SecretsIn(namespace));
                }
            }
            Ok(watcher::Event::Init | watcher::Event::InitDone) => {}
            Err(error) => tracing::debug!(%error, "stand-in Kargo controller Secret watch error"),
        }
    }
}
