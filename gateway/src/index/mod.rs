//! The Warehouse index: for each normalized repository, the Warehouses that
//! subscribe to it and the selection rule of each subscription. Fed from a
//! watch (apply, delete, and whole re-lists), read on every delivery.

use std::collections::HashMap;
use std::sync::Arc;

use kargo_webhook_provider::{PushedRepository, RepoKey};
use serde_json::Value;

use crate::kargo::{WarehouseId, WarehouseScope};
use crate::selection::{RuleCache, RuleError, SelectionRule};

pub mod sync;

/// One subscription as the index keeps it.
#[derive(Debug, Clone)]
struct Entry {
    warehouse: WarehouseId,
    rule: SelectionRule,
}

/// A subscription the index could not use as written.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionWarning {
    /// The repository URL cannot be normalized; the subscription is skipped.
    #[error("subscription {index}: unusable repoURL: {source}")]
    BadRepository {
        /// Position in `spec.subscriptions`.
        index: usize,
        /// Why.
        source: kargo_webhook_provider::ReferenceError,
    },
    /// The selection rule cannot be built; every tag is accepted instead.
    #[error("subscription {index}: {source}; every pushed tag refreshes it")]
    BadRule {
        /// Position in `spec.subscriptions`.
        index: usize,
        /// Why.
        source: RuleError,
    },
}

/// The subscriptions of one Warehouse, extracted from its spec.
#[derive(Debug, Default)]
pub struct Subscriptions {
    entries: Vec<(RepoKey, SelectionRule)>,
    /// What could not be used as written.
    pub warnings: Vec<SubscriptionWarning>,
}

impl Subscriptions {
    /// Reads `spec.subscriptions[]`: image, chart and Git subscriptions,
    /// each with its selection rule.
    pub fn from_spec(subscriptions: &[Value]) -> Self {
        Self::from_spec_cached(subscriptions, &mut RuleCache::default())
    }

    /// Like [`from_spec`](Self::from_spec), sharing rules through `rules`
    /// with every other Warehouse read through it.
    pub fn from_spec_cached(subscriptions: &[Value], rules: &mut RuleCache) -> Self {
        let mut out = Self::default();
        for (index, subscription) in subscriptions.iter().enumerate() {
            let parsed = if let Some(image) = subscription.get("image") {
                let repo = str_field(image, "repoURL").map(RepoKey::image);
                repo.map(|r| (r, rules.image(image)))
            } else if let Some(chart) = subscription.get("chart") {
                let name = str_field(chart, "name");
                let repo = str_field(chart, "repoURL").map(|url| RepoKey::chart(url, name));
                repo.map(|r| (r, rules.chart(chart)))
            } else if let Some(git) = subscription.get("git") {
                let repo = str_field(git, "repoURL").map(RepoKey::git);
                repo.map(|r| (r, rules.git(git)))
            } else {
                None
            };
            match parsed {
                Some((Ok(key), (rule, problem))) => {
                    if let Some(source) = problem {
                        out.warnings
                            .push(SubscriptionWarning::BadRule { index, source });
                    }
                    out.entries.push((key, rule));
                }
                Some((Err(source), _)) => {
                    out.warnings
                        .push(SubscriptionWarning::BadRepository { index, source });
                }
                // No repoURL or no known kind: nothing a webhook could match.
                None => {}
            }
        }
        out
    }

    /// How many subscriptions will be indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when none will be indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn str_field<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field)?.as_str()
}

/// The index itself. Not synchronized: the owner wraps it (see [`SharedIndex`]).
///
/// Each distinct repository key is held once and shared by both maps: a
/// fleet has many more subscriptions than repositories (10,000 Warehouses
/// with three subscriptions each name 6,000 repositories in the
/// benchmark), and a key per subscription was a third of the index.
#[derive(Debug, Default)]
pub struct WarehouseIndex {
    by_repository: HashMap<Arc<RepoKey>, Vec<Entry>>,
    by_warehouse: HashMap<WarehouseId, Box<[Arc<RepoKey>]>>,
    /// Set while the watch feeding the index has not (re-)listed: the index
    /// may miss Warehouses created or changed meanwhile.
    stale: bool,
}

