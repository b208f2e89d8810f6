//! The provider as the gateway finds it: registered, named, with its keys.

use kargo_webhook_harbor::Harbor;
use kargo_webhook_provider::{Provider, Registry, SecretKeySpec, SecretUsage};

#[test]
fn harbor_is_registered_under_its_name() {
    let registry = Registry::from_inventory().expect("no duplicate names");
    let provider = registry.get("harbor").expect("harbor is registered");
    assert_eq!(provider.name(), "harbor");
    assert_eq!(registry.names().collect::<Vec<_>>(), ["harbor"]);
}

#[test]
fn harbor_needs_the_auth_header_as_a_header_match() {
    assert_eq!(
        Harbor.secret_keys(),
        [SecretKeySpec {
            key: "auth-header",
            usage: SecretUsage::HeaderMatch
        }]
    );
    assert_eq!(Harbor.body_limit(), None);
}
