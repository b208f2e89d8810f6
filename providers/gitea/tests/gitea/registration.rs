//! The provider as the gateway finds it: registered, named, with its keys.

use kargo_webhook_gitea::Gitea;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn gitea_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("gitea").expect("gitea is registered");
    assert_eq!(provider.name(), "gitea");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["gitea"]);
}

#[test]
fn gitea_needs_the_secret_as_a_signing_key() {
    assert_eq!(
        Gitea.secret_keys(),
        [SecretKeySpec {
            key: "secret",
            usage: SecretUsage::SigningKey
        }]
    );
    assert_eq!(Gitea.body_limit(), None);
    assert!(Gitea.options().is_empty());
    assert!(Gitea.authentication().contains("X-Gitea-Signature"));
}
