//! Rebuilds the receiver table whenever a ProjectConfig, ClusterConfig or
//! watched Secret changes, and swaps it in atomically.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use kargo_webhook_provider::Registry;

use super::resolve::{ResolveContext, resolve};
use super::sources::SharedSources;
use super::table::{OwnerReceivers, ReceiverTable};
use super::url::UrlLayout;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimit;

/// Changes arriving within this window are folded into one rebuild.
const DEBOUNCE: Duration = Duration::from_millis(20);

/// The live table, read on every request.
pub type SharedTable = Arc<ArcSwap<ReceiverTable>>;

/// Builds the receiver table from the sources.
#[derive(Debug)]
pub struct TableBuilder {
    /// What the watches saw.
    pub sources: Arc<SharedSources>,
    /// Where the table is published.
    pub table: SharedTable,
    /// The linked providers.
    pub registry: Registry,
    /// Namespace of ClusterConfig receivers' Secrets.
    pub cluster_secrets_namespace: String,
    /// Each receiver's delivery limit.
    pub rate_limit: RateLimit,
    /// How receiver paths are spelled.
    pub layout: UrlLayout,
    /// Receiver gauges.
    pub metrics: Arc<Metrics>,
}

impl TableBuilder {
    /// Builds a table from the current sources and swaps it in.
    pub fn rebuild(&self) {
        let owners: Vec<OwnerReceivers> = {
            let sources = self.sources.lock();
            let context = ResolveContext {
                registry: &self.registry,
                cluster_secrets_namespace: &self.cluster_secrets_namespace,
                rate_limit: self.rate_limit,
                layout: &self.layout,
            };
            let secret = |ns: &str, name: &str| sources.secret(ns, name);
            sources
                .configs
                .iter()
                .map(|(owner, entry)| OwnerReceivers {
                    owner: owner.clone(),
                    generation: entry.generation,
                    results: resolve(owner, &entry.receivers, context, &secret),
                    published: entry.published_paths(),
                })
                .collect()
        };
        let previous = self.table.load_full();
        let table = ReceiverTable::build(owners, Some(&previous));
        log_changes(&previous, &table);
        let (ready, failed) = table.counts();
        self.metrics.set_receivers(ready, failed);
        self.table.store(Arc::new(table));
    }

    /// Rebuilds on every change until the process ends.
    pub async fn run(self) {
        loop {
            self.sources.receivers_changed.notified().await;
            tokio::time::sleep(DEBOUNCE).await;
            self.rebuild();
            // The status publisher and the problem reporter compare the new
            // table with what they last saw.
            self.sources.status_changed.notify_one();
            self.sources.table_changed.notify_one();
        }
    }
}

/// Logs receivers that became ready or failed; unchanged ones stay quiet.
fn log_changes(previous: &ReceiverTable, next: &ReceiverTable) {
    let describe =
        |table: &ReceiverTable| -> BTreeSet<(String, String, Result<&'static str, String>)> {
            table
                .owners()
                .iter()
                .flat_map(|o| {
                    o.results
                        .iter()
                        .filter(|r| !r.state.as_ref().is_err_and(|p| p.is_pending()))
                        .map(move |r| {
                            let state = match &r.state {
                                Ok(receiver) => Ok(receiver.provider.name()),
                                Err(problem) => Err(format!("{problem} [{}]", problem.reason())),
                            };
                            (o.owner.to_string(), r.name.clone(), state)
                        })
                })
                .collect()
        };
    let before = describe(previous);
    for (owner, receiver, state) in describe(next).difference(&before) {
        match state {
            Ok(provider) => tracing::info!(%owner, %receiver, %provider, "receiver ready"),
            Err(problem) => tracing::warn!(%owner, %receiver, %problem, "receiver not ready"),
        }
    }
}
