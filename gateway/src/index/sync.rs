//! Keeps the Warehouse index in step with a watch on Warehouses.

use std::collections::HashSet;
use std::sync::Arc;

use kube::ResourceExt;

use super::{SharedIndex, Subscriptions, WarehouseId, WarehouseIndex};
use crate::kargo::Warehouse;
use crate::metrics::Metrics;
use crate::selection::RuleCache;
use crate::watch::{self, FailureHandled};

/// Warehouses per page of a (re-)list. The watcher decodes each page whole
/// (every object with its `managedFields`) and hands its Warehouses on one
/// by one; each is indexed and dropped, so a page is the most of a list
/// held at once, and the allocator keeps the largest page's memory for the
/// life of the process: pages of 100 instead of the client's 500 keep that
/// to a fifth, for four more requests per 500 Warehouses.
pub const LIST_PAGE_SIZE: u32 = 100;

/// Writes Warehouse events into the shared index. A (re-)list builds a new
/// index on the side, Warehouse by Warehouse, and swaps it in when the list
/// is complete, so Warehouses deleted while the watch was down disappear.
/// The index is stale from a watch failure until then.
#[derive(Debug)]
pub struct WarehouseIndexer {
    index: SharedIndex,
    /// Shares identical selection rules between Warehouses.
    rules: RuleCache,
    /// Shares each namespace's name between its Warehouses' ids.
    namespaces: HashSet<Arc<str>>,
    metrics: Arc<Metrics>,
}

impl WarehouseIndexer {
    /// An indexer writing into `index`, which is stale until the first list.
    pub fn new(index: SharedIndex, metrics: Arc<Metrics>) -> Self {
        index
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .mark_stale();
        Self {
            index,
            rules: RuleCache::default(),
            namespaces: HashSet::new(),
            metrics,
        }
    }

    fn id(&mut self, warehouse: &Warehouse) -> WarehouseId {
        let namespace = warehouse.metadata.namespace.as_deref().unwrap_or_default();
        let namespace = match self.namespaces.get(namespace) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = Arc::from(namespace);
                self.namespaces.insert(Arc::clone(&shared));
                shared
            }
        };
        WarehouseId::in_namespace(namespace, &warehouse.name_any())
    }

    fn parse(&mut self, warehouse: &Warehouse) -> (WarehouseId, Subscriptions) {
        let id = self.id(warehouse);
        let subscriptions =
            Subscriptions::from_spec_cached(&warehouse.spec.subscriptions, &mut self.rules);
        for warning in &subscriptions.warnings {
            tracing::warn!(warehouse = %id, %warning, "Warehouse subscription not fully usable");
        }
        (id, subscriptions)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, WarehouseIndex> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    fn update_gauge(&self, index: &WarehouseIndex) {
        self.metrics
            .indexed_warehouses
            .set(i64::try_from(index.warehouses()).unwrap_or(i64::MAX));
    }
}

impl watch::Index<Warehouse> for WarehouseIndexer {
    type Listing = WarehouseIndex;

    fn apply(&mut self, object: Warehouse) {
        let (id, subscriptions) = self.parse(&object);
        let mut index = self.write();
        index.apply(id, subscriptions);
        self.update_gauge(&index);
    }

    fn delete(&mut self, object: Warehouse) {
        let id = self.id(&object);
        let mut index = self.write();
        index.delete(&id);
        self.update_gauge(&index);
    }

    fn start_listing(&self) -> WarehouseIndex {
        WarehouseIndex::default()
    }

    fn listed(&mut self, fresh: &mut WarehouseIndex, object: Warehouse) {
        let (id, subscriptions) = self.parse(&object);
        fresh.apply(id, subscriptions);
    }

    fn reset(&mut self, mut fresh: WarehouseIndex) {
        fresh.shrink_to_fit();
        self.update_gauge(&fresh);
        let stale = std::mem::replace(&mut *self.write(), fresh);
        // Rules only the replaced index held are dropped with it; the fresh
        // one (now the shared index) holds its own, which pruning keeps.
        drop(stale);
        self.rules.prune();
        self.namespaces
            .retain(|namespace| Arc::strong_count(namespace) > 1);
    }

    fn failed(&mut self, _error: &kube::runtime::watcher::Error) -> FailureHandled {
        self.write().mark_stale();
        FailureHandled::No
    }
}

#[cfg(test)]
mod tests {
    use kargo_webhook_provider::RepoKey;

    use super::*;
    use crate::kargo::WarehouseScope;
    use crate::watch::Index;

