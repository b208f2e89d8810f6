//! The Kubernetes permissions the gateway needs, one rule per code path.
//! The Helm chart's RBAC must grant exactly these (the Secret rules excepted
//! where Kargo grants them); a test renders the chart and compares.

/// Where a rule must be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantedIn {
    /// Cluster-wide (a ClusterRole bound by a ClusterRoleBinding).
    Cluster,
    /// In the gateway's own namespace (a Role bound by a RoleBinding).
    OwnNamespace,
    /// In each namespace that holds receiver Secrets: the namespaces of
    /// ProjectConfigs with receivers, and the cluster Secrets namespace
    /// (`--cluster-secrets-namespace`). Never cluster-wide. In the drop-in
    /// install Kargo grants it: its management controller binds the
    /// ClusterRole `kargo-project-secrets-reader` to the ServiceAccount
    /// `kargo-external-webhooks-server` in every project namespace, and its
    /// chart binds that account in the cluster Secrets namespace.
    SecretNamespaces,
}

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Where it applies.
    pub granted_in: GrantedIn,
    /// API group (`""` for the core group).
    pub api_group: &'static str,
    /// Resource or subresource, e.g. `projectconfigs/status`.
    pub resource: &'static str,
    /// Verbs, sorted.
    pub verbs: &'static [&'static str],
    /// Limited to the object of this name (the Lease), when set.
    pub resource_name_from_lease: bool,
    /// Needed only when the gateway publishes receiver status
    /// (`--publish-status`); otherwise Kargo's management controller owns
    /// status and the gateway never writes it.
    pub only_when_publishing_status: bool,
    /// The code path that needs it.
    pub needed_by: &'static str,
}

impl Rule {
    /// Whether a gateway started with `--publish-status=<publish_status>`
    /// uses this rule.
    pub fn needed(&self, publish_status: bool) -> bool {
        publish_status || !self.only_when_publishing_status
    }
}

/// Every rule the gateway needs, and nothing more.
pub const REQUIRED: &[Rule] = &[
    Rule {
        granted_in: GrantedIn::Cluster,
        api_group: "kargo.akuity.io",
        resource: "projectconfigs",
        verbs: &["list", "watch"],
        resource_name_from_lease: false,
        only_when_publishing_status: false,
        needed_by: "receivers::sources (ProjectConfig watch)",
    },
    Rule {
        granted_in: GrantedIn::Cluster,
        api_group: "kargo.akuity.io",
        resource: "clusterconfigs",
        verbs: &["list", "watch"],
        resource_name_from_lease: false,
        only_when_publishing_status: false,
        needed_by: "receivers::sources (ClusterConfig watch)",
    },
    Rule {
        granted_in: GrantedIn::Cluster,
        api_group: "kargo.akuity.io",
        resource: "warehouses",
        verbs: &["list", "patch", "watch"],
        resource_name_from_lease: false,
        only_when_publishing_status: false,
        needed_by: "index::sync (Warehouse watch), refresher::kube_patcher (refresh annotation) and refresh_events (the uid of a refreshed Warehouse)",
    },
    Rule {
        granted_in: GrantedIn::Cluster,
        api_group: "kargo.akuity.io",
        resource: "promotions",
        verbs: &["list", "patch", "watch"],
        resource_name_from_lease: false,
        only_when_publishing_status: false,
        needed_by: "promotions (watch of Promotions waiting on a pull request, and their refresh annotation)",
    },
    Rule {
        granted_in: GrantedIn::Cluster,
        api_group: "events.k8s.io",
        resource: "events",
        verbs: &["create", "patch"],
        resource_name_from_lease: false,
        only_when_publishing_status: false,
        needed_by: "receivers::events (Events on ProjectConfigs and ClusterConfigs) and refresh_events (Events on refreshed Warehouses)",
    },
    Rule {
        granted_in: GrantedIn::Cluster,
        api_group: "kargo.akuity.io",
        resource: "projectconfigs/status",
        verbs: &["patch"],
        resource_name_from_lease: false,
        only_when_publishing_status: true,
        needed_by: "receivers::publish (status.webhookReceivers and Ready, with --publish-status)",
    },
    Rule {
        granted_in: GrantedIn::Cluster,
        api_group: "kargo.akuity.io",
        resource: "clusterconfigs/status",
        verbs: &["patch"],
        resource_name_from_lease: false,
        only_when_publishing_status: true,
        needed_by: "receivers::publish (status.webhookReceivers and Ready, with --publish-status)",
    },
    Rule {
        granted_in: GrantedIn::SecretNamespaces,
        api_group: "",
        resource: "secrets",
        verbs: &["list", "watch"],
        resource_name_from_lease: false,
        only_when_publishing_status: false,
        needed_by: "receivers::secret_watches (label-selected Secret watch per namespace)",
    },
    Rule {
        granted_in: GrantedIn::OwnNamespace,
        api_group: "coordination.k8s.io",
        resource: "leases",
        verbs: &["create"],
        resource_name_from_lease: false,
        only_when_publishing_status: false,
        needed_by: "lease (first replica creates the Lease that elects the publisher)",
    },
    Rule {
        granted_in: GrantedIn::OwnNamespace,
        api_group: "coordination.k8s.io",
        resource: "leases",
        verbs: &["get", "update"],
        resource_name_from_lease: true,
        only_when_publishing_status: false,
        needed_by: "lease (acquire, renew and release the Lease that elects the publisher)",
    },
];

