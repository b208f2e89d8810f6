//! The watch driver: runs a Kubernetes watch and keeps an [`Index`] up to
//! date from it. The driver owns the bookkeeping every index would
//! otherwise repeat (kubert's `index` module is the model): it has the
//! index gather a list on the side and swap it in once complete (and drops
//! a list cut short), starts a failed watch over after a back-off, and
//! keeps readiness and metrics up to date. An index only applies, deletes,
//! gathers listed objects and swaps its listing in.
//!
//! A list is never held whole: each listed object is reduced to the form
//! the index keeps and dropped, so no more objects are in memory at once
//! than the watcher's page, however many there are.
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
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;

use crate::backoff::Backoff;
use crate::metrics::{Metrics, WatchLabels};
use crate::readiness::SyncHandle;

/// Delay before the first re-list after a failure, and the base of the
/// delays after consecutive ones (each stretched by up to as much again,
/// so at most 4 s). Short, because the gateway answers deliveries 503 while
/// its view may be stale.
const RELIST_FIRST_DELAY: Duration = Duration::from_millis(250);
/// The base delay stops growing here.
const RELIST_MAX_DELAY: Duration = Duration::from_secs(2);
/// Delay after a failure the index reported itself: one that lasts (no
/// permission), so trying every few seconds would only load the API server.
const REPORTED_FAILURE_DELAY: Duration = Duration::from_secs(30);

/// What a watch keeps up to date. At start and whenever the watch had to
/// start over, the driver lists: it takes a [`Listing`](Index::Listing)
/// from `start_listing`, hands it each listed object through `listed`, and
/// once the list is complete gives it to `reset`. Nothing of a listing may
/// be visible to readers before `reset`, so they never see a half-listed
/// world; a listing cut short by a failure is dropped. Between lists the
/// driver calls `apply` and `delete` for each change.
pub trait Index<K>: Send + 'static {
    /// What a list is gathered into: the index's own form of the listed
    /// objects (never the objects themselves), kept apart from what readers
    /// see until the list is complete.
    type Listing: Send;

    /// An object was created or changed.
    fn apply(&mut self, object: K);
    /// An object was deleted.
    fn delete(&mut self, object: K);
    /// A list begins: an empty listing to gather it into.
    fn start_listing(&self) -> Self::Listing;
    /// One object of the list in progress, to add to `listing`. The object
    /// is dropped once read.
    fn listed(&mut self, listing: &mut Self::Listing, object: K);
    /// The list is complete: the index now holds exactly what `listing`
    /// gathered, and nothing it held before.
    fn reset(&mut self, listing: Self::Listing);
    /// The watch failed: until the next `reset` the index may miss changes.
    /// A re-list follows after a back-off. Returns whether the index
    /// reported the failure itself (then the driver only counts it).
    fn failed(&mut self, _error: &watcher::Error) -> FailureHandled {
        FailureHandled::No
    }
}

/// Whether an index reported a watch failure itself.
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
#[derive(Debug)]
pub struct WatchReporting {
    /// The resource's name in logs and metrics, e.g. `warehouses`.
    pub resource: &'static str,
    /// The readiness of this watch, synced by each completed list and lost
    /// by each failure; `None` for watches whose readiness some other
    /// component decides.
    pub readiness: Option<SyncHandle>,
    /// Where failures are counted.
    pub metrics: Arc<Metrics>,
}

/// Watches `api` into `index` until the process ends (or the task is
/// aborted).
pub async fn run<K, I>(api: Api<K>, config: watcher::Config, report: WatchReporting, index: I)
where
    K: kube::Resource + Clone + Debug + DeserializeOwned + Send + 'static,
    I: Index<K>,
{
    let mut driver = Driver::new(index, report);
    loop {
        let failure = driver
            .watch_until_failure(api.clone(), config.clone())
            .await;
        let delay = driver.failed(failure);
        tokio::time::sleep(delay).await;
    }
}

/// The bookkeeping between the watcher's events and an index.
#[derive(Debug)]
struct Driver<K, I: Index<K>> {
    index: I,
    report: WatchReporting,
    /// The list being received, from its first event to its last.
    listing: Option<I::Listing>,
    backoff: Backoff,
    objects: PhantomData<fn(K)>,
}

