//! The provider as the gateway finds it: registered, named, with its keys.

use kargo_webhook_dockerhub::DockerHub;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn dockerhub_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("dockerhub").expect("dockerhub is registered");
    assert_eq!(provider.name(), "dockerhub");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["dockerhub"]);
}

/// Kargo's key name, so that an existing Secret keeps working; its value
/// only ever goes into the receiver's URL.
#[test]
fn dockerhub_needs_the_secret_for_the_url_only() {
    assert_eq!(
        DockerHub.secret_keys(),
        [SecretKeySpec {
            key: "secret",
            usage: SecretUsage::UrlOnly
        }]
    );
    assert!(DockerHub.options().is_empty());
    assert_eq!(DockerHub.body_limit(), None);
    assert!(DockerHub.authentication().contains("receiver URL"));
}
