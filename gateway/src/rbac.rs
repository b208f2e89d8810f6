//! The Kubernetes permissions the gateway needs, one rule per code path.
//! The Helm chart's RBAC must grant exactly these; a test renders the chart
//! and compares.

/// Where a rule must be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleScope {
    /// Cluster-wide (a ClusterRole bound by a ClusterRoleBinding).
    Cluster,
    /// In the gateway's own namespace (a Role bound by a RoleBinding).
    OwnNamespace,
}

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Where it applies.
    pub scope: RuleScope,
    /// API group (`""` for the core group).
    pub api_group: &'static str,
    /// Resource or subresource, e.g. `projectconfigs/status`.
    pub resource: &'static str,
    /// Verbs, sorted.
    pub verbs: &'static [&'static str],
    /// Limited to the object of this name (the Lease), when set.
    pub resource_name_from_lease: bool,
    /// The code path that needs it.
    pub needed_by: &'static str,
}

/// Every rule the gateway needs, and nothing more.
pub const REQUIRED: &[Rule] = &[
    Rule {
        scope: RuleScope::Cluster,
        api_group: "kargo.akuity.io",
        resource: "projectconfigs",
        verbs: &["list", "watch"],
        resource_name_from_lease: false,
        needed_by: "receivers::sources (ProjectConfig watch)",
    },
    Rule {
        scope: RuleScope::Cluster,
        api_group: "kargo.akuity.io",
        resource: "clusterconfigs",
        verbs: &["list", "watch"],
        resource_name_from_lease: false,
        needed_by: "receivers::sources (ClusterConfig watch)",
    },
    Rule {
        scope: RuleScope::Cluster,
        api_group: "kargo.akuity.io",
        resource: "projectconfigs/status",
        verbs: &["patch"],
        resource_name_from_lease: false,
        needed_by: "receivers::publish (status.webhookReceivers and Ready)",
    },
    Rule {
        scope: RuleScope::Cluster,
        api_group: "kargo.akuity.io",
        resource: "clusterconfigs/status",
        verbs: &["patch"],
        resource_name_from_lease: false,
        needed_by: "receivers::publish (status.webhookReceivers and Ready)",
    },
    Rule {
        scope: RuleScope::Cluster,
        api_group: "kargo.akuity.io",
        resource: "warehouses",
        verbs: &["list", "patch", "watch"],
        resource_name_from_lease: false,
        needed_by: "index::sync (Warehouse watch) and refresher::kube_patcher (refresh annotation)",
    },
    Rule {
        scope: RuleScope::Cluster,
        api_group: "",
        resource: "secrets",
        verbs: &["list", "watch"],
        resource_name_from_lease: false,
        needed_by: "receivers::sources (label-selected Secret watch)",
    },
    Rule {
        scope: RuleScope::OwnNamespace,
        api_group: "coordination.k8s.io",
        resource: "leases",
        verbs: &["create"],
        resource_name_from_lease: false,
        needed_by: "lease (first replica creates the status-publishing Lease)",
    },
    Rule {
        scope: RuleScope::OwnNamespace,
        api_group: "coordination.k8s.io",
        resource: "leases",
        verbs: &["get", "update"],
        resource_name_from_lease: true,
        needed_by: "lease (acquire, renew and release the status-publishing Lease)",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_sorted_and_rules_unique() {
        for rule in REQUIRED {
            let mut sorted = rule.verbs.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, rule.verbs, "{}", rule.resource);
        }
        for (i, a) in REQUIRED.iter().enumerate() {
            for b in &REQUIRED[i + 1..] {
                assert!(
                    (a.resource, a.resource_name_from_lease)
                        != (b.resource, b.resource_name_from_lease),
                    "{} listed twice",
                    a.resource
                );
            }
        }
    }
}
