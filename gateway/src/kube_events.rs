//! What every Kubernetes Event the gateway writes shares: the reporting
//! controller, and the reference to the Kargo object the Event is about.
//! Events about receivers (`receivers::events`) and about refreshed
//! Warehouses (`refresh_events`) both start here.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::Reporter;

use crate::kargo::GROUP;

/// The Events' reporting controller.
pub const REPORTER: &str = "kargo-webhook-gateway";

/// The reporter of Events written by this replica (`instance`: its
/// identity, e.g. the Pod name).
pub fn reporter(instance: String) -> Reporter {
    Reporter {
        controller: REPORTER.to_owned(),
        instance: Some(instance),
    }
}

/// A reference to the Kargo object `kind` (`Warehouse`, `ProjectConfig`,
/// ...) called `name`, in `namespace` unless it is cluster-scoped. With its
/// `uid`, `kubectl describe` lists the Event under the object.
pub fn regarding(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    uid: Option<String>,
) -> ObjectReference {
    ObjectReference {
        api_version: Some(format!("{GROUP}/v1alpha1")),
        kind: Some(kind.to_owned()),
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        uid,
        ..ObjectReference::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_kargo_kind_and_version() {
        let reference = regarding("Warehouse", Some("kargo-demo"), "nginx", Some("u-1".into()));
        assert_eq!(
            reference.api_version.as_deref(),
            Some("kargo.akuity.io/v1alpha1")
        );
        assert_eq!(reference.kind.as_deref(), Some("Warehouse"));
        assert_eq!(reference.namespace.as_deref(), Some("kargo-demo"));
        assert_eq!(reference.uid.as_deref(), Some("u-1"));
        assert_eq!(
            regarding("ClusterConfig", None, "cluster", None).namespace,
            None
        );
        let reporter = reporter("pod-1".into());
        assert_eq!(
            (reporter.controller.as_str(), reporter.instance.as_deref()),
            (REPORTER, Some("pod-1"))
        );
    }
}
