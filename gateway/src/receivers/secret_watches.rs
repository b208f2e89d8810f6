//! Reads receiver Secrets only where Kargo lets its own webhook server read
//! them: one label-selected watch per namespace that receivers need (the
//! namespaces of ProjectConfigs with receivers, and the cluster Secrets
//! namespace while the ClusterConfig has receivers), started and stopped as
//! configs come and go. Never a cluster-wide Secret list or watch, so the
//! gateway works with exactly Kargo's per-namespace RoleBindings.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::runtime::watcher;
use tokio::task::JoinHandle;

use super::sources::{NamespaceRead, NamespaceState, SecretIndex, SharedSources};
use crate::metrics::Metrics;
use crate::readiness::{SyncHandle, Synced};
use crate::watch::{self, WatchReporting};

/// The readiness entry and metric label of the Secret watches.
pub const RESOURCE: &str = "secrets";
/// How often readiness is looked at before it is first reached.
const READINESS_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Starts and stops the per-namespace Secret watches.
pub struct SecretWatches {
    /// Client the watches use.
    pub client: kube::Client,
    /// Where the Secrets go.
    pub sources: Arc<SharedSources>,
    /// Label selector of the watched Secrets (may be empty).
    pub label_selector: String,
    /// Namespace of the ClusterConfig receivers' Secrets.
    pub cluster_secrets_namespace: String,
    /// The Secret keys the providers read.
    pub needed_keys: Arc<BTreeSet<&'static str>>,
    /// Synced once every namespace needed at start has been read.
    pub readiness: SyncHandle,
    /// The config watches, whose first lists decide which namespaces are
    /// needed at start.
    pub configs_listed: Vec<Synced>,
    /// Watch failures are counted here.
    pub metrics: Arc<Metrics>,
}

impl std::fmt::Debug for SecretWatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretWatches")
            .field("label_selector", &self.label_selector)
            .field("cluster_secrets_namespace", &self.cluster_secrets_namespace)
            .finish_non_exhaustive()
    }
}

impl SecretWatches {
    /// Follows the set of needed namespaces until the task is aborted; the
    /// watches end with it.
    pub async fn run(self) {
        let mut running: HashMap<String, WatchTask> = HashMap::new();
        // Numbers the namespace watches started, so that a stopped one
        // never writes over its successor.
        let mut epoch = 0u64;
        let mut initially_synced = false;
        loop {
            let needed = self
                .sources
                .lock()
                .secret_namespaces_needed(&self.cluster_secrets_namespace);
            let stopped: Vec<String> = running
                .keys()
                .filter(|namespace| !needed.contains(*namespace))
                .cloned()
                .collect();
            for namespace in stopped {
                running.remove(&namespace);
                self.forget(&namespace);
                tracing::debug!(%namespace, "stopped reading Secrets");
            }
            for namespace in needed {
                if let std::collections::hash_map::Entry::Vacant(slot) = running.entry(namespace) {
                    tracing::debug!(namespace = %slot.key(), "reading Secrets");
                    epoch += 1;
                    let task = self.start(slot.key(), epoch);
                    slot.insert(task);
                }
            }
            if !initially_synced {
                initially_synced = self.mark_ready_once_read(&running);
            }
            tokio::select! {
                () = self.sources.configs_changed.notified() => {}
                // Until readiness is reached, also look again shortly: the
                // config watches mark themselves listed after they notify.
                () = tokio::time::sleep(READINESS_POLL), if !initially_synced => {}
            }
        }
    }

    /// Starts watch number `epoch` of `namespace`; whatever a stopped watch
    /// of it might still write is refused from now on (an aborted task can
    /// finish one last poll).
    fn start(&self, namespace: &str, epoch: u64) -> WatchTask {
        {
            let mut sources = self.sources.lock();
            sources.secrets.retain(|(ns, _), _| ns != namespace);
            sources.secret_namespaces.insert(
                namespace.to_owned(),
                NamespaceState {
                    epoch,
                    read: NamespaceRead::Pending,
                },
            );
        }
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let mut config = watcher::Config::default();
        if !self.label_selector.is_empty() {
            config = config.labels(&self.label_selector);
        }
        WatchTask(tokio::spawn(watch::run(
            api,
            config,
            WatchReporting {
                resource: RESOURCE,
                readiness: None,
                metrics: Arc::clone(&self.metrics),
            },
            SecretIndex::new(
                Arc::clone(&self.sources),
                namespace.to_owned(),
                epoch,
                Arc::clone(&self.needed_keys),
            ),
        )))
    }

    /// Drops everything known of a namespace no receiver needs any more.
    fn forget(&self, namespace: &str) {
        {
            let mut sources = self.sources.lock();
            sources.secrets.retain(|(ns, _), _| ns != namespace);
            sources.secret_namespaces.remove(namespace);
        }
        self.sources.receivers_changed.notify_one();
    }

    /// Marks the Secrets ready once the configs have been listed and every
    /// namespace they need has been read (or refused). Later namespaces
    /// never make the gateway unready: only their own receivers wait.
    fn mark_ready_once_read(&self, running: &HashMap<String, WatchTask>) -> bool {
        if !self.configs_listed.iter().all(Synced::is_synced) {
            return false;
        }
        // Needed now, not as of the loop's start: a config list that
        // completed in between may need more namespaces.
        let sources = self.sources.lock();
        let all_read = sources
            .secret_namespaces_needed(&self.cluster_secrets_namespace)
            .iter()
            .all(|namespace| {
                running.contains_key(namespace)
                    && sources
                        .secret_namespaces
                        .get(namespace)
                        .is_some_and(|state| state.read != NamespaceRead::Pending)
            });
        if all_read {
            self.readiness.synced();
        }
        all_read
    }
}

/// A running namespace watch, stopped when dropped.
#[derive(Debug)]
struct WatchTask(JoinHandle<()>);

impl Drop for WatchTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}