impl WarehouseIndex {
    /// Marks the index as possibly behind the cluster, until it is replaced
    /// by a fresh list.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// True while the index may miss changes (before the first list, and
    /// from a watch failure until the next list).
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Adds or replaces a Warehouse's subscriptions.
    pub fn apply(&mut self, warehouse: WarehouseId, subscriptions: Subscriptions) {
        self.delete(&warehouse);
        if subscriptions.entries.is_empty() {
            return;
        }
        let mut keys = Vec::with_capacity(subscriptions.entries.len());
        for (key, rule) in subscriptions.entries {
            let key = match self.by_repository.get_key_value(&key) {
                Some((shared, _)) => Arc::clone(shared),
                None => Arc::new(key),
            };
            self.by_repository
                .entry(Arc::clone(&key))
                .or_default()
                .push(Entry {
                    warehouse: warehouse.clone(),
                    rule,
                });
            keys.push(key);
        }
        self.by_warehouse.insert(warehouse, keys.into_boxed_slice());
    }

    /// Gives back the room the lists grew into while the index was built
    /// (a list doubles when it grows: up to half of it unused).
    pub fn shrink_to_fit(&mut self) {
        for entries in self.by_repository.values_mut() {
            entries.shrink_to_fit();
        }
        self.by_repository.shrink_to_fit();
        self.by_warehouse.shrink_to_fit();
    }

    /// Removes a Warehouse.
    pub fn delete(&mut self, warehouse: &WarehouseId) {
        let Some(keys) = self.by_warehouse.remove(warehouse) else {
            return;
        };
        for key in keys.iter() {
            if let Some(entries) = self.by_repository.get_mut(key.as_ref()) {
                entries.retain(|entry| &entry.warehouse != warehouse);
                if entries.is_empty() {
                    self.by_repository.remove(key.as_ref());
                }
            }
        }
    }

    /// The Warehouses in `scope` that subscribe to the pushed repository
    /// with a rule that admits the push, each once, sorted.
    pub fn matching(&self, push: &PushedRepository, scope: &WarehouseScope) -> Vec<WarehouseId> {
        let mut found: Vec<WarehouseId> = self
            .candidates(&push.repository, scope)
            .filter(|(_, rule)| rule.admits(push))
            .map(|(warehouse, _)| warehouse.clone())
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Every subscription in `scope` to `repository`: the Warehouse and the
    /// subscription's rule, in no particular order (a Warehouse with two
    /// subscriptions to the repository comes twice).
    pub fn candidates<'a>(
        &'a self,
        repository: &RepoKey,
        scope: &'a WarehouseScope,
    ) -> impl Iterator<Item = (&'a WarehouseId, &'a SelectionRule)> + 'a {
        self.by_repository
            .get(repository)
            .into_iter()
            .flatten()
            .filter(|entry| scope.contains(entry.warehouse.namespace()))
            .map(|entry| (&entry.warehouse, &entry.rule))
    }

    /// Every repository some Warehouse in `scope` subscribes to.
    pub fn repositories(&self) -> impl Iterator<Item = &RepoKey> {
        self.by_repository.keys().map(|key| &**key)
    }

    /// True when some Warehouse in `scope` subscribes to `repository`,
    /// whatever its rules.
    pub fn has_subscribers(&self, repository: &RepoKey, scope: &WarehouseScope) -> bool {
        self.by_repository.get(repository).is_some_and(|entries| {
            entries
                .iter()
                .any(|entry| scope.contains(entry.warehouse.namespace()))
        })
    }

    /// How many Warehouses have at least one indexed subscription.
    pub fn warehouses(&self) -> usize {
        self.by_warehouse.len()
    }

    /// True when `warehouse` has at least one indexed subscription.
    pub fn contains(&self, warehouse: &WarehouseId) -> bool {
        self.by_warehouse.contains_key(warehouse)
    }
}

