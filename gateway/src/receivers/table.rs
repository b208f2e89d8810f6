//! The receiver table: every live receiver by token, and every owner's
//! resolution results for status publishing. Built whole and swapped
//! atomically, so a request always sees one consistent version.

use std::collections::HashMap;
use std::sync::Arc;

use super::resolve::{Owner, Receiver, ReceiverResult};

/// One ProjectConfig or ClusterConfig and what became of its receivers.
#[derive(Debug, Clone)]
pub struct OwnerReceivers {
    /// The object.
    pub owner: Owner,
    /// Its `metadata.generation`, echoed as `observedGeneration`.
    pub generation: Option<i64>,
    /// One result per `spec.webhookReceivers[]` entry, in spec order.
    pub results: Vec<ReceiverResult>,
}

/// Every receiver known to the gateway.
#[derive(Debug, Default)]
pub struct ReceiverTable {
    by_token: HashMap<String, Arc<Receiver>>,
    owners: Vec<OwnerReceivers>,
}

impl ReceiverTable {
    /// Indexes the live receivers of `owners` by token. A receiver whose
    /// token is unchanged since `previous` is carried over as it was, so
    /// that its rate-limit state survives unrelated changes.
    pub fn build(mut owners: Vec<OwnerReceivers>, previous: Option<&ReceiverTable>) -> Self {
        owners.sort_by(|a, b| a.owner.cmp(&b.owner));
        if let Some(previous) = previous {
            for result in owners.iter_mut().flat_map(|o| o.results.iter_mut()) {
                if let Ok(receiver) = &mut result.state
                    && let Some(old) = previous.by_token.get(receiver.token.as_str())
                    && old.owner == receiver.owner
                    && old.name == receiver.name
                {
                    *receiver = Arc::clone(old);
                }
            }
        }
        let by_token = owners
            .iter()
            .flat_map(|o| o.results.iter())
            .filter_map(|r| r.state.as_ref().ok())
            .map(|receiver| (receiver.token.as_str().to_owned(), Arc::clone(receiver)))
            .collect();
        Self { by_token, owners }
    }

    /// The receiver at `/{provider}/{token}`. A token that exists under
    /// another provider is not found either: callers answer both alike.
    pub fn lookup(&self, provider: &str, token: &str) -> Option<&Arc<Receiver>> {
        self.by_token
            .get(token)
            .filter(|receiver| receiver.provider.name() == provider)
    }

    /// Every owner with its results, sorted by owner.
    pub fn owners(&self) -> &[OwnerReceivers] {
        &self.owners
    }

    /// Receivers that are live, and receivers that have a problem.
    pub fn counts(&self) -> (usize, usize) {
        let all = self.owners.iter().map(|o| o.results.len()).sum::<usize>();
        (self.by_token.len(), all - self.by_token.len())
    }
}

/// How receiver paths and URLs are spelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlLayout {
    /// The external URL without a trailing slash, e.g. `https://hooks.example.org`.
    external_url: String,
    /// The base path, empty or starting with `/` and without a trailing slash.
    base_path: String,
}

impl UrlLayout {
    /// Normalizes the configured external URL and base path.
    pub fn new(external_url: &str, base_path: &str) -> Self {
        let trimmed = base_path.trim().trim_matches('/');
        Self {
            external_url: external_url.trim().trim_end_matches('/').to_owned(),
            base_path: if trimmed.is_empty() {
                String::new()
            } else {
                format!("/{trimmed}")
            },
        }
    }

    /// The base path every receiver path starts with ("" or "/x").
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// `{base}/{provider}/{token}`.
    pub fn path(&self, receiver: &Receiver) -> String {
        format!(
            "{}/{}/{}",
            self.base_path,
            receiver.provider.name(),
            receiver.token.as_str()
        )
    }

    /// The external URL of the receiver.
    pub fn url(&self, receiver: &Receiver) -> String {
        format!("{}{}", self.external_url, self.path(receiver))
    }
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

    #[test]
    fn lookup_needs_token_and_matching_provider() {
        let table = table();
        let one = table.owners()[0].results[0].state.as_ref().expect("live");
        let token = one.token.as_str();
        assert_eq!(
            table.lookup("harbor", token).map(|r| r.name.as_str()),
            Some("one")
        );
        assert!(table.lookup("quay", token).is_none());
        assert!(table.lookup("harbor", &token.to_uppercase()).is_none());
        assert!(table.lookup("harbor", "0000").is_none());
        assert_eq!(table.counts(), (2, 1));
    }

    #[test]
    fn unchanged_receivers_are_carried_over_on_rebuild() {
        let first = table();
        let second = ReceiverTable::build(first.owners().to_vec(), Some(&first));
        let a = first.owners()[0].results[0].state.as_ref().expect("live");
        let b = second.owners()[0].results[0].state.as_ref().expect("live");
        assert!(Arc::ptr_eq(a, b));
        let fresh = table();
        let c = fresh.owners()[0].results[0].state.as_ref().expect("live");
        assert!(!Arc::ptr_eq(a, c));
    }

    #[test]
    fn urls_join_external_url_base_path_provider_and_token() {
        let table = table();
        let receiver = table.owners()[0].results[0].state.as_ref().expect("live");
        let token = receiver.token.as_str();
        let layout = UrlLayout::new("https://hooks.example.org/", "/webhooks/");
        assert_eq!(layout.path(receiver), format!("/webhooks/harbor/{token}"));
        assert_eq!(
            layout.url(receiver),
            format!("https://hooks.example.org/webhooks/harbor/{token}")
        );
        let bare = UrlLayout::new("http://localhost:8080", "");
        assert_eq!(
            bare.url(receiver),
            format!("http://localhost:8080/harbor/{token}")
        );
        assert_eq!(UrlLayout::new("x", "/").base_path(), "");
    }
}
