//! The provider as the gateway finds it: registered, named, with its key.

use kargo_webhook_bitbucket::Bitbucket;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn bitbucket_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("bitbucket").expect("bitbucket is registered");
    assert_eq!(provider.name(), "bitbucket");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["bitbucket"]);
}

#[test]
fn bitbucket_needs_the_secret_as_a_signing_key() {
    assert_eq!(
        Bitbucket.secret_keys(),
        [SecretKeySpec {
            key: "secret",
            usage: SecretUsage::SigningKey
        }]
    );
    assert!(Bitbucket.options().is_empty());
    assert_eq!(Bitbucket.body_limit(), None);
    assert!(Bitbucket.authentication().contains("X-Hub-Signature"));
}
