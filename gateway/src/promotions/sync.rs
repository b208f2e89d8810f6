//! Keeps the Promotion index in step with a watch on Promotions. Only the
//! pull-request URLs of running Promotions are kept, never the objects.

use kube::ResourceExt;

use super::{PromotionIndex, SharedPromotionIndex};
use crate::kargo::{Promotion, PromotionId};
use crate::watch::{self, FailureHandled};

/// Writes Promotion events into the shared index; a (re-)list builds a new
/// index on the side and swaps it in when complete. Stale from a watch
/// failure until the next list, like the Warehouse index.
#[derive(Debug)]
pub struct PromotionIndexer {
    index: SharedPromotionIndex,
}

impl PromotionIndexer {
    /// An indexer writing into `index`, which is stale until the first list.
    pub fn new(index: SharedPromotionIndex) -> Self {
        index
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .mark_stale();
        Self { index }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, PromotionIndex> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }
}

fn id(promotion: &Promotion) -> PromotionId {
    PromotionId::new(
        &promotion.namespace().unwrap_or_default(),
        &promotion.name_any(),
    )
}

impl watch::Index<Promotion> for PromotionIndexer {
    type Listing = PromotionIndex;

    fn apply(&mut self, object: Promotion) {
        let urls = object.awaited_pull_requests();
        self.write().apply(id(&object), urls);
    }

    fn delete(&mut self, object: Promotion) {
        self.write().delete(&id(&object));
    }

    fn start_listing(&self) -> PromotionIndex {
        PromotionIndex::default()
    }

    fn listed(&mut self, fresh: &mut PromotionIndex, object: Promotion) {
        let urls = object.awaited_pull_requests();
        fresh.apply(id(&object), urls);
    }

    fn reset(&mut self, fresh: PromotionIndex) {
        *self.write() = fresh;
    }

    fn failed(&mut self, _error: &kube::runtime::watcher::Error) -> FailureHandled {
        self.write().mark_stale();
        FailureHandled::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kargo::WarehouseScope;
    use crate::watch::Index;

    fn promotion(name: &str, phase: &str, url: &str) -> Promotion {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "kargo.akuity.io/v1alpha1",
            "kind": "Promotion",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"steps": [{"uses": "git-wait-for-pr", "as": "wait"}]},
            "status": {"phase": phase, "currentStep": 0, "state": {"wait": {"pr": {"url": url}}}},
        }))
        .expect("a Promotion")
    }

    /// Lists `promotions` into `indexer`.
    fn list(indexer: &mut PromotionIndexer, promotions: Vec<Promotion>) {
        let mut listing = indexer.start_listing();
        for promotion in promotions {
            indexer.listed(&mut listing, promotion);
        }
        indexer.reset(listing);
    }

    #[test]
    fn running_promotions_are_indexed_until_they_finish_or_go() {
        let index = SharedPromotionIndex::default();
        let mut indexer = PromotionIndexer::new(index.clone());
        let all = WarehouseScope::AllNamespaces;
        let waiting = |url: &str| index.read().expect("lock").waiting_on(url, &all);
        assert!(index.read().expect("lock").is_stale());
        list(
            &mut indexer,
            vec![promotion("a", "Running", "https://x/pull/1")],
        );
        assert!(!index.read().expect("lock").is_stale());
        assert_eq!(waiting("https://x/pull/1"), [PromotionId::new("demo", "a")]);
        indexer.apply(promotion("b", "Running", "https://x/pull/1"));
        assert_eq!(waiting("https://x/pull/1").len(), 2);
        indexer.apply(promotion("a", "Succeeded", "https://x/pull/1"));
        assert_eq!(waiting("https://x/pull/1"), [PromotionId::new("demo", "b")]);
        indexer.delete(promotion("b", "Running", "https://x/pull/1"));
        assert!(waiting("https://x/pull/1").is_empty());
        indexer.failed(&kube::runtime::watcher::Error::NoResourceVersion);
        assert!(index.read().expect("lock").is_stale());
    }

    #[test]
    fn a_list_in_progress_is_not_visible_and_a_complete_one_replaces_the_index() {
        let index = SharedPromotionIndex::default();
        let mut indexer = PromotionIndexer::new(index.clone());
        let all = WarehouseScope::AllNamespaces;
        let waiting = |url: &str| index.read().expect("lock").waiting_on(url, &all);
        list(
            &mut indexer,
            vec![promotion("old", "Running", "https://x/pull/1")],
        );
        indexer.failed(&kube::runtime::watcher::Error::NoResourceVersion);

        let mut listing = indexer.start_listing();
        indexer.listed(
            &mut listing,
            promotion("new", "Running", "https://x/pull/2"),
        );
        assert!(
            waiting("https://x/pull/2").is_empty(),
            "a list in progress is not a list"
        );
        assert_eq!(
            waiting("https://x/pull/1"),
            [PromotionId::new("demo", "old")]
        );
        assert!(index.read().expect("lock").is_stale());

        indexer.reset(listing);
        assert!(
            waiting("https://x/pull/1").is_empty(),
            "what was not re-listed is gone"
        );
        assert_eq!(
            waiting("https://x/pull/2"),
            [PromotionId::new("demo", "new")]
        );
        assert!(!index.read().expect("lock").is_stale());
    }
}
