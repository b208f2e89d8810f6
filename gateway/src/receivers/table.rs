//! The receiver table: every live receiver by path, and every owner's
//! resolution results for status publishing and reporting. Built whole and
//! swapped atomically, so a request always sees one consistent version.

use std::collections::HashMap;
use std::sync::Arc;

use super::resolve::{Receiver, ReceiverResult};
use super::url::ReceiverPath;
use crate::kargo::Owner;

/// One ProjectConfig or ClusterConfig and what became of its receivers.
#[derive(Debug, Clone)]
pub struct OwnerReceivers {
    /// The object.
    pub owner: Owner,
    /// Its `metadata.generation`, echoed as `observedGeneration`.
    pub generation: Option<i64>,
    /// One result per `spec.webhookReceivers[]` entry, in spec order.
    pub results: Vec<ReceiverResult>,
    /// `status.webhookReceivers[]` as the object says now (whoever wrote
    /// it): receiver name and path.
    pub published: Vec<(String, ReceiverPath)>,
}

/// Every receiver known to the gateway.
#[derive(Debug, Default)]
pub struct ReceiverTable {
    by_path: HashMap<ReceiverPath, Arc<Receiver>>,
    live: usize,
    owners: Vec<OwnerReceivers>,
}

impl ReceiverTable {
    /// Indexes the live receivers of `owners` by path: the path computed
    /// from the current Secret, and also the path the object's status still
    /// lists for that receiver when it differs (Kargo's controller has not
    /// caught up with a rotation yet, or publishes under another base path),
    /// so that the URL a user reads from status always works. A receiver
    /// whose path is unchanged since `previous` is carried over as it was,
    /// so that its rate-limit state survives unrelated changes.
    pub fn build(mut owners: Vec<OwnerReceivers>, previous: Option<&ReceiverTable>) -> Self {
        owners.sort_by(|a, b| a.owner.cmp(&b.owner));
        if let Some(previous) = previous {
            for result in owners.iter_mut().flat_map(|o| o.results.iter_mut()) {
                if let Ok(receiver) = &mut result.state
                    && let Some(old) = previous.by_path.get(&receiver.path)
                    && old.owner == receiver.owner
                    && old.name == receiver.name
                    && old.path == receiver.path
                {
                    *receiver = Arc::clone(old);
                }
            }
        }
        let mut by_path = HashMap::new();
        let mut live = 0;
        for owner in &owners {
            for receiver in owner.results.iter().filter_map(|r| r.state.as_ref().ok()) {
                live += 1;
                by_path.insert(receiver.path.clone(), Arc::clone(receiver));
            }
        }
        // Aliases second: a computed path always wins over a stale one.
        for owner in &owners {
            for (name, path) in &owner.published {
                let live = owner
                    .results
                    .iter()
                    .find(|r| &r.name == name)
                    .and_then(|r| r.state.as_ref().ok());
                if let Some(receiver) = live
                    && names_provider(path, receiver.provider.name())
                {
                    by_path
                        .entry(path.clone())
                        .or_insert_with(|| Arc::clone(receiver));
                }
            }
        }
        Self {
            by_path,
            live,
            owners,
        }
    }

    /// The receiver at `path`, exactly as published: no decoding, no
    /// other spelling.
    pub fn lookup(&self, path: &str) -> Option<&Arc<Receiver>> {
        self.by_path.get(path)
    }

    /// Every owner with its results, sorted by owner.
    pub fn owners(&self) -> &[OwnerReceivers] {
        &self.owners
    }

    /// Receivers that are live, and receivers that have a problem.
    pub fn counts(&self) -> (usize, usize) {
        let all = self.owners.iter().map(|o| o.results.len()).sum::<usize>();
        (self.live, all - self.live)
    }
}

