//! Leader election on a `coordination.k8s.io/v1` Lease: with many replicas,
//! exactly one publishes receiver status (all of them serve webhooks).
//!
//! The holder renews the Lease every `renew` interval; another replica takes
//! it over once `duration` has passed without a renewal. Every write carries
//! the `resourceVersion` it read, so two replicas never both win a race.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, ObjectMeta, PostParams};
use tokio::sync::watch;

/// How long shutdown waits for the Lease to be released.
pub const RELEASE_TIMEOUT: Duration = Duration::from_secs(2);

/// Lease settings.
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// The Lease's namespace.
    pub namespace: String,
    /// The Lease's name.
    pub name: String,
    /// This replica's identity (the Pod name in a cluster).
    pub identity: String,
    /// How long a Lease is valid without renewal.
    pub duration: Duration,
    /// How often the holder renews (and others check).
    pub renew: Duration,
}

/// Runs the election, publishing whether this replica leads.
#[derive(Debug)]
pub struct LeaderElection {
    api: Api<Lease>,
    config: LeaseConfig,
    leader: watch::Sender<bool>,
}

impl LeaderElection {
    /// An election on the configured Lease.
    pub fn new(client: kube::Client, config: LeaseConfig) -> (Self, watch::Receiver<bool>) {
        let (leader, receiver) = watch::channel(false);
        let api = Api::namespaced(client, &config.namespace);
        (
            Self {
                api,
                config,
                leader,
            },
            receiver,
        )
    }

    /// Campaigns and renews until the process ends.
    pub async fn run(self: std::sync::Arc<Self>) {
        loop {
            let leading = match self.try_acquire_or_renew().await {
                Ok(leading) => leading,
                Err(error) => {
                    tracing::warn!(%error, lease = %self.config.name, "Lease update failed");
                    // Without a confirmed renewal this replica must stop
                    // publishing before another one may take over.
                    false
                }
            };
            self.leader.send_if_modified(|current| {
                let changed = *current != leading;
                if changed {
                    tracing::info!(leading, identity = %self.config.identity, "status publishing leadership changed");
                }
                *current = leading;
                changed
            });
            tokio::time::sleep(self.config.renew).await;
        }
    }

    /// Releases the Lease on shutdown so that another replica takes over at
    /// once. Gives up after [`RELEASE_TIMEOUT`]: a stalled API server must
    /// not hold the exit up (the Lease then expires by itself).
    pub async fn release(&self) {
        if !*self.leader.borrow() {
            return;
        }
        if tokio::time::timeout(RELEASE_TIMEOUT, self.clear_holder())
            .await
            .is_err()
        {
            tracing::warn!(
                lease = %self.config.name,
                "Lease not released in time; another replica takes over when it expires"
            );
        }
        self.leader.send_replace(false);
    }

    async fn clear_holder(&self) {
        if let Ok(mut lease) = self.api.get(&self.config.name).await {
            let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
            if spec.holder_identity.as_deref() == Some(self.config.identity.as_str()) {
                spec.holder_identity = None;
                spec.renew_time = None;
                let _ = self
                    .api
                    .replace(&self.config.name, &PostParams::default(), &lease)
                    .await;
            }
        }
    }

    async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let duration_seconds = i32::try_from(self.config.duration.as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.config.identity.clone()),
                    lease_duration_seconds: Some(duration_seconds),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
                Err(error) => Err(error),
            };
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let ours = holder == self.config.identity;
        if !ours && !holder.is_empty() && !expired(spec, &now) {
            return Ok(false);
        }
        if !ours {
            spec.holder_identity = Some(self.config.identity.clone());
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.lease_duration_seconds = Some(duration_seconds);
        spec.renew_time = Some(now);
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            // Someone else wrote the Lease since we read it.
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error),
        }
    }
}

fn expired(spec: &LeaseSpec, now: &MicroTime) -> bool {
    let Some(renewed) = &spec.renew_time else {
        return true;
    };
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    renewed.0 + SignedDuration::from_secs(seconds) < now.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(renewed_seconds: i64, duration: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some("other".into()),
            lease_duration_seconds: Some(duration),
            renew_time: Some(MicroTime(
                Timestamp::from_second(renewed_seconds).expect("valid"),
            )),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn a_lease_expires_after_its_duration_without_renewal() {
        let now = MicroTime(Timestamp::from_second(1_000).expect("valid"));
        assert!(!expired(&spec(990, 15), &now));
        assert!(expired(&spec(980, 15), &now));
        assert!(expired(&LeaseSpec::default(), &now));
    }
}
