//! Promotions waiting on a pull request: an index from each pull request's
//! URL to the running Promotions whose `git-wait-for-pr` step waits on it,
//! fed by a watch like the Warehouse index, and the patch that asks Kargo
//! to look at such a Promotion again once the pull request is closed.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use futures::future::join_all;
use tokio::time::Instant;

use crate::kargo::{PromotionId, WarehouseScope};
use crate::refresher::PatchError;
use crate::refresher::token::TokenSource;

pub mod patch;
pub mod sync;

pub use patch::{KubePromotionPatcher, PromotionPatcher};
pub use sync::PromotionIndexer;

/// The index itself. Not synchronized: the owner wraps it (see
/// [`SharedPromotionIndex`]).
#[derive(Debug, Default)]
pub struct PromotionIndex {
    by_url: HashMap<String, BTreeSet<PromotionId>>,
    by_promotion: HashMap<PromotionId, Vec<String>>,
    /// Set while the watch feeding the index has not (re-)listed.
    stale: bool,
}

impl PromotionIndex {
    /// Marks the index as possibly behind the cluster, until replaced by a
    /// fresh list.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// True while the index may miss changes.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Records the pull requests a Promotion waits on (none removes it).
    pub fn apply(&mut self, promotion: PromotionId, urls: Vec<String>) {
        self.delete(&promotion);
        if urls.is_empty() {
            return;
        }
        for url in &urls {
            self.by_url
                .entry(url.clone())
                .or_default()
                .insert(promotion.clone());
        }
        self.by_promotion.insert(promotion, urls);
    }

    /// Forgets a Promotion.
    pub fn delete(&mut self, promotion: &PromotionId) {
        let Some(urls) = self.by_promotion.remove(promotion) else {
            return;
        };
        for url in urls {
            if let Some(waiting) = self.by_url.get_mut(&url) {
                waiting.remove(promotion);
                if waiting.is_empty() {
                    self.by_url.remove(&url);
                }
            }
        }
    }

    /// The Promotions in `scope` waiting on the pull request at `url`,
    /// sorted. URLs are compared as written, as Kargo compares them.
    pub fn waiting_on(&self, url: &str, scope: &WarehouseScope) -> Vec<PromotionId> {
        self.by_url.get(url).map_or_else(Vec::new, |waiting| {
            waiting
                .iter()
                .filter(|promotion| scope.contains(promotion.namespace()))
                .cloned()
                .collect()
        })
    }

    /// How many Promotions wait on some pull request.
    pub fn promotions(&self) -> usize {
        self.by_promotion.len()
    }
}

/// The index as the gateway shares it: many readers, one writer (the watch).
pub type SharedPromotionIndex = Arc<RwLock<PromotionIndex>>;

/// What refreshing the Promotions waiting on a pull request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromotionsRefreshed {
    /// Every waiting Promotion was refreshed (those deleted meanwhile are
    /// left out).
    Done(Vec<PromotionId>),
    /// The index is being re-listed and may miss Promotions.
    Relisting,
    /// The patches did not all land before the deadline.
    Deadline,
    /// A patch failed at the Kubernetes API.
    KubernetesApi,
}

/// The index and the patcher: all the delivery flow needs for pull
/// requests. Merged pull requests are rare, so each refresh is one patch
/// per Promotion, without the Warehouse refresher's coalescing; a sender
/// whose delivery got no confirmation is asked to retry, and Kargo's step
/// polls the pull request on its own meanwhile.
#[derive(Clone)]
pub struct Promotions {
    /// Promotions by the pull request they wait on.
    pub index: SharedPromotionIndex,
    patcher: Arc<dyn PromotionPatcher>,
    tokens: Arc<TokenSource>,
}

impl std::fmt::Debug for Promotions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Promotions").finish_non_exhaustive()
    }
}

impl Promotions {
    /// Refreshes through `patcher` the Promotions `index` knows.
    pub fn new(index: SharedPromotionIndex, patcher: Arc<dyn PromotionPatcher>) -> Self {
        Self {
            index,
            patcher,
            tokens: Arc::new(TokenSource::new()),
        }
    }

    /// Refreshes the Promotions in `scope` waiting on the pull request at
    /// `url`, waiting for the patches until `deadline`.
    pub async fn refresh_waiting_on(
        &self,
        url: &str,
        scope: &WarehouseScope,
        deadline: Instant,
    ) -> PromotionsRefreshed {
        let (waiting, stale) = {
            let index = self.index.read().unwrap_or_else(|p| p.into_inner());
            (index.waiting_on(url, scope), index.is_stale())
        };
        let patches = waiting.iter().map(|promotion| async move {
            let token = self.tokens.next();
            (promotion, self.patcher.patch(promotion, &token).await)
        });
        let Ok(results) = tokio::time::timeout_at(deadline, join_all(patches)).await else {
            return PromotionsRefreshed::Deadline;
        };
        let mut refreshed = Vec::new();
        for (promotion, result) in results {
            match result {
                Ok(()) => refreshed.push(promotion.clone()),
                Err(PatchError::NotFound) => {}
                Err(PatchError::Api(_) | PatchError::Stopped) => {
                    return PromotionsRefreshed::KubernetesApi;
                }
            }
        }
        if stale {
            // Those it knows were refreshed; others may be missing.
            return PromotionsRefreshed::Relisting;
        }
        PromotionsRefreshed::Done(refreshed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PR_7: &str = "https://github.com/example/app/pull/7";
    const PR_8: &str = "https://github.com/example/app/pull/8";

    #[test]
    fn promotions_are_found_by_the_pull_request_they_wait_on() {
        let mut index = PromotionIndex::default();
        let demo = PromotionId::new("demo", "prod.1");
        let other = PromotionId::new("other", "prod.1");
        index.apply(demo.clone(), vec![PR_7.into(), PR_8.into()]);
        index.apply(other.clone(), vec![PR_7.into()]);
        let all = WarehouseScope::AllNamespaces;
        let project = WarehouseScope::Namespace("demo".into());
        assert_eq!(index.waiting_on(PR_7, &all), [demo.clone(), other.clone()]);
        assert_eq!(
            index.waiting_on(PR_7, &project),
            std::slice::from_ref(&demo)
        );
        assert_eq!(index.waiting_on(PR_8, &all), std::slice::from_ref(&demo));
        assert!(
            index
                .waiting_on("https://github.com/example/app/pull/9", &all)
                .is_empty()
        );
        // A Promotion that moved on waits on nothing.
        index.apply(demo.clone(), Vec::new());
        assert_eq!(index.waiting_on(PR_7, &all), std::slice::from_ref(&other));
        assert!(index.waiting_on(PR_8, &all).is_empty());
        index.delete(&other);
        assert!(index.waiting_on(PR_7, &all).is_empty());
        assert_eq!(index.promotions(), 0);
    }
}
