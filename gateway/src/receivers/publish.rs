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
use super::sources::SharedSources;
use super::status::{agrees, desired_status};
use super::url::UrlLayout;
use crate::backoff::Backoff;
use crate::kargo::{ClusterConfig, Owner, ProjectConfig, ReceiversStatus};
use crate::metrics::{Metrics, PatchLabels};

/// How often everything is compared again even without a change.
const RESYNC: Duration = Duration::from_secs(60);
/// How soon a failed status patch is tried again.
const RETRY: Duration = Duration::from_secs(2);
/// This many overwrites of what the gateway wrote, within
/// [`CONTENTION_WINDOW`], mean another writer keeps replacing the status.
const CONTENTION_OVERWRITES: usize = 2;
/// Kargo's controller re-reads every ProjectConfig at least every 5 minutes;
/// the window spans several of its passes.
const CONTENTION_WINDOW: Duration = Duration::from_secs(30 * 60);
/// The first pause, doubled by each further one up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(10 * 60);
const MAX_PAUSE: Duration = Duration::from_secs(60 * 60);

/// The field manager of the gateway's status writes.
pub const FIELD_MANAGER: &str = "kargo-webhook-gateway";

/// Notices when another writer keeps replacing what the gateway wrote with
/// other URLs (Kargo's controller configured with another base URL, see
/// docs/configuration.md), and backs off instead of taking turns with it.
/// Only overwrites count: the gateway's own updates after a spec or Secret
/// change never pause it.
#[derive(Debug)]
pub struct Contention {
    /// What the gateway last wrote.
    written: Option<ReceiversStatus>,
    overwrites: VecDeque<Instant>,
    last_overwrite: Option<Instant>,
    paused_until: Option<Instant>,
    /// The pauses of this contention, longer each time.
    pauses: Backoff,
    last_pause: Option<Duration>,
}

impl Default for Contention {
    fn default() -> Self {
        Self {
            written: None,
            overwrites: VecDeque::new(),
            last_overwrite: None,
            paused_until: None,
            pauses: Backoff::doubling(FIRST_PAUSE, MAX_PAUSE),
            last_pause: None,
        }
    }
}

impl Contention {
    /// True while publishing for this object is paused.
    pub fn paused(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|until| now < until)
    }

    /// Remembers what the gateway just wrote.
    pub fn wrote(&mut self, status: ReceiversStatus) {
        self.written = Some(status);
    }

    /// Called before the gateway writes again, with the status the object
    /// has now. Returns the pause that starts now when someone else keeps
    /// replacing what the gateway wrote.
    pub fn before_write(&mut self, current: &ReceiversStatus, now: Instant) -> Option<Duration> {
        let overwritten = self
            .written
            .as_ref()
            .is_some_and(|written| !agrees(current, written));
        if !overwritten {
            return None;
        }
        while self
            .overwrites
            .front()
            .is_some_and(|t| now.duration_since(*t) > CONTENTION_WINDOW)
        {
            self.overwrites.pop_front();
        }
        // After a quiet spell longer than the last pause plus a window, the
        // next contention starts from the first back-off again.
        let quiet = self.last_pause.unwrap_or_default() + CONTENTION_WINDOW;
        if self
            .last_overwrite
            .replace(now)
            .is_some_and(|last| now.duration_since(last) > quiet)
        {
            self.pauses.reset();
            self.last_pause = None;
        }
        self.overwrites.push_back(now);
        if self.overwrites.len() < CONTENTION_OVERWRITES {
            return None;
        }
        let pause = self.pauses.next_delay();
        self.last_pause = Some(pause);
        self.paused_until = Some(now + pause);
        self.overwrites.clear();
        Some(pause)
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
        // Forget objects that are gone.
        self.contention
            .retain(|owner, _| table.owners().iter().any(|o| &o.owner == owner));
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
            let contention = self.contention.entry(owner.owner.clone()).or_default();
            let before = current.clone().unwrap_or_default();
            if let Some(pause) = contention.before_write(&before, Instant::now()) {
                tracing::warn!(
                    owner = %owner.owner,
                    pause_seconds = pause.as_secs(),
                    "another writer keeps replacing this object's status.webhookReceivers \
                     with other URLs (is Kargo's controller running, configured with another \
                     base URL? then turn --publish-status off); pausing status publishing for it"
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
                Ok(()) => {
                    self.contention
                        .entry(owner.owner.clone())
                        .or_default()
                        .wrote(desired);
                    tracing::debug!(owner = %owner.owner, "status published");
                }
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
        match owner {
            Owner::Project { namespace, name } => {
                let api: Api<ProjectConfig> = Api::namespaced(self.client.clone(), namespace);
                api.patch_status(name, &params, &patch).await.map(drop)
            }
            Owner::Cluster { name } => {
                let api: Api<ClusterConfig> = Api::all(self.client.clone());
                api.patch_status(name, &params, &patch).await.map(drop)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kargo::ReceiverDetails;

    fn status(url: &str) -> ReceiversStatus {
        ReceiversStatus {
            webhook_receivers: vec![ReceiverDetails {
                name: "r".into(),
                path: "/harbor/x".into(),
                url: url.into(),
            }],
            ..ReceiversStatus::default()
        }
    }

    #[test]
    fn the_gateways_own_updates_never_pause_it() {
        let mut contention = Contention::default();
        let start = Instant::now();
        for i in 0..20u64 {
            let now = start + Duration::from_secs(i);
            let previous = status(&format!("https://h/{i}"));
            // What it wrote is still there: a spec change, not a fight.
            assert_eq!(contention.before_write(&previous, now), None);
            contention.wrote(status(&format!("https://h/{}", i + 1)));
            if i < 19 {
                assert_eq!(
                    contention.before_write(&status(&format!("https://h/{}", i + 1)), now),
                    None
                );
            }
        }
        assert!(!contention.paused(start + Duration::from_secs(30)));
    }

    #[test]
    fn repeated_overwrites_pause_with_growing_backoff() {
        let mut contention = Contention::default();
        let ours = status("https://gateway/harbor/x");
        let theirs = status("https://kargo/harbor/x");
        let mut now = Instant::now();
        let mut pauses = Vec::new();
        for _ in 0..4 {
            contention.wrote(ours.clone());
            // Kargo's controller comes by every five minutes.
            now += Duration::from_secs(300);
            let pause = match contention.before_write(&theirs, now) {
                Some(pause) => pause,
                None => {
                    contention.wrote(ours.clone());
                    now += Duration::from_secs(300);
                    contention
                        .before_write(&theirs, now)
                        .expect("the second overwrite pauses")
                }
            };
            assert!(contention.paused(now));
            assert!(!contention.paused(now + pause));
            pauses.push(pause.as_secs() / 60);
            now += pause;
        }
        assert_eq!(pauses, [10, 20, 40, 60]);
        // A quiet spell longer than the last pause and a window starts over.
        now += MAX_PAUSE + CONTENTION_WINDOW + Duration::from_secs(1);
        contention.wrote(ours.clone());
        assert_eq!(contention.before_write(&theirs, now), None);
        contention.wrote(ours);
        assert_eq!(
            contention.before_write(&theirs, now + Duration::from_secs(300)),
            Some(FIRST_PAUSE)
        );
    }
}
