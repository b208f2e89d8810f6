//! The provider as the gateway finds it: registered, named, with its keys.

use kargo_webhook_github::GitHub;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn github_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("github").expect("github is registered");
    assert_eq!(provider.name(), "github");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["github"]);
}

#[test]
fn github_needs_the_secret_as_a_signing_key() {
    assert_eq!(
        GitHub.secret_keys(),
        [SecretKeySpec {
            key: "secret",
            usage: SecretUsage::SigningKey
        }]
    );
    assert_eq!(GitHub.body_limit(), None);
    assert!(GitHub.options().is_empty());
    assert!(GitHub.authentication().contains("X-Hub-Signature-256"));
}
