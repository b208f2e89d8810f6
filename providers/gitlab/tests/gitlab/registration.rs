//! The provider as the gateway finds it: registered, named, with its key.

use kargo_webhook_gitlab::GitLab;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn gitlab_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("gitlab").expect("gitlab is registered");
    assert_eq!(provider.name(), "gitlab");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["gitlab"]);
}

#[test]
fn gitlab_needs_the_secret_token_as_a_header_match() {
    assert_eq!(
        GitLab.secret_keys(),
        [SecretKeySpec {
            key: "secret-token",
            usage: SecretUsage::HeaderMatch
        }]
    );
    assert!(GitLab.options().is_empty());
    assert_eq!(GitLab.body_limit(), None);
    assert!(GitLab.authentication().contains("X-Gitlab-Token"));
}
