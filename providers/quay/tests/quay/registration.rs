//! The provider as the gateway finds it: registered, named, with its keys.

use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};
use kargo_webhook_quay::Quay;

#[test]
fn quay_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("quay").expect("quay is registered");
    assert_eq!(provider.name(), "quay");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["quay"]);
}

/// Kargo's key name, so that an existing Secret keeps working; its value
/// only ever goes into the receiver's URL.
#[test]
fn quay_needs_the_secret_for_the_url_only() {
    assert_eq!(
        Quay.secret_keys(),
        [SecretKeySpec {
            key: "secret",
            usage: SecretUsage::UrlOnly
        }]
    );
    assert!(Quay.options().is_empty());
    assert_eq!(Quay.body_limit(), None);
    assert!(Quay.authentication().contains("receiver URL"));
}
