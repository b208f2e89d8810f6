//! Publishes `status.webhookReceivers` and the `Ready` condition of every
//! ProjectConfig and ClusterConfig, through the status subresource, only
//! when it differs from what the object already says, and only while this
//! replica holds the Lease.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use tokio::sync::watch;

use super::builder::SharedTable;
use super::sources::SharedSources;
use super::status::desired_status;
use super::table::UrlLayout;
use super::token::Scope;
use crate::kargo::{ClusterConfig, ProjectConfig, ReceiversStatus};
use crate::metrics::{Metrics, PatchLabels};

/// How often everything is compared again even without a change.
const RESYNC: Duration = Duration::from_secs(60);
/// How soon a failed status patch is tried again.
const RETRY: Duration = Duration::from_secs(2);

/// The status publisher.
pub struct StatusPublisher {
    /// Client for status patches.
    pub client: kube::Client,
    /// Current objects and their statuses.
    pub sources: Arc<SharedSources>,
    /// The live receiver table.
    pub table: SharedTable,
    /// How URLs are spelled.
    pub layout: UrlLayout,
    /// True while this replica may publish.
    pub leader: watch::Receiver<bool>,
    /// Status update counters.
    pub metrics: Arc<Metrics>,
}

impl std::fmt::Debug for StatusPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPublisher")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl StatusPublisher {
    /// Publishes until the process ends.
    pub async fn run(mut self) {
        let mut wait = RESYNC;
        loop {
            tokio::select! {
                () = self.sources.status_changed.notified() => {}
                changed = self.leader.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep(wait) => {}
            }
            if !*self.leader.borrow() {
                continue;
            }
            wait = if self.publish_all().await {
                RESYNC
            } else {
                RETRY
            };
        }
    }

    /// Patches every status that differs. False if any patch failed.
    pub async fn publish_all(&self) -> bool {
        let table = self.table.load_full();
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let mut all_ok = true;
        for owner in table.owners() {
            let current = {
                let sources = self.sources.lock();
                match sources.configs.get(&owner.owner) {
                    Some(entry) => entry.status.clone(),
                    // Deleted since the table was built.
                    None => continue,
                }
            };
            let desired = desired_status(owner, &self.layout, current.as_ref(), &now);
            if current.as_ref() == Some(&desired) {
                continue;
            }
            let result = self.patch(&owner.owner, &desired).await;
            let label = if result.is_ok() { "success" } else { "error" };
            self.metrics
                .status_updates
                .get_or_create(&PatchLabels { result: label })
                .inc();
            match result {
                Ok(()) => tracing::debug!(owner = %owner.owner, "status published"),
                Err(error) => {
                    all_ok = false;
                    tracing::warn!(owner = %owner.owner, %error, "status patch failed; will retry");
                }
            }
        }
        all_ok
    }

    async fn patch(
        &self,
        owner: &super::resolve::Owner,
        status: &ReceiversStatus,
    ) -> Result<(), kube::Error> {
        let body = serde_json::json!({ "status": status });
        let patch = Patch::Merge(&body);
        let params = PatchParams::default();
        match owner.scope {
            Scope::Project => {
                let api: Api<ProjectConfig> =
                    Api::namespaced(self.client.clone(), &owner.namespace);
                api.patch_status(&owner.name, &params, &patch)
                    .await
                    .map(drop)
            }
            Scope::Cluster => {
                let api: Api<ClusterConfig> = Api::all(self.client.clone());
                api.patch_status(&owner.name, &params, &patch)
                    .await
                    .map(drop)
            }
        }
    }
}
