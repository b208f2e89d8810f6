//! The provider crates linked into this gateway.
//!
//! Each provider registers itself through `inventory`, but the linker only
//! keeps a crate that the binary names somewhere: a provider listed in
//! `Cargo.toml` and never named here would be dropped silently and its
//! receivers reported as "provider not served". Adding a provider is one
//! dependency line in `gateway/Cargo.toml` and one line below.

use kargo_webhook_artifactory as _;
use kargo_webhook_azure as _;
use kargo_webhook_bitbucket as _;
use kargo_webhook_dockerhub as _;
use kargo_webhook_gitea as _;
use kargo_webhook_github as _;
use kargo_webhook_gitlab as _;
use kargo_webhook_harbor as _;
use kargo_webhook_quay as _;

use kargo_webhook_provider::{DuplicateProvider, Registry};

/// Every provider linked into this binary, by name.
pub fn registry() -> Result<Registry, DuplicateProvider> {
    Registry::from_inventory()
}

#[cfg(test)]
mod tests {
    /// Provider crates named in this crate's `[dependencies]`: every
    /// `kargo-webhook-<name>` except the SDK itself.
    fn provider_dependencies() -> Vec<String> {
        let manifest: toml::Table = include_str!("../Cargo.toml")
            .parse()
            .expect("Cargo.toml is TOML");
        let dependencies = manifest
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .expect("Cargo.toml has a [dependencies] table");
        let mut names: Vec<String> = dependencies
            .keys()
            .filter_map(|name| name.strip_prefix("kargo-webhook-"))
            .filter(|name| *name != "provider")
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    /// Guards against the linker pitfall above: every provider crate this
    /// gateway depends on must be registered, so a dependency added without
    /// its `use` line fails here instead of in production.
    #[test]
    fn every_provider_dependency_is_registered() {
        let registry = super::registry().expect("unique provider names");
        let registered: Vec<String> = registry.names().map(str::to_owned).collect();
        let expected = provider_dependencies();
        assert!(
            !expected.is_empty(),
            "no provider dependency found in Cargo.toml"
        );
        assert_eq!(registered, expected);
    }
}
