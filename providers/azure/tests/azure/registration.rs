//! The provider as the gateway finds it: registered, named, with its keys.

use kargo_webhook_azure::Azure;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn azure_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("azure").expect("azure is registered");
    assert_eq!(provider.name(), "azure");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["azure"]);
}

#[test]
fn azure_needs_the_secret_for_its_url_only() {
    assert_eq!(
        Azure.secret_keys(),
        [SecretKeySpec {
            key: "secret",
            usage: SecretUsage::UrlOnly
        }]
    );
    assert!(Azure.options().is_empty());
    assert_eq!(Azure.body_limit(), None);
    assert!(!Azure.authentication().is_empty());
}
