//! Helpers shared by the gateway's unit tests.

use std::collections::HashMap;
use std::sync::Arc;

use kargo_webhook_provider::{Registry, SecretValue};

use crate::kargo::WebhookReceiverConfig;
use crate::receivers::resolve::SecretData;

/// The providers linked into the gateway, as production uses them.
pub fn test_registry() -> Registry {
    crate::providers_linked::registry().expect("linked providers have unique names")
}

/// Receiver entries from their JSON form.
pub fn entries(spec: serde_json::Value) -> Vec<WebhookReceiverConfig> {
    serde_json::from_value(spec).expect("valid receiver entries")
}

/// A test Secret: namespace, name, and its (key, value) pairs.
pub type TestSecret<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// A Secret store keyed by (namespace, name).
pub fn secrets(items: &[TestSecret<'_>]) -> HashMap<(String, String), Arc<SecretData>> {
    items
        .iter()
        .map(|(ns, name, data)| {
            let data = data
                .iter()
                .map(|(k, v)| ((*k).to_owned(), SecretValue::new(v.as_bytes().to_vec())))
                .collect();
            (((*ns).to_owned(), (*name).to_owned()), Arc::new(data))
        })
        .collect()
}

/// The receivers `spec` declares in project `team-a`, resolved against one
/// Secret `team-a/s` whose `auth-header` is `Bearer a`.
pub fn team_a_receivers(spec: serde_json::Value) -> crate::receivers::table::OwnerReceivers {
    use crate::kargo::Owner;
    use crate::ratelimit::RateLimit;
    use crate::receivers::UrlLayout;
    use crate::receivers::resolve::{ResolveContext, SecretLookup, resolve};

    let registry = test_registry();
    let store = secrets(&[("team-a", "s", &[("auth-header", "Bearer a")])]);
    let owner = Owner::Project {
        namespace: "team-a".into(),
        name: "team-a".into(),
    };
    let results = resolve(
        &owner,
        &entries(spec),
        ResolveContext {
            registry: &registry,
            cluster_secrets_namespace: "kargo-system-resources",
            rate_limit: RateLimit::UNLIMITED,
            layout: &UrlLayout::new("https://hooks.example.org", "").expect("valid layout"),
        },
        &|ns, name| {
            store
                .get(&(ns.to_owned(), name.to_owned()))
                .cloned()
                .map_or(SecretLookup::NotFound, SecretLookup::Found)
        },
    );
    crate::receivers::table::OwnerReceivers {
        owner,
        generation: Some(3),
        results,
        published: Vec::new(),
    }
}