    /// A Warehouse subscribing to image `repository` with tags matching `allow`.
    fn warehouse(name: &str, repository: &str, allow: &str) -> Warehouse {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "kargo.akuity.io/v1alpha1",
            "kind": "Warehouse",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"subscriptions": [
                {"image": {
                    "repoURL": repository,
                    "imageSelectionStrategy": "Lexical",
                    "allowTagsRegexes": [allow],
                }},
            ]},
        }))
        .expect("a Warehouse")
    }

    /// Lists `warehouses` into `indexer`.
    fn list(indexer: &mut WarehouseIndexer, warehouses: Vec<Warehouse>) {
        let mut listing = indexer.start_listing();
        for warehouse in warehouses {
            indexer.listed(&mut listing, warehouse);
        }
        indexer.reset(listing);
    }

    #[test]
    fn warehouses_of_one_namespace_share_its_name_until_none_is_left() {
        let index = SharedIndex::default();
        let mut indexer = WarehouseIndexer::new(index, Arc::new(Metrics::new()));
        let a = indexer.id(&warehouse("a", "harbor.example.org/team/app", ".*"));
        let b = indexer.id(&warehouse("b", "harbor.example.org/team/app", ".*"));
        assert_eq!((a.namespace(), b.namespace()), ("demo", "demo"));
        assert_eq!(a.namespace().as_ptr(), b.namespace().as_ptr(), "one copy");
        drop((a, b));
        indexer.reset(WarehouseIndex::default());
        assert!(indexer.namespaces.is_empty(), "no Warehouse is left in it");
    }

    #[test]
    fn the_index_is_stale_until_listed_and_again_after_a_watch_failure() {
        let index = SharedIndex::default();
        let mut indexer = WarehouseIndexer::new(index.clone(), Arc::new(Metrics::new()));
        let stale = || index.read().expect("lock").is_stale();
        assert!(stale(), "nothing listed yet");
        list(&mut indexer, Vec::new());
        assert!(!stale());
        indexer.failed(&kube::runtime::watcher::Error::NoResourceVersion);
        assert!(stale(), "events may have been missed");
        list(&mut indexer, Vec::new());
        assert!(!stale());
    }

    #[test]
    fn a_list_in_progress_is_not_visible_and_a_complete_one_replaces_the_index() {
        let index = SharedIndex::default();
        let metrics = Arc::new(Metrics::new());
        let mut indexer = WarehouseIndexer::new(index.clone(), Arc::clone(&metrics));
        let all = WarehouseScope::AllNamespaces;
        let subscribed = |repository: &str| {
            let key = RepoKey::image(repository).expect("a repository");
            let index = index.read().expect("lock");
            index
                .candidates(&key, &all)
                .map(|(id, _)| id.clone())
                .collect::<Vec<_>>()
        };
        list(
            &mut indexer,
            vec![warehouse("old", "r.example.org/old", "^v")],
        );
        assert_eq!(
            subscribed("r.example.org/old"),
            [WarehouseId::new("demo", "old")]
        );

        let mut listing = indexer.start_listing();
        indexer.listed(
            &mut listing,
            warehouse("new", "r.example.org/new", "^main-"),
        );
        assert!(
            subscribed("r.example.org/new").is_empty(),
            "a list in progress is not a list"
        );
        assert_eq!(subscribed("r.example.org/old").len(), 1);

        indexer.reset(listing);
        assert!(
            subscribed("r.example.org/old").is_empty(),
            "what was not re-listed is gone"
        );
        assert_eq!(
            subscribed("r.example.org/new"),
            [WarehouseId::new("demo", "new")]
        );
        assert!(!index.read().expect("lock").is_stale());
        assert_eq!(metrics.indexed_warehouses.get(), 1);
    }

    #[test]
    fn a_re_list_keeps_the_rules_its_warehouses_use_and_forgets_the_others() {
        let index = SharedIndex::default();
        let mut indexer = WarehouseIndexer::new(index.clone(), Arc::new(Metrics::new()));
        list(&mut indexer, vec![warehouse("a", "r.example.org/a", "^v")]);
        list(
            &mut indexer,
            vec![
                warehouse("b", "r.example.org/b", "^main-"),
                warehouse("c", "r.example.org/c", "^main-"),
            ],
        );
        assert_eq!(indexer.rules.len(), 1, "only the rule of b and c is held");
        let index = index.read().expect("lock");
        let key = RepoKey::image("r.example.org/b").expect("a repository");
        let all = WarehouseScope::AllNamespaces;
        let (_, rule) = index.candidates(&key, &all).next().expect("b is indexed");
        assert!(rule.accepts("main-1") && !rule.accepts("v1"));
    }
}
