//! Publishes `status.webhookReceivers` and the `Ready` condition of every
//! ProjectConfig and ClusterConfig, through the status subresource, only
//! when it differs from what the object already says, and only while this
//! replica holds the Lease.
//!
//! Off by default (`--publish-status`): in every real install Kargo's
//! management controller owns that status, with the same formula. This is
//! for clusters without it (local runs, tests).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use tokio::sync::watch;

use super::builder::SharedTable;
use super::resolve::{Owner, Scope};
use super::sources::SharedSources;
use super::status::{agrees, desired_status};
use super::url::UrlLayout;
use crate::kargo::{ClusterConfig, ProjectConfig, ReceiversStatus};
use crate::metrics::{Metrics, PatchLabels};

/// How often everything is compared again even without a change.
const RESYNC: Duration = Duration::from_secs(60);
/// How soon a failed status patch is tried again.
const RETRY: Duration = Duration::from_secs(2);
/// More patches of one object than this within [`CONTENTION_WINDOW`] mean
/// another writer keeps replacing the status.
const CONTENTION_PATCHES: usize = 5;
const CONTENTION_WINDOW: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// The field manager of the gateway's status writes.
pub const FIELD_MANAGER: &str = "kargo-webhook-gateway";

/// Notices when the gateway keeps re-publishing one object's status because
/// someone else keeps overwriting it with other URLs (Kargo's controller
/// configured with another base URL, see docs/install.md), and backs off
/// instead of fighting in a tight loop.
#[derive(Debug, Default)]
pub struct Contention {
    recent: VecDeque<Instant>,
    paused_until: Option<Instant>,
    backoff: Option<Duration>,
    last_patch: Option<Instant>,
}

impl Contention {
    /// True while publishing for this object is paused.
    pub fn paused(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|until| now < until)
    }

    /// Records a patch at `now`. Returns the pause that starts now if the
    /// object was patched too often.
    pub fn record_patch(&mut self, now: Instant) -> Option<Duration> {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > CONTENTION_WINDOW)
        {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
        // After a quiet spell longer than the last pause plus a window, the
        // next contention starts from the first back-off again.
        let quiet = self.backoff.unwrap_or_default() + CONTENTION_WINDOW;
        if self
            .last_patch
            .replace(now)
            .is_some_and(|last| now.duration_since(last) > quiet)
        {
            self.backoff = None;
        }
        if self.recent.len() <= CONTENTION_PATCHES {
            return None;
        }
        let backoff = self
            .backoff
            .map_or(FIRST_BACKOFF, |b| (b * 2).min(MAX_BACKOFF));
        self.backoff = Some(backoff);
        self.paused_until = Some(now + backoff);
        self.recent.clear();
        Some(backoff)
    }
}

/// The status publisher.
pub struct StatusPublisher {
    client: kube::Client,
    sources: Arc<SharedSources>,
    table: SharedTable,
    layout: UrlLayout,
    leader: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
    /// Per object: how often its status was patched lately.
    contention: HashMap<Owner, Contention>,
}

impl std::fmt::Debug for StatusPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPublisher")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl StatusPublisher {
    /// A publisher that writes while `leader` says so.
    pub fn new(
        client: kube::Client,
        sources: Arc<SharedSources>,
        table: SharedTable,
        layout: UrlLayout,
        leader: watch::Receiver<bool>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            client,
            sources,
            table,
            layout,
            leader,
            metrics,
            contention: HashMap::new(),
        }
    }

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
    pub async fn publish_all(&mut self) -> bool {
        let table = self.table.load_full();
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let mut all_ok = true;
        for owner in table.owners() {
            let contention = self.contention.entry(owner.owner.clone()).or_default();
            let pending = owner
                .results
                .iter()
                .any(|r| r.state.as_ref().is_err_and(|p| p.is_pending()));
            if contention.paused(Instant::now()) || pending {
                continue;
            }
            let current = {
                let sources = self.sources.lock();
                match sources.configs.get(&owner.owner) {
                    Some(entry) => entry.status.clone(),
                    // Deleted since the table was built.
                    None => continue,
                }
            };
            let desired = desired_status(owner, &self.layout, current.as_ref(), &now);
            if current.as_ref().is_some_and(|c| agrees(c, &desired)) {
                continue;
            }
            if let Some(pause) = self
                .contention
                .entry(owner.owner.clone())
                .or_default()
                .record_patch(Instant::now())
            {
                tracing::warn!(
                    owner = %owner.owner,
                    pause_seconds = pause.as_secs(),
                    "another writer keeps replacing this object's status.webhookReceivers \
                     with other URLs (is Kargo's controller configured with another base URL? \
                     see docs/install.md); pausing status publishing for it"
                );
                self.metrics
                    .status_updates
                    .get_or_create(&PatchLabels { result: "paused" })
                    .inc();
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

    async fn patch(&self, owner: &Owner, status: &ReceiversStatus) -> Result<(), kube::Error> {
        let body = serde_json::json!({ "status": status });
        let patch = Patch::Merge(&body);
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_patches_are_fine() {
        let mut contention = Contention::default();
        let start = Instant::now();
        for i in 0..CONTENTION_PATCHES as u64 {
            assert_eq!(
                contention.record_patch(start + Duration::from_secs(i)),
                None
            );
        }
        assert!(!contention.paused(start + Duration::from_secs(10)));
        // Spread out over time, any number is fine.
        for i in 1..50u64 {
            assert_eq!(
                contention.record_patch(start + Duration::from_secs(61 * i)),
                None
            );
        }
    }

    #[test]
    fn a_tight_loop_pauses_with_growing_backoff() {
        let mut contention = Contention::default();
        let start = Instant::now();
        let mut now = start;
        let mut pauses = Vec::new();
        for _ in 0..4 {
            let pause = loop {
                now += Duration::from_millis(200);
                if let Some(pause) = contention.record_patch(now) {
                    break pause;
                }
            };
            assert!(contention.paused(now));
            assert!(!contention.paused(now + pause));
            pauses.push(pause.as_secs());
            now += pause;
        }
        assert_eq!(pauses, [60, 120, 240, 480]);
        // A long quiet spell resets the back-off.
        now += Duration::from_secs(3600);
        let pause = loop {
            now += Duration::from_millis(200);
            if let Some(pause) = contention.record_patch(now) {
                break pause;
            }
        };
        assert_eq!(pause, FIRST_BACKOFF);
    }
}