impl<K, I> Driver<K, I>
where
    K: kube::Resource + Clone + Debug + DeserializeOwned + Send + 'static,
    I: Index<K>,
{
    fn new(index: I, report: WatchReporting) -> Self {
        Self {
            index,
            report,
            listing: None,
            backoff: Backoff::doubling_with_jitter(RELIST_FIRST_DELAY, RELIST_MAX_DELAY),
            objects: PhantomData,
        }
    }

    /// Lists, then watches, until the first error, and says what it was.
    async fn watch_until_failure(&mut self, api: Api<K>, config: watcher::Config) -> WatchFailure {
        let mut events = watcher::watcher(api, config).boxed();
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => self.event(event),
                Err(error) => return error.into(),
            }
        }
        // A watcher stream does not end; should it, start over as after an error.
        WatchFailure::Ended
    }

    /// Hands one event to the index, or to the list being received.
    fn event(&mut self, event: Event<K>) {
        match event {
            Event::Apply(object) => self.index.apply(object),
            Event::Delete(object) => self.index.delete(object),
            Event::Init => self.listing = Some(self.index.start_listing()),
            Event::InitApply(object) => {
                let listing = self
                    .listing
                    .get_or_insert_with(|| self.index.start_listing());
                self.index.listed(listing, object);
            }
            Event::InitDone => {
                let listing = self
                    .listing
                    .take()
                    .unwrap_or_else(|| self.index.start_listing());
                self.index.reset(listing);
                if let Some(readiness) = &self.report.readiness {
                    readiness.synced();
                }
                self.backoff.reset();
                tracing::debug!(resource = self.report.resource, "watch listed");
            }
        }
    }

    /// Counts and reports a failure; returns how long to wait before the
    /// watch starts over.
    fn failed(&mut self, failure: WatchFailure) -> Duration {
        let resource = self.report.resource;
        // A list cut short is no list.
        self.listing = None;
        let handled = match &failure {
            WatchFailure::Watch(error) => self.index.failed(error),
            WatchFailure::Ended => FailureHandled::No,
        };
        self.report
            .metrics
            .watch_errors
            .get_or_create(&WatchLabels { resource })
            .inc();
        if handled == FailureHandled::Yes {
            return REPORTED_FAILURE_DELAY;
        }
        let delay = self.backoff.next_delay();
        tracing::warn!(
            resource,
            error = %failure,
            retry_ms = delay.as_millis(),
            "watch failed; re-listing after back-off"
        );
        if let Some(readiness) = &self.report.readiness {
            readiness.lost(Arc::new(failure));
        }
        delay
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::ResourceExt;

    use super::*;
    use crate::readiness::Readiness;

    /// The smallest index there is: name to `data.value`. It implements the
    /// required methods and nothing else.
    #[derive(Debug, Default)]
    struct Values(BTreeMap<String, String>);

    fn value(object: &ConfigMap) -> String {
        object
            .data
            .as_ref()
            .and_then(|data| data.get("value"))
            .cloned()
            .unwrap_or_default()
    }

    impl Index<ConfigMap> for Values {
        type Listing = BTreeMap<String, String>;

        fn apply(&mut self, object: ConfigMap) {
            self.0.insert(object.name_any(), value(&object));
        }
        fn delete(&mut self, object: ConfigMap) {
            self.0.remove(&object.name_any());
        }
        fn start_listing(&self) -> Self::Listing {
            BTreeMap::new()
        }
        fn listed(&mut self, listing: &mut Self::Listing, object: ConfigMap) {
            listing.insert(object.name_any(), value(&object));
        }
        fn reset(&mut self, listing: Self::Listing) {
            self.0 = listing;
        }
    }

    fn object(name: &str, value: &str) -> ConfigMap {
        let mut object = ConfigMap::default();
        object.metadata.name = Some(name.to_owned());
        object.data = Some([("value".to_owned(), value.to_owned())].into());
        object
    }

    fn driver(readiness: &Arc<Readiness>) -> Driver<ConfigMap, Values> {
        Driver::new(
            Values::default(),
            WatchReporting {
                resource: "configmaps",
                readiness: Some(readiness.register("configmaps")),
                metrics: Arc::new(Metrics::new()),
            },
        )
    }

    /// Feeds `driver` a complete list of `objects`.
    fn list<I: Index<ConfigMap>>(driver: &mut Driver<ConfigMap, I>, objects: &[(&str, &str)]) {
        driver.event(Event::Init);
        for (name, value) in objects {
            driver.event(Event::InitApply(object(name, value)));
        }
        driver.event(Event::InitDone);
    }

    fn held(driver: &Driver<ConfigMap, Values>) -> Vec<(&str, &str)> {
        driver
            .index
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn a_list_reaches_the_index_whole_and_changes_one_by_one() {
        let readiness = Arc::new(Readiness::default());
        let mut driver = driver(&readiness);
        driver.event(Event::Init);
        driver.event(Event::InitApply(object("a", "1")));
        driver.event(Event::InitApply(object("b", "1")));
        assert!(held(&driver).is_empty(), "a list in progress is not a list");
        assert!(readiness.check().is_err());
        driver.event(Event::InitDone);
        assert_eq!(held(&driver), [("a", "1"), ("b", "1")]);
        assert!(readiness.check().is_ok());
        driver.event(Event::Apply(object("a", "2")));
        driver.event(Event::Delete(object("b", "1")));
        assert_eq!(held(&driver), [("a", "2")]);
    }

    #[test]
    fn a_re_list_replaces_what_was_held_only_once_complete() {
        let readiness = Arc::new(Readiness::default());
        let mut driver = driver(&readiness);
        list(&mut driver, &[("a", "1"), ("b", "1")]);
        driver.event(Event::Init);
        driver.event(Event::InitApply(object("b", "2")));
        driver.event(Event::InitApply(object("c", "1")));
        assert_eq!(
            held(&driver),
            [("a", "1"), ("b", "1")],
            "a re-list in progress leaves the last complete one in place"
        );
        driver.event(Event::InitDone);
        assert_eq!(
            held(&driver),
            [("b", "2"), ("c", "1")],
            "what was not re-listed is gone"
        );
    }

    #[test]
    fn a_failure_discards_the_list_in_progress_and_unreadies_until_the_next() {
        let readiness = Arc::new(Readiness::default());
        let mut driver = driver(&readiness);
        list(&mut driver, &[("a", "1")]);
        driver.event(Event::Init);
        driver.event(Event::InitApply(object("gone", "1")));
        let delay = driver.failed(WatchFailure::Ended);
        assert_eq!(held(&driver), [("a", "1")], "the list cut short is dropped");
        assert!(delay < RELIST_FIRST_DELAY * 2, "{delay:?}");
        let not_ready = readiness.check().expect_err("the watch failed");
        assert_eq!(not_ready.waiting, ["configmaps"]);
        let cause = std::error::Error::source(&not_ready)
            .and_then(std::error::Error::source)
            .map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("the watch stream ended"));
        // Consecutive failures back off further.
        assert!(driver.failed(WatchFailure::Ended) >= RELIST_FIRST_DELAY * 2);
        list(&mut driver, &[("b", "1")]);
        assert_eq!(
            held(&driver),
            [("b", "1")],
            "what was not re-listed is gone"
        );
        assert!(readiness.check().is_ok());
        // A completed list starts the back-off over.
        assert!(driver.failed(WatchFailure::Ended) < RELIST_FIRST_DELAY * 2);
    }

    #[test]
    fn a_failure_the_index_reported_waits_long_and_leaves_readiness_alone() {
        #[derive(Debug, Default)]
        struct Reporting(Values);
        impl Index<ConfigMap> for Reporting {
            type Listing = <Values as Index<ConfigMap>>::Listing;

            fn apply(&mut self, object: ConfigMap) {
                self.0.apply(object);
            }
            fn delete(&mut self, object: ConfigMap) {
                self.0.delete(object);
            }
            fn start_listing(&self) -> Self::Listing {
                self.0.start_listing()
            }
            fn listed(&mut self, listing: &mut Self::Listing, object: ConfigMap) {
                self.0.listed(listing, object);
            }
            fn reset(&mut self, listing: Self::Listing) {
                self.0.reset(listing);
            }
            fn failed(&mut self, _error: &watcher::Error) -> FailureHandled {
                FailureHandled::Yes
            }
        }
        let readiness = Arc::new(Readiness::default());
        let metrics = Arc::new(Metrics::new());
        let mut driver = Driver::new(
            Reporting::default(),
            WatchReporting {
                resource: "configmaps",
                readiness: Some(readiness.register("configmaps")),
                metrics: Arc::clone(&metrics),
            },
        );
        list(&mut driver, &[]);
        let failure = WatchFailure::Watch(watcher::Error::NoResourceVersion);
        assert_eq!(driver.failed(failure), REPORTED_FAILURE_DELAY);
        assert!(readiness.check().is_ok());
        assert!(
            metrics
                .encode()
                .contains("kargo_webhook_watch_errors_total{resource=\"configmaps\"} 1")
        );
    }
}