/// True when `path` ends in `/{provider}/{hash}`: a path published for a
/// receiver of another type (before its spec changed) must not reach this
/// one.
fn names_provider(path: &ReceiverPath, provider: &str) -> bool {
    let mut segments = path.as_str().rsplit('/');
    let hash = segments.next().unwrap_or_default();
    segments.next() == Some(provider)
        && hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::team_a_receivers;

    fn table() -> ReceiverTable {
        let owner = team_a_receivers(serde_json::json!([
            {"name": "one", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "two", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "bad", "harbor": {"secretRef": {"name": "missing"}}},
        ]));
        ReceiverTable::build(vec![owner], None)
    }

    fn live(table: &ReceiverTable, index: usize) -> &Arc<Receiver> {
        table.owners()[0].results[index]
            .state
            .as_ref()
            .expect("live")
    }

    #[test]
    fn lookup_needs_the_exact_path() {
        let table = table();
        let path = live(&table, 0).path.as_str().to_owned();
        assert_eq!(table.lookup(&path).map(|r| r.name.as_str()), Some("one"));
        assert!(table.lookup(&path.replace("/harbor/", "/quay/")).is_none());
        assert!(table.lookup(&path.to_uppercase()).is_none());
        assert!(table.lookup(&format!("{path}/")).is_none());
        assert!(table.lookup("/harbor/0000").is_none());
        assert_eq!(table.counts(), (2, 1));
    }

    #[test]
    fn a_path_status_still_lists_reaches_the_same_receiver_until_status_moves_on() {
        let mut owner = team_a_receivers(serde_json::json!([
            {"name": "one", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "bad", "harbor": {"secretRef": {"name": "missing"}}},
        ]));
        let stale = ReceiverPath::published(&format!("/webhooks/harbor/{}", "a".repeat(64)));
        owner.published = vec![
            ("one".to_owned(), stale.clone()),
            (
                "bad".to_owned(),
                ReceiverPath::published("/harbor/of-a-broken-one"),
            ),
            (
                "gone".to_owned(),
                ReceiverPath::published("/harbor/of-a-deleted-one"),
            ),
        ];
        let with_alias = ReceiverTable::build(vec![owner.clone()], None);
        let current = live(&with_alias, 0);
        let aliased = with_alias.lookup(stale.as_str()).expect("alias");
        assert!(Arc::ptr_eq(current, aliased));
        assert!(with_alias.lookup(current.path.as_str()).is_some());
        assert!(with_alias.lookup("/harbor/of-a-broken-one").is_none());
        assert!(with_alias.lookup("/harbor/of-a-deleted-one").is_none());
        assert_eq!(with_alias.counts(), (1, 1), "an alias is not a receiver");

        owner.published = vec![("one".to_owned(), current.path.clone())];
        let moved_on = ReceiverTable::build(vec![owner], Some(&with_alias));
        assert!(moved_on.lookup(stale.as_str()).is_none());
        assert!(moved_on.lookup(current.path.as_str()).is_some());
    }

    #[test]
    fn an_alias_of_another_provider_or_shape_routes_nowhere() {
        let mut owner = team_a_receivers(serde_json::json!([
            {"name": "one", "harbor": {"secretRef": {"name": "s"}}},
        ]));
        let hash = "b".repeat(64);
        owner.published = vec![
            (
                "one".to_owned(),
                ReceiverPath::published(&format!("/github/{hash}")),
            ),
            ("one".to_owned(), ReceiverPath::published("/harbor/short")),
            (
                "one".to_owned(),
                ReceiverPath::published(&format!("/harbor/{}", hash.to_uppercase())),
            ),
        ];
        let table = ReceiverTable::build(vec![owner], None);
        assert!(table.lookup(&format!("/github/{hash}")).is_none());
        assert!(table.lookup("/harbor/short").is_none());
        assert!(
            table
                .lookup(&format!("/harbor/{}", hash.to_uppercase()))
                .is_none()
        );
    }

    #[test]
    fn a_stale_alias_never_shadows_a_computed_path() {
        let mut owner = team_a_receivers(serde_json::json!([
            {"name": "one", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "two", "harbor": {"secretRef": {"name": "s"}}},
        ]));
        let first = ReceiverTable::build(vec![owner.clone()], None);
        let one_path = live(&first, 0).path.clone();
        // Status claims receiver "two" lives at "one"'s path.
        owner.published = vec![("two".to_owned(), one_path.clone())];
        let table = ReceiverTable::build(vec![owner], None);
        assert_eq!(
            table.lookup(one_path.as_str()).map(|r| r.name.as_str()),
            Some("one")
        );
    }

    #[test]
    fn unchanged_receivers_are_carried_over_on_rebuild() {
        let first = table();
        let second = ReceiverTable::build(first.owners().to_vec(), Some(&first));
        assert!(Arc::ptr_eq(live(&first, 0), live(&second, 0)));
        let fresh = table();
        assert!(!Arc::ptr_eq(live(&first, 0), live(&fresh, 0)));
    }
}
