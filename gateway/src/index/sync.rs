//! Keeps the Warehouse index in step with a watch on Warehouses.

use std::sync::Arc;

use kube::ResourceExt;

use super::{SharedIndex, Subscriptions, WarehouseId, WarehouseIndex};
use crate::kargo::Warehouse;
use crate::metrics::Metrics;
use crate::selection::RuleCache;
use crate::watch::{FailureHandled, WatchHandler};

/// Warehouses per page of a (re-)list. Each page is decoded whole (with
/// every object's `managedFields`) before it is indexed, and the allocator
/// keeps the largest page's memory for the life of the process: pages of
/// 100 instead of the client's 500 keep that to a fifth, for four more
/// requests per 500 Warehouses.
pub const LIST_PAGE_SIZE: u32 = 100;

/// Applies Warehouse events to the shared index. A re-list builds a new
/// index on the side and swaps it in at the end, so Warehouses deleted while
/// the watch was down disappear and readers never see a partial list.
#[derive(Debug)]
pub struct IndexHandler {
    index: SharedIndex,
    relisted: Option<WarehouseIndex>,
    /// Shares identical selection rules between Warehouses.
    rules: RuleCache,
    metrics: Arc<Metrics>,
}

impl IndexHandler {
    /// A handler writing into `index`, which is stale until the first list.
    pub fn new(index: SharedIndex, metrics: Arc<Metrics>) -> Self {
        index
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .mark_stale();
        Self {
            index,
            relisted: None,
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

fn parse(warehouse: &Warehouse, rules: &mut RuleCache) -> (WarehouseId, Subscriptions) {
    let id = WarehouseId::new(
        &warehouse.namespace().unwrap_or_default(),
        &warehouse.name_any(),
    );
    let subscriptions = Subscriptions::from_spec_cached(&warehouse.spec.subscriptions, rules);
    for warning in &subscriptions.warnings {
        tracing::warn!(warehouse = %id, %warning, "Warehouse subscription not fully usable");
    }
    (id, subscriptions)
}

impl WatchHandler<Warehouse> for IndexHandler {
    fn apply(&mut self, object: Warehouse) {
        let (id, subscriptions) = parse(&object, &mut self.rules);
        let mut index = self.write();
        index.apply(id, subscriptions);
        self.update_gauge(&index);
    }

    fn delete(&mut self, object: Warehouse) {
        let id = WarehouseId::new(&object.namespace().unwrap_or_default(), &object.name_any());
        let mut index = self.write();
        index.delete(&id);
        self.update_gauge(&index);
    }

    fn relist_start(&mut self) {
        self.relisted = Some(WarehouseIndex::default());
    }

    fn relist_apply(&mut self, object: Warehouse) {
        let (id, subscriptions) = parse(&object, &mut self.rules);
        self.relisted
            .get_or_insert_with(WarehouseIndex::default)
            .apply(id, subscriptions);
    }

    fn relist_done(&mut self) {
        let mut fresh = self.relisted.take().unwrap_or_default();
        fresh.shrink_to_fit();
        self.update_gauge(&fresh);
        let stale = std::mem::replace(&mut *self.write(), fresh);
        // Rules only the replaced index held are dropped with it.
        drop(stale);
        self.rules.prune();
    }

    fn watch_failed(&mut self, _error: &kube::runtime::watcher::Error) -> FailureHandled {
        self.relisted = None;
        self.write().mark_stale();
        FailureHandled::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_stale_until_listed_and_again_after_a_watch_failure() {
        let index = SharedIndex::default();
        let mut handler = IndexHandler::new(index.clone(), Arc::new(Metrics::new()));
        let stale = || index.read().expect("lock").is_stale();
        assert!(stale(), "nothing listed yet");
        handler.relist_start();
        handler.relist_done();
        assert!(!stale());
        handler.watch_failed(&kube::runtime::watcher::Error::NoResourceVersion);
        assert!(stale(), "events may have been missed");
        handler.relist_start();
        assert!(stale(), "a list in progress is not a list");
        handler.relist_done();
        assert!(!stale());
    }
}
