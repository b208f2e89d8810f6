//! Rendering the chart and reading what it rendered, for the chart tests.
#![allow(dead_code)] // Each test binary uses its own subset.

pub mod install;
pub mod observability;

use std::collections::BTreeMap;

use kargo_webhook_testenv::{GATEWAY_NAMESPACE, Manifest, render_chart};
use serde_json::Value;

/// The release name of the rendering tests (the full name of every object).
pub const RELEASE: &str = "kargo-webhook-gateway";

/// The ServiceAccount of Kargo's own webhook server, which Kargo's
/// RoleBindings let read Secrets; the chart's default.
pub const KARGO_ACCOUNT: &str = "kargo-external-webhooks-server";

/// A ServiceAccount of the gateway's own, beside Kargo's server.
pub const OWN_ACCOUNT: (&str, &str) = (
    "externalWebhooksServer.serviceAccount.name",
    "kargo-webhook-gateway",
);

/// The gateway publishes receiver status.
pub const PUBLISH_STATUS: (&str, &str) = ("externalWebhooksServer.publishStatus", "true");

/// Every optional feature of the chart turned on (the gateway's own
/// ServiceAccount with cluster-wide Secret access, status publishing, TLS in
/// the gateway with a cert-manager certificate, and the rest).
pub const ALL_FEATURES: &[(&str, &str)] = &[
    OWN_ACCOUNT,
    ("externalWebhooksServer.secretAccess.clusterWide", "true"),
    PUBLISH_STATUS,
    ("externalWebhooksServer.tls.enabled", "true"),
    ("externalWebhooksServer.host", "hooks.example.org"),
    ("externalWebhooksServer.basePath", "/webhooks"),
    ("externalWebhooksServer.ingress.enabled", "true"),
    ("externalWebhooksServer.ingress.ingressClassName", "nginx"),
    ("externalWebhooksServer.ingress.tls.enabled", "true"),
    ("externalWebhooksServer.ingress.tls.secretName", "hooks-tls"),
    (
        "externalWebhooksServer.metrics.serviceMonitor.enabled",
        "true",
    ),
    ("externalWebhooksServer.autoscaling.enabled", "true"),
    ("externalWebhooksServer.podDisruptionBudget.enabled", "true"),
    observability::DASHBOARD,
    observability::RULES,
];

/// The chart rendered as release `kargo-webhook-gateway` in namespace
/// `kargo-webhook-gateway` with `set`.
///
/// # Panics
/// If Helm fails, with its message.
pub fn render(set: &[(&str, &str)]) -> Vec<Manifest> {
    render_chart(RELEASE, GATEWAY_NAMESPACE, set).unwrap_or_else(|e| panic!("{e}"))
}

/// Helm's error message when rendering with `set` must fail.
///
/// # Panics
/// If it renders.
pub fn render_error(set: &[(&str, &str)]) -> String {
    match render_chart(RELEASE, GATEWAY_NAMESPACE, set) {
        Ok(_) => panic!("rendering with {set:?} should fail"),
        Err(e) => e.to_string(),
    }
}

/// The `kind` of every rendered object, sorted.
pub fn kinds(manifests: &[Manifest]) -> Vec<String> {
    let mut kinds: Vec<String> = manifests
        .iter()
        .map(|m| m.object["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    kinds.sort();
    kinds
}

/// Every rendered object of `kind`.
pub fn all_of<'a>(manifests: &'a [Manifest], kind: &str) -> Vec<&'a Value> {
    manifests
        .iter()
        .map(|m| &m.object)
        .filter(|object| object["kind"] == kind)
        .collect()
}

/// The one rendered object of `kind`.
///
/// # Panics
/// If there is none or more than one.
pub fn one_of<'a>(manifests: &'a [Manifest], kind: &str) -> &'a Value {
    match all_of(manifests, kind).as_slice() {
        [one] => one,
        other => panic!("expected one {kind}, rendered {}", other.len()),
    }
}

/// The rendered object of `kind` named `name`.
///
/// # Panics
/// If there is none.
pub fn named<'a>(manifests: &'a [Manifest], kind: &str, name: &str) -> &'a Value {
    all_of(manifests, kind)
        .into_iter()
        .find(|object| object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} named {name} rendered"))
}

/// The gateway container of the Deployment.
pub fn container(manifests: &[Manifest]) -> &Value {
    let containers = &one_of(manifests, "Deployment")["spec"]["template"]["spec"]["containers"];
    containers
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == "gateway"))
        .unwrap_or_else(|| panic!("no container named gateway in {containers}"))
}

/// Where an environment variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    /// A literal value.
    Value(String),
    /// A field of the Pod (`fieldRef.fieldPath`).
    Field(String),
}

/// The container's environment variables.
pub fn env(manifests: &[Manifest]) -> BTreeMap<String, EnvSource> {
    let mut env = BTreeMap::new();
    for variable in container(manifests)["env"].as_array().into_iter().flatten() {
        let name = variable["name"].as_str().expect("env name").to_owned();
        let source = if let Some(value) = variable["value"].as_str() {
            EnvSource::Value(value.to_owned())
        } else if let Some(path) = variable["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
            EnvSource::Field(path.to_owned())
        } else {
            panic!("env {name} has neither a string value nor a fieldRef: {variable}");
        };
        assert!(
            env.insert(name.clone(), source).is_none(),
            "env {name} set twice"
        );
    }
    env
}

/// The literal value of environment variable `name`.
///
/// # Panics
/// If it is not set to a literal value.
pub fn env_value(manifests: &[Manifest], name: &str) -> String {
    match env(manifests).remove(name) {
        Some(EnvSource::Value(value)) => value,
        other => panic!("{name} is {other:?}, not a literal value"),
    }
}
