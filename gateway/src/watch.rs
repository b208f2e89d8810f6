//! Runs a Kubernetes watch and hands its events to a handler, with the
//! re-list protocol made explicit, back-off on errors, and readiness and
//! metrics kept up to date.

use std::fmt::Debug;
use std::sync::Arc;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;

use crate::metrics::{Metrics, WatchLabels};
use crate::readiness::Readiness;

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
}

/// Watches `api` until the process ends.
pub async fn run<K, H>(
    api: Api<K>,
    config: watcher::Config,
    resource: &'static str,
    readiness: Arc<Readiness>,
    metrics: Arc<Metrics>,
    mut handler: H,
) where
    K: kube::Resource + Clone + Debug + DeserializeOwned + Send + 'static,
    H: WatchHandler<K>,
{
    let mut events = watcher::watcher(api, config).default_backoff().boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Apply(object)) => {
                readiness.mark_api_reachable();
                handler.apply(object);
            }
            Ok(Event::Delete(object)) => {
                readiness.mark_api_reachable();
                handler.delete(object);
            }
            Ok(Event::Init) => handler.relist_start(),
            Ok(Event::InitApply(object)) => handler.relist_apply(object),
            Ok(Event::InitDone) => {
                handler.relist_done();
                readiness.mark_synced(resource);
                tracing::debug!(resource, "watch listed");
            }
            Err(error) => {
                readiness.mark_api_unreachable();
                metrics
                    .watch_errors
                    .get_or_create(&WatchLabels { resource })
                    .inc();
                tracing::warn!(resource, %error, "watch failed; retrying with back-off");
            }
        }
    }
}