/// The rules a gateway started with `--publish-status=<publish_status>`
/// uses, in the order of [`REQUIRED`].
pub fn required(publish_status: bool) -> impl Iterator<Item = &'static Rule> {
    REQUIRED
        .iter()
        .filter(move |rule| rule.needed(publish_status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_sorted_and_rules_unique() {
        for rule in REQUIRED {
            let mut sorted = rule.verbs.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, rule.verbs, "{}", rule.resource);
            assert!(!rule.verbs.is_empty(), "{} grants no verb", rule.resource);
        }
        for (i, a) in REQUIRED.iter().enumerate() {
            for b in &REQUIRED[i + 1..] {
                assert!(
                    (a.api_group, a.resource, a.resource_name_from_lease)
                        != (b.api_group, b.resource, b.resource_name_from_lease),
                    "{} listed twice",
                    a.resource
                );
            }
        }
    }

    /// Secrets are read per namespace only, never with a cluster-wide rule,
    /// and with nothing beyond list and watch (Kargo's grant also has get;
    /// the gateway does not use it).
    #[test]
    fn secrets_are_read_per_namespace_with_list_and_watch_only() {
        let secret_rules: Vec<&Rule> = REQUIRED
            .iter()
            .filter(|rule| rule.api_group.is_empty() && rule.resource.starts_with("secrets"))
            .collect();
        assert_eq!(secret_rules.len(), 1, "{secret_rules:#?}");
        assert_eq!(secret_rules[0].granted_in, GrantedIn::SecretNamespaces);
        assert_eq!(secret_rules[0].verbs, ["list", "watch"]);
        assert!(
            REQUIRED
                .iter()
                .filter(|rule| rule.granted_in == GrantedIn::SecretNamespaces)
                .all(|rule| rule.resource == "secrets"),
            "only Secrets are granted per Secret namespace"
        );
    }

    /// Without `--publish-status` the gateway never writes status; the only
    /// rules that depend on it are the two status subresources.
    #[test]
    fn only_status_writes_depend_on_publishing_status() {
        let conditional: Vec<&str> = REQUIRED
            .iter()
            .filter(|rule| rule.only_when_publishing_status)
            .map(|rule| rule.resource)
            .collect();
        assert_eq!(
            conditional,
            ["projectconfigs/status", "clusterconfigs/status"]
        );
        assert!(required(false).all(|rule| !rule.resource.ends_with("/status")));
        assert_eq!(required(true).count(), REQUIRED.len());
        assert_eq!(required(false).count(), REQUIRED.len() - 2);
    }

    /// Writes beyond what Kargo's own server does are limited to Events and
    /// the Lease in the gateway's own namespace, plus status when publishing.
    #[test]
    fn writes_are_limited_to_refresh_events_lease_and_status() {
        for rule in REQUIRED {
            let writes: Vec<&str> = rule
                .verbs
                .iter()
                .copied()
                .filter(|verb| !matches!(*verb, "get" | "list" | "watch"))
                .collect();
            if writes.is_empty() {
                continue;
            }
            let allowed = match (rule.api_group, rule.resource) {
                ("kargo.akuity.io", "warehouses" | "promotions") => writes == ["patch"],
                ("events.k8s.io", "events") => writes == ["create", "patch"],
                ("kargo.akuity.io", "projectconfigs/status" | "clusterconfigs/status") => {
                    writes == ["patch"] && rule.only_when_publishing_status
                }
                ("coordination.k8s.io", "leases") => rule.granted_in == GrantedIn::OwnNamespace,
                _ => false,
            };
            assert!(allowed, "unexpected write {writes:?} on {}", rule.resource);
        }
    }
}
