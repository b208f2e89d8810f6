//! The provider as the gateway finds it: registered, named, with its keys.

use kargo_webhook_artifactory::Artifactory;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn artifactory_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry
        .get("artifactory")
        .expect("artifactory is registered");
    assert_eq!(provider.name(), "artifactory");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["artifactory"]);
}

#[test]
fn artifactory_needs_the_secret_token_as_a_signing_key() {
    assert_eq!(
        Artifactory.secret_keys(),
        [SecretKeySpec {
            key: "secret-token",
            usage: SecretUsage::SigningKey
        }]
    );
    assert_eq!(Artifactory.body_limit(), None);
    assert!(Artifactory.authentication().contains("X-JFrog-Event-Auth"));
}
