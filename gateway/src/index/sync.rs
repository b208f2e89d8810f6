//! Keeps the Warehouse index in step with a watch on Warehouses.

use std::sync::Arc;

use kube::ResourceExt;

use super::{SharedIndex, Subscriptions, WarehouseId, WarehouseIndex};
use crate::kargo::Warehouse;
use crate::metrics::Metrics;
use crate::selection::RuleCache;
use crate::watch::{self, FailureHandled};

/// Warehouses per page of a (re-)list. Each page is decoded whole (with
/// every object's `managedFields`) before it is handed on, and the allocator
/// keeps the largest page's memory for the life of the process: pages of
/// 100 instead of the client's 500 keep that to a fifth, for four more
/// requests per 500 Warehouses.
pub const LIST_PAGE_SIZE: u32 = 100;

/// Writes Warehouse events into the shared index. A re-list builds a new
/// index on the side and swaps it in, so Warehouses deleted while the watch
/// was down disappear. The index is stale from a watch failure until then.
#[derive(Debug)]
pub struct WarehouseIndexer {
    index: SharedIndex,
    /// Shares identical selection rules between Warehouses.
    rules: RuleCache,
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
            metrics,
        }
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

fn id(warehouse: &Warehouse) -> WarehouseId {
    WarehouseId::new(
        &warehouse.namespace().unwrap_or_default(),
        &warehouse.name_any(),
    )
}

fn parse(warehouse: &Warehouse, rules: &mut RuleCache) -> (WarehouseId, Subscriptions) {
    let id = id(warehouse);
    let subscriptions = Subscriptions::from_spec_cached(&warehouse.spec.subscriptions, rules);
    for warning in &subscriptions.warnings {
        tracing::warn!(warehouse = %id, %warning, "Warehouse subscription not fully usable");
    }
    (id, subscriptions)
}

impl watch::Index<Warehouse> for WarehouseIndexer {
    fn apply(&mut self, object: Warehouse) {
        let (id, subscriptions) = parse(&object, &mut self.rules);
        let mut index = self.write();
        index.apply(id, subscriptions);
        self.update_gauge(&index);
    }

    fn delete(&mut self, object: Warehouse) {
        let mut index = self.write();
        index.delete(&id(&object));
        self.update_gauge(&index);
    }

    fn reset(&mut self, objects: Vec<Warehouse>) {
        let mut fresh = WarehouseIndex::default();
        // Each object is dropped once read, so the list and the new index
        // are not both held whole.
        for object in objects {
            let (id, subscriptions) = parse(&object, &mut self.rules);
            fresh.apply(id, subscriptions);
        }
        fresh.shrink_to_fit();
        self.update_gauge(&fresh);
        let stale = std::mem::replace(&mut *self.write(), fresh);
        // Rules only the replaced index held are dropped with it.
        drop(stale);
        self.rules.prune();
    }

    fn failed(&mut self, _error: &kube::runtime::watcher::Error) -> FailureHandled {
        self.write().mark_stale();
        FailureHandled::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::Index;

    #[test]
    fn the_index_is_stale_until_listed_and_again_after_a_watch_failure() {
        let index = SharedIndex::default();
        let mut indexer = WarehouseIndexer::new(index.clone(), Arc::new(Metrics::new()));
        let stale = || index.read().expect("lock").is_stale();
        assert!(stale(), "nothing listed yet");
        indexer.reset(Vec::new());
        assert!(!stale());
        indexer.failed(&kube::runtime::watcher::Error::NoResourceVersion);
        assert!(stale(), "events may have been missed");
        indexer.reset(Vec::new());
        assert!(!stale());
    }
}
