//! Runs a Kubernetes watch and hands its events to a handler, with the
//! re-list protocol made explicit, back-off on errors, and readiness and
//! metrics kept up to date.
//!
//! A failed watch is never resumed from where it stopped: it starts over
//! with a list. Resuming is what a plain watcher does, but a resumed watch
//! that has nothing new to say says nothing, so there would be no moment at
//! which the gateway knows its view is current again. Starting over costs
//! one list per failure and gives that moment (the end of the list), which
//! readiness and the Warehouse index wait for. It also covers a history
//! compacted while the gateway was away (410 Gone) without a second
//! back-off.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;

use crate::metrics::{Metrics, WatchLabels};
use crate::readiness::Readiness;

/// Delay before the first re-list after a failure. Short, because the
/// gateway answers deliveries 503 while its view may be stale.
const RELIST_FIRST_DELAY: Duration = Duration::from_millis(250);
/// Upper bound of the delay, reached after a few consecutive failures
/// (while the API server stays away).
const RELIST_MAX_DELAY: Duration = Duration::from_secs(4);
/// Delay after a failure the handler reported itself: one that lasts (no
/// permission), so trying every few seconds would only load the API server.
const REPORTED_FAILURE_DELAY: Duration = Duration::from_secs(30);

/// What a watch feeds. A re-list (at start, and whenever the watch must
/// start over) is `relist_start`, `relist_apply` for every object, then
/// `relist_done`: the handler replaces its state only at the end, so readers
/// never see a half-listed world.
pub trait WatchHandler<K>: Send + 'static {
    /// An object was created or changed.
    fn apply(&mut self, object: K);
    /// An object was deleted.
    fn delete(&mut self, object: K);
    /// A re-list begins.
    fn relist_start(&mut self);
    /// One object of the re-list.
    fn relist_apply(&mut self, object: K);
    /// The re-list is complete: objects not seen in it are gone.
    fn relist_done(&mut self);
    /// The watch failed: until the next `relist_done`, the handler's state
    /// may miss changes. A re-list follows after a back-off. The handler
    /// says whether it reported the failure itself (then the driver only
    /// counts it).
    fn watch_failed(&mut self, _error: &watcher::Error) -> FailureHandled {
        FailureHandled::No
    }
}

/// Whether a handler reported a watch failure itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureHandled {
    /// It did (e.g. an expected 403 that it turned into a receiver
    /// problem): the driver stays quiet, leaves readiness alone and tries
    /// again after [`REPORTED_FAILURE_DELAY`].
    Yes,
    /// It did not: the driver logs it and marks the view stale.
    No,
}

/// Why a watch stopped.
#[derive(Debug, thiserror::Error)]
pub enum WatchFailure {
    /// The API server or the connection failed.
    #[error(transparent)]
    Watch(#[from] watcher::Error),
    /// The stream ended, which a watcher's stream should never do.
    #[error("the watch stream ended")]
    Ended,
}

/// Where a watch reports its state.
#[derive(Debug, Clone)]
pub struct WatchReporting {
    /// The resource's name in logs and metrics, e.g. `warehouses`.
    pub resource: &'static str,
    /// The readiness entry this watch keeps up to date; `None` for watches
    /// whose handler reports readiness some other way.
    pub readiness: Option<Arc<Readiness>>,
    /// Where failures are counted.
    pub metrics: Arc<Metrics>,
}

/// Watches `api` until the process ends (or the task is aborted).
pub async fn run<K, H>(api: Api<K>, config: watcher::Config, report: WatchReporting, mut handler: H)
where
    K: kube::Resource + Clone + Debug + DeserializeOwned + Send + 'static,
    H: WatchHandler<K>,
{
    let resource = report.resource;
    let mut failures = 0u32;
    loop {
        let failure = watch_until_failure(
            api.clone(),
            config.clone(),
            &report,
            &mut handler,
            &mut failures,
        )
        .await;
        let handled = match &failure {
            WatchFailure::Watch(error) => handler.watch_failed(error),
            WatchFailure::Ended => FailureHandled::No,
        };
        report
            .metrics
            .watch_errors
            .get_or_create(&WatchLabels { resource })
            .inc();
        let delay = match handled {
            FailureHandled::Yes => REPORTED_FAILURE_DELAY,
            FailureHandled::No => relist_delay(failures),
        };
        failures = failures.saturating_add(1);
        if handled == FailureHandled::No {
            if let Some(readiness) = &report.readiness {
                readiness.mark_unsynced(resource);
                readiness.mark_api_unreachable();
            }
            tracing::warn!(
                resource,
                error = %failure,
                retry_ms = delay.as_millis(),
                "watch failed; re-listing after back-off"
            );
        }
        tokio::time::sleep(delay).await;
    }
}

/// Lists, then watches, until the first error, and says what it was.
/// `failures` goes back to 0 when a list completes.
async fn watch_until_failure<K, H>(
    api: Api<K>,
    config: watcher::Config,
    report: &WatchReporting,
    handler: &mut H,
    failures: &mut u32,
) -> WatchFailure
where
    K: kube::Resource + Clone + Debug + DeserializeOwned + Send + 'static,
    H: WatchHandler<K>,
{
    let mut events = watcher::watcher(api, config).boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Apply(object)) => handler.apply(object),
            Ok(Event::Delete(object)) => handler.delete(object),
            Ok(Event::Init) => handler.relist_start(),
            Ok(Event::InitApply(object)) => handler.relist_apply(object),
            Ok(Event::InitDone) => {
                handler.relist_done();
                if let Some(readiness) = &report.readiness {
                    readiness.mark_synced(report.resource);
                }
                *failures = 0;
                tracing::debug!(resource = report.resource, "watch listed");
            }
            Err(error) => return error.into(),
        }
    }
    // A watcher stream does not end; should it, start over as after an error.
    WatchFailure::Ended
}

/// The back-off before re-list number `failures + 1`: doubling from
/// [`RELIST_FIRST_DELAY`] up to [`RELIST_MAX_DELAY`].
fn relist_delay(failures: u32) -> Duration {
    RELIST_FIRST_DELAY
        .saturating_mul(1 << failures.min(16))
        .min(RELIST_MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relist_delay_doubles_up_to_its_bound() {
        assert_eq!(relist_delay(0), Duration::from_millis(250));
        assert_eq!(relist_delay(1), Duration::from_millis(500));
        assert_eq!(relist_delay(3), Duration::from_secs(2));
        assert_eq!(relist_delay(4), RELIST_MAX_DELAY);
        assert_eq!(relist_delay(u32::MAX), RELIST_MAX_DELAY);
    }
}