/// The index as the gateway shares it: many readers, one writer (the watch).
pub type SharedIndex = Arc<std::sync::RwLock<WarehouseIndex>>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subscriptions(value: Value) -> Subscriptions {
        Subscriptions::from_spec(value.as_array().expect("array"))
    }

    fn key(image: &str) -> RepoKey {
        RepoKey::image(image).expect("valid")
    }

    fn push(repository: &RepoKey, tags: &[&str]) -> PushedRepository {
        let mut push = PushedRepository::new(repository.clone());
        tags.iter().for_each(|tag| push.add_tag(tag));
        push
    }

    fn index() -> WarehouseIndex {
        let mut index = WarehouseIndex::default();
        index.apply(
            WarehouseId::new("team-a", "semver"),
            subscriptions(json!([
                {"image": {"repoURL": "harbor.example.org/team-a/app", "constraint": "^1.0.0"}},
                {"git": {"repoURL": "https://github.com/example/app.git"}},
            ])),
        );
        index.apply(
            WarehouseId::new("team-a", "chart"),
            subscriptions(json!([
                {"chart": {"repoURL": "oci://harbor.example.org/team-a/app"}},
            ])),
        );
        index.apply(
            WarehouseId::new("team-b", "other-ns"),
            subscriptions(json!([
                {"image": {"repoURL": "harbor.example.org/team-a/app"}},
            ])),
        );
        index
    }

    #[test]
    fn matching_respects_repository_scope_and_rules() {
        let index = index();
        let repo = key("harbor.example.org/team-a/app:1.2.3");
        let team_a = WarehouseScope::Namespace("team-a".into());
        assert_eq!(
            index.matching(&push(&repo, &["1.2.3"]), &team_a),
            [
                WarehouseId::new("team-a", "chart"),
                WarehouseId::new("team-a", "semver")
            ]
        );
        assert_eq!(
            index.matching(&push(&repo, &["2.0.0"]), &team_a),
            [WarehouseId::new("team-a", "chart")]
        );
        assert_eq!(
            index
                .matching(&push(&repo, &["1.0.0"]), &WarehouseScope::AllNamespaces)
                .len(),
            3
        );
        assert!(
            index
                .matching(
                    &push(&key("harbor.example.org/team-a/other"), &["1.0.0"]),
                    &team_a
                )
                .is_empty()
        );
        assert!(index.has_subscribers(&repo, &team_a));
        assert!(!index.has_subscribers(&repo, &WarehouseScope::Namespace("team-c".into())));
        let git = RepoKey::git("git@github.com:example/app").expect("valid");
        assert_eq!(
            index.matching(&push(&git, &[]), &team_a),
            [WarehouseId::new("team-a", "semver")]
        );
    }

    #[test]
    fn apply_replaces_and_delete_removes() {
        let mut index = index();
        let repo = key("harbor.example.org/team-a/app");
        let team_a = WarehouseScope::Namespace("team-a".into());
        index.apply(
            WarehouseId::new("team-a", "semver"),
            subscriptions(json!([{"image": {"repoURL": "harbor.example.org/team-a/elsewhere"}}])),
        );
        assert_eq!(
            index.matching(&push(&repo, &["1.0.0"]), &team_a),
            [WarehouseId::new("team-a", "chart")]
        );
        index.delete(&WarehouseId::new("team-a", "chart"));
        assert!(index.matching(&push(&repo, &["1.0.0"]), &team_a).is_empty());
        assert!(!index.has_subscribers(&repo, &team_a));
        assert_eq!(index.warehouses(), 2);
        index.apply(
            WarehouseId::new("team-a", "semver"),
            Subscriptions::default(),
        );
        assert_eq!(index.warehouses(), 1);
    }

    #[test]
    fn one_warehouse_with_two_matching_subscriptions_is_listed_once() {
        let mut index = WarehouseIndex::default();
        index.apply(
            WarehouseId::new("ns", "both"),
            subscriptions(json!([
                {"image": {"repoURL": "registry.example.org/app"}},
                {"chart": {"repoURL": "oci://registry.example.org/app"}},
            ])),
        );
        let found = index.matching(
            &push(&key("registry.example.org/app"), &["1.0.0"]),
            &WarehouseScope::AllNamespaces,
        );
        assert_eq!(found, [WarehouseId::new("ns", "both")]);
    }

    #[test]
    fn unusable_subscriptions_are_reported() {
        let subs = subscriptions(json!([
            {"image": {"repoURL": "bad.example.org/team//app"}},
            {"image": {"repoURL": "ok.example.org/app", "allowTagsRegexes": ["("]}},
            {"image": {}},
            {"unknownKind": {"repoURL": "x"}},
        ]));
        assert_eq!(subs.len(), 1);
        assert_eq!(subs.warnings.len(), 2);
        assert!(matches!(
            subs.warnings[0],
            SubscriptionWarning::BadRepository { index: 0, .. }
        ));
        assert!(matches!(
            subs.warnings[1],
            SubscriptionWarning::BadRule { index: 1, .. }
        ));
    }
}
