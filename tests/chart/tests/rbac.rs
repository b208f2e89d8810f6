//! The chart's RBAC is exactly `kargo_webhook_gateway::rbac::REQUIRED`, in
//! each install mode: as rendered, and as a real API server enforces it for
//! the ServiceAccount the chart binds (with a real ServiceAccount token).
//!
//! The modes: the drop-in default (Kargo's account
//! `kargo-external-webhooks-server`, whose Secret access Kargo grants), an
//! account of the gateway's own with Secret access in listed namespaces, and
//! the cluster-wide opt-in; each with and without `publishStatus`.

mod common;

use std::collections::BTreeMap;

use common::install::{
    Access, account_may, apply_chart_rbac, apply_kargo_grant, may, service_account_client,
    wait_until_allowed,
};
use common::{KARGO_ACCOUNT, OWN_ACCOUNT, PUBLISH_STATUS, RELEASE, all_of, env_value, render};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kargo_webhook_gateway::rbac::{GrantedIn, REQUIRED};
use kargo_webhook_testenv::helm::chart_dir;
use kargo_webhook_testenv::{ControlPlane, GATEWAY_NAMESPACE, Manifest};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::core::GroupVersionKind;
use serde_json::{Value, json};

const CLUSTER: &str = "cluster";
const OWN_NAMESPACE: &str = "own namespace";
const SECRET_NAMESPACES: &str = "secret namespaces";

/// One granted permission, flattened: a rendered rule with several groups or
/// resources counts once per group and resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    granted_in: &'static str,
    group: String,
    resource: String,
    verbs: Vec<String>,
    resource_names: Vec<String>,
}

fn strings(value: &Value) -> Vec<String> {
    let mut strings: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| item.as_str().expect("a string").to_owned())
        .collect();
    strings.sort();
    strings
}

fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().expect("a name")
}

/// Where a rendered role grants: the chart's ClusterRole is
/// cluster-wide, its Role is for its own namespace, and its Secret reader
/// ClusterRole is bound per Secret namespace (or, opted in, cluster-wide).
fn granted_in(role: &Value, fullname: &str) -> &'static str {
    match (role["kind"].as_str(), name_of(role)) {
        (Some("Role"), _) => OWN_NAMESPACE,
        (Some("ClusterRole"), name) if name == fullname => CLUSTER,
        (Some("ClusterRole"), name) if name == format!("{fullname}-secrets-reader") => {
            SECRET_NAMESPACES
        }
        (kind, name) => panic!("unexpected role {kind:?} {name}"),
    }
}

fn rendered_grants(manifests: &[Manifest], fullname: &str) -> Vec<Grant> {
    let mut grants = Vec::new();
    for kind in ["ClusterRole", "Role"] {
        for role in all_of(manifests, kind) {
            let granted_in = granted_in(role, fullname);
            for rule in role["rules"].as_array().expect("rules") {
                for group in strings(&rule["apiGroups"]) {
                    for resource in strings(&rule["resources"]) {
                        grants.push(Grant {
                            granted_in,
                            group: group.clone(),
                            resource,
                            verbs: strings(&rule["verbs"]),
                            resource_names: strings(&rule["resourceNames"]),
                        });
                    }
                }
            }
        }
    }
    grants.sort();
    grants
}

/// What the chart must grant: every rule the gateway uses with
/// `publish_status`, but the Secret rules only when the chart grants Secret
/// access itself (in the drop-in install, Kargo grants them).
fn required_grants(
    lease_name: &str,
    publish_status: bool,
    chart_grants_secrets: bool,
) -> Vec<Grant> {
    let mut grants: Vec<Grant> = REQUIRED
        .iter()
        .filter(|rule| rule.needed(publish_status))
        .filter(|rule| chart_grants_secrets || rule.granted_in != GrantedIn::SecretNamespaces)
        .map(|rule| Grant {
            granted_in: match rule.granted_in {
                GrantedIn::Cluster => CLUSTER,
                GrantedIn::OwnNamespace => OWN_NAMESPACE,
                GrantedIn::SecretNamespaces => SECRET_NAMESPACES,
            },
            group: rule.api_group.to_owned(),
            resource: rule.resource.to_owned(),
            verbs: rule.verbs.iter().map(|verb| (*verb).to_owned()).collect(),
            resource_names: if rule.resource_name_from_lease {
                vec![lease_name.to_owned()]
            } else {
                Vec::new()
            },
        })
        .collect();
    grants.sort();
    grants
}

/// Fails naming every extra and every missing grant.
fn assert_same_grants(rendered: &[Grant], required: &[Grant]) {
    let extra: Vec<&Grant> = rendered.iter().filter(|g| !required.contains(g)).collect();
    let missing: Vec<&Grant> = required.iter().filter(|g| !rendered.contains(g)).collect();
    assert!(
        extra.is_empty() && missing.is_empty() && rendered.len() == required.len(),
        "the chart's RBAC differs from rbac::REQUIRED\n  granted but not required: {extra:#?}\n  \
         required but not granted: {missing:#?}"
    );
}

/// `--set` values.
type Values = &'static [(&'static str, &'static str)];

/// The install modes: name, values, and whether the chart grants Secret
/// access.
const MODES: [(&str, Values, bool); 3] = [
    ("drop-in", &[], false),
    (
        "own account, listed namespaces",
        &[
            OWN_ACCOUNT,
            (
                "externalWebhooksServer.secretAccess.namespaces",
                "{team-a,team-b}",
            ),
        ],
        true,
    ),
    (
        "own account, cluster-wide",
        &[
            OWN_ACCOUNT,
            ("externalWebhooksServer.secretAccess.clusterWide", "true"),
        ],
        true,
    ),
];

#[test]
fn rendered_rules_equal_the_required_ones_in_every_mode() {
    for (mode, values, chart_grants_secrets) in MODES {
        for publish_status in [false, true] {
            for lease in [None, Some("custom-lease")] {
                let mut set = values.to_vec();
                if publish_status {
                    set.push(PUBLISH_STATUS);
                }
                if let Some(name) = lease {
                    set.push(("externalWebhooksServer.leaseName", name));
                }
                let manifests = render(&set);
                let lease_name = env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_LEASE_NAME");
                assert_eq!(lease_name, lease.unwrap_or(RELEASE));
                assert_eq!(
                    env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_PUBLISH_STATUS"),
                    publish_status.to_string(),
                    "{mode}"
                );
                let rendered = rendered_grants(&manifests, RELEASE);
                let required = required_grants(&lease_name, publish_status, chart_grants_secrets);
                let result = std::panic::catch_unwind(|| assert_same_grants(&rendered, &required));
                if let Err(failure) = result {
                    panic!(
                        "{mode}, publishStatus={publish_status}: {}",
                        failure
                            .downcast_ref::<String>()
                            .map_or("(no message)", String::as_str)
                    );
                }
            }
        }
    }
}

#[test]
fn the_drop_in_install_grants_no_secret_access_at_all() {
    let manifests = render(&[]);
    for kind in ["ClusterRole", "Role"] {
        for role in all_of(&manifests, kind) {
            for rule in role["rules"].as_array().expect("rules") {
                assert!(
                    !strings(&rule["resources"])
                        .iter()
                        .any(|r| r.starts_with("secrets")),
                    "{kind} {} grants {rule}",
                    name_of(role)
                );
            }
        }
    }
    assert_eq!(all_of(&manifests, "ClusterRoleBinding").len(), 1);
    assert_eq!(all_of(&manifests, "RoleBinding").len(), 1);
}

#[test]
fn the_comparison_names_an_extra_and_a_missing_rule() {
    let manifests = render(&[]);
    let mut rendered = rendered_grants(&manifests, RELEASE);
    let required = required_grants(RELEASE, false, false);
    rendered.retain(|grant| grant.resource != "events");
    rendered.push(Grant {
        granted_in: CLUSTER,
        group: String::new(),
        resource: "secrets".into(),
        verbs: vec!["list".into(), "watch".into()],
        resource_names: Vec::new(),
    });
    let failure = std::panic::catch_unwind(|| assert_same_grants(&rendered, &required))
        .expect_err("a changed rule set must fail");
    let message = failure
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(message.contains("secrets"), "{message}");
    assert!(message.contains("events"), "{message}");
}

/// Every binding binds a role of the chart to the chart's ServiceAccount in
/// the release namespace, and nobody else.
#[test]
fn roles_are_bound_to_the_gateway_service_account_only() {
    for (mode, values, _) in MODES {
        let manifests = render(values);
        let account = values
            .iter()
            .find(|(key, _)| *key == OWN_ACCOUNT.0)
            .map_or(KARGO_ACCOUNT, |(_, name)| name);
        let deployment = common::one_of(&manifests, "Deployment");
        assert_eq!(
            deployment["spec"]["template"]["spec"]["serviceAccountName"], account,
            "{mode}"
        );
        let service_account = common::one_of(&manifests, "ServiceAccount");
        assert_eq!(service_account["metadata"]["name"], account, "{mode}");
        for (binding_kind, role_kinds) in [
            ("ClusterRoleBinding", &["ClusterRole"][..]),
            ("RoleBinding", &["Role", "ClusterRole"][..]),
        ] {
            for binding in all_of(&manifests, binding_kind) {
                let role_kind = binding["roleRef"]["kind"].as_str().expect("roleRef.kind");
                assert!(role_kinds.contains(&role_kind), "{mode}: {binding}");
                let role_name = binding["roleRef"]["name"].as_str().expect("roleRef.name");
                assert!(
                    all_of(&manifests, role_kind)
                        .iter()
                        .any(|role| name_of(role) == role_name),
                    "{mode}: {binding_kind} {} binds {role_kind} {role_name}, which the chart \
                     does not render",
                    name_of(binding)
                );
                assert_eq!(
                    binding["subjects"],
                    json!([{
                        "kind": "ServiceAccount",
                        "name": account,
                        "namespace": GATEWAY_NAMESPACE,
                    }]),
                    "{mode}: {binding_kind} {}",
                    name_of(binding)
                );
            }
        }
        // The Lease rules stay in the release namespace.
        for role in all_of(&manifests, "Role") {
            assert_eq!(role["metadata"]["namespace"], GATEWAY_NAMESPACE, "{mode}");
        }
    }
}

/// Where the Secret reader is bound: a RoleBinding per listed namespace
/// plus the cluster Secrets namespace, or one ClusterRoleBinding.
#[test]
fn secret_access_is_bound_where_the_values_say() {
    let secret_bindings = |manifests: &[Manifest], kind: &str| -> Vec<String> {
        let mut namespaces: Vec<String> = all_of(manifests, kind)
            .into_iter()
            .filter(|binding| binding["roleRef"]["name"] == format!("{RELEASE}-secrets-reader"))
            .map(|binding| {
                binding["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("(cluster)")
                    .to_owned()
            })
            .collect();
        namespaces.sort();
        namespaces
    };
    let listed = render(&[
        OWN_ACCOUNT,
        (
            "externalWebhooksServer.secretAccess.namespaces",
            "{team-b,team-a}",
        ),
        (
            "externalWebhooksServer.clusterSecretsNamespace",
            "kargo-cluster-secrets",
        ),
    ]);
    assert_eq!(
        secret_bindings(&listed, "RoleBinding"),
        ["kargo-cluster-secrets", "team-a", "team-b"]
    );
    assert!(secret_bindings(&listed, "ClusterRoleBinding").is_empty());
    // The cluster Secrets namespace listed as well: one binding there.
    let repeated = render(&[
        OWN_ACCOUNT,
        (
            "externalWebhooksServer.secretAccess.namespaces",
            "{team-a,kargo-system-resources}",
        ),
    ]);
    assert_eq!(
        secret_bindings(&repeated, "RoleBinding"),
        ["kargo-system-resources", "team-a"]
    );
    let cluster_wide = render(&[
        OWN_ACCOUNT,
        ("externalWebhooksServer.secretAccess.clusterWide", "true"),
    ]);
    assert!(secret_bindings(&cluster_wide, "RoleBinding").is_empty());
    assert_eq!(
        secret_bindings(&cluster_wide, "ClusterRoleBinding"),
        ["(cluster)"]
    );
}

#[test]
fn each_rule_says_which_code_path_needs_it() {
    let templates = chart_dir().join("templates");
    for rule in REQUIRED {
        let file = match rule.granted_in {
            GrantedIn::Cluster => "clusterrole.yaml",
            GrantedIn::OwnNamespace => "role.yaml",
            GrantedIn::SecretNamespaces => "secret-access.yaml",
        };
        let text = std::fs::read_to_string(templates.join(file)).expect("RBAC template");
        let comment = format!("# {}", rule.needed_by);
        assert!(
            text.lines().any(|line| line.trim() == comment),
            "{file} lacks the comment {comment:?} on the {} rule",
            rule.resource
        );
    }
}

// ----- Against a real API server -----

fn kargo(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", kind))
}

/// A project namespace with a ProjectConfig, a Warehouse and a receiver
/// Secret, made by the admin.
async fn project(control_plane: &ControlPlane) -> String {
    let namespace = control_plane.fresh_namespace("chart-rbac").await;
    let admin = control_plane.admin_client();
    let params = PostParams::default();
    let config: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "ProjectConfig",
        "metadata": {"name": namespace, "namespace": namespace},
        "spec": {"webhookReceivers": [
            {"name": "harbor", "harbor": {"secretRef": {"name": "harbor-webhook"}}}
        ]},
    }))
    .expect("ProjectConfig");
    Api::<DynamicObject>::namespaced_with(admin.clone(), &namespace, &kargo("ProjectConfig"))
        .create(&params, &config)
        .await
        .expect("creating the ProjectConfig");
    let warehouse: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "Warehouse",
        "metadata": {"name": "nginx", "namespace": namespace},
        "spec": {"subscriptions": [{"image": {"repoURL": "harbor.example.com/library/nginx"}}]},
    }))
    .expect("Warehouse");
    Api::<DynamicObject>::namespaced_with(admin.clone(), &namespace, &kargo("Warehouse"))
        .create(&params, &warehouse)
        .await
        .expect("creating the Warehouse");
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {
            "name": "harbor-webhook",
            "namespace": namespace,
            "labels": {"kargo.akuity.io/cred-type": "generic"},
        },
        "stringData": {"auth-header": "test-only-value"},
    }))
    .expect("Secret");
    Api::<Secret>::namespaced(admin, &namespace)
        .create(&params, &secret)
        .await
        .expect("creating the Secret");
    namespace
}

/// Passes when the request was refused by authorization (403). Never prints
/// what an allowed request returned: it may be a Secret.
fn assert_forbidden<T>(what: &str, result: Result<T, kube::Error>) {
    match result {
        Err(kube::Error::Api(status)) if status.code == 403 => {}
        Ok(_) => panic!("the gateway should not be allowed to {what}, and it was"),
        Err(e) => panic!("the gateway should be refused (403) to {what}, got: {e}"),
    }
}

/// Passes when the request succeeded, naming it otherwise.
fn assert_allowed<T>(what: &str, result: Result<T, kube::Error>) -> T {
    result.unwrap_or_else(|e| panic!("the gateway should be allowed to {what}: {e}"))
}

/// A release of the chart in a namespace of its own (so that its
/// cluster-scoped objects are its own too), its RBAC applied.
struct Release {
    /// The release namespace (Kargo's namespace in the drop-in install).
    namespace: String,
    /// The full name of its objects, the Lease name included.
    fullname: String,
    /// The ServiceAccount the chart binds.
    account: String,
    /// A client acting as that ServiceAccount.
    gateway: kube::Client,
}

async fn install(control_plane: &ControlPlane, prefix: &str, set: &[(&str, &str)]) -> Release {
    let namespace = control_plane.fresh_namespace(prefix).await;
    // Unique per namespace, so that concurrent tests' ClusterRoles differ.
    let release = format!("{namespace}-gw");
    let mut set = set.to_vec();
    set.push(("fullnameOverride", &release));
    let rbac = apply_chart_rbac(control_plane, &release, &namespace, &set).await;
    let account = rbac
        .iter()
        .find(|manifest| manifest.object["kind"] == "ServiceAccount")
        .map(|manifest| name_of(&manifest.object).to_owned())
        .expect("the chart renders a ServiceAccount");
    let gateway = service_account_client(control_plane, &namespace, &account).await;
    // Wait until every rule the chart applied has reached the authorizer.
    wait_until_allowed(
        &gateway,
        &Access::new("list", "kargo.akuity.io", "warehouses"),
    )
    .await;
    wait_until_allowed(
        &gateway,
        &Access::new("get", "coordination.k8s.io", "leases")
            .in_namespace(&namespace)
            .named(&release),
    )
    .await;
    Release {
        namespace,
        fullname: release,
        account,
        gateway,
    }
}

/// What every mode allows: the watches, the refresh patch, Events, the Lease.
async fn assert_the_common_rules_work(release: &Release, project: &str) {
    let gateway = &release.gateway;

    // Warehouses: list and watch everywhere, refresh one through metadata.
    let warehouses = Api::<DynamicObject>::all_with(gateway.clone(), &kargo("Warehouse"));
    let listed = assert_allowed(
        "list Warehouses",
        warehouses.list(&ListParams::default()).await,
    );
    assert!(
        listed
            .items
            .iter()
            .any(|w| w.metadata.namespace.as_deref() == Some(project))
    );
    assert!(
        may(
            gateway,
            &Access::new("watch", "kargo.akuity.io", "warehouses")
        )
        .await
    );
    let refresh = Patch::Merge(json!({
        "metadata": {"annotations": {"kargo.akuity.io/refresh": "chart-rbac-test"}}
    }));
    let in_project =
        Api::<DynamicObject>::namespaced_with(gateway.clone(), project, &kargo("Warehouse"));
    let patched = assert_allowed(
        "patch a Warehouse's metadata",
        in_project
            .patch_metadata("nginx", &PatchParams::default(), &refresh)
            .await,
    );
    assert_eq!(
        patched.metadata.annotations.unwrap_or_default()["kargo.akuity.io/refresh"],
        "chart-rbac-test"
    );

    // ProjectConfigs and ClusterConfigs: list and watch.
    assert_allowed(
        "list ProjectConfigs",
        Api::<DynamicObject>::all_with(gateway.clone(), &kargo("ProjectConfig"))
            .list(&ListParams::default())
            .await,
    );
    assert_allowed(
        "list ClusterConfigs",
        Api::<DynamicObject>::all_with(gateway.clone(), &kargo("ClusterConfig"))
            .list(&ListParams::default())
            .await,
    );
    for resource in ["projectconfigs", "clusterconfigs"] {
        assert!(
            may(gateway, &Access::new("watch", "kargo.akuity.io", resource)).await,
            "watch {resource}"
        );
    }

    // Events (events.k8s.io) on a ProjectConfig in its namespace, and on the
    // ClusterConfig in `default`: create, then patch (a repeated Event).
    for namespace in [project, "default"] {
        let events = Api::<DynamicObject>::namespaced_with(
            gateway.clone(),
            namespace,
            &ApiResource::from_gvk(&GroupVersionKind::gvk("events.k8s.io", "v1", "Event")),
        );
        let name = format!("chart-rbac-{}", release.fullname);
        let event: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "eventTime": "2026-01-01T00:00:00.000000Z",
            "reportingController": "kargo-webhook-gateway",
            "reportingInstance": "chart-rbac-test",
            "action": "Resolve",
            "reason": "SecretNotFound",
            "type": "Warning",
            "note": "test",
            "regarding": {
                "apiVersion": "kargo.akuity.io/v1alpha1",
                "kind": "ProjectConfig",
                "name": project,
                "namespace": project,
            },
        }))
        .expect("Event");
        assert_allowed(
            "create an Event",
            events.create(&PostParams::default(), &event).await,
        );
        assert_allowed(
            "patch an Event",
            events
                .patch(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"series": {"count": 2, "lastObservedTime": "2026-01-01T00:00:01.000000Z"}})),
                )
                .await,
        );
    }

    // The Lease in its own namespace: create, get, update.
    let leases = Api::<Lease>::namespaced(gateway.clone(), &release.namespace);
    let lease: Lease =
        serde_json::from_value(json!({"metadata": {"name": release.fullname}})).expect("Lease");
    assert_allowed(
        "create its Lease",
        leases.create(&PostParams::default(), &lease).await,
    );
    let mut current = assert_allowed("get its Lease", leases.get(&release.fullname).await);
    current
        .spec
        .get_or_insert_with(Default::default)
        .holder_identity = Some("chart-rbac-test".into());
    assert_allowed(
        "update its Lease",
        leases
            .replace(&release.fullname, &PostParams::default(), &current)
            .await,
    );
}

/// Lists the labelled Secrets of `namespace` as the gateway does; true when
/// allowed (and the project's Secret is among them), false when forbidden.
async fn lists_secrets_in(gateway: &kube::Client, namespace: &str) -> bool {
    let listed = Api::<Secret>::namespaced(gateway.clone(), namespace)
        .list(&ListParams::default().labels("kargo.akuity.io/cred-type=generic"))
        .await;
    match listed {
        Ok(list) => {
            assert!(
                list.items
                    .iter()
                    .all(|s| s.metadata.namespace.as_deref() == Some(namespace))
            );
            true
        }
        Err(kube::Error::Api(status)) if status.code == 403 => false,
        Err(e) => panic!("listing Secrets in {namespace}: {e}"),
    }
}

async fn status_patch_allowed(gateway: &kube::Client, project: &str) -> bool {
    let status = Patch::Merge(json!({"status": {"webhookReceivers": [
        {"name": "harbor", "path": "/harbor/x", "url": "https://hooks.example.org/harbor/x"}
    ]}}));
    let result =
        Api::<DynamicObject>::namespaced_with(gateway.clone(), project, &kargo("ProjectConfig"))
            .patch_status(project, &PatchParams::default(), &status)
            .await;
    match result {
        Ok(_) => true,
        Err(kube::Error::Api(status)) if status.code == 403 => false,
        Err(e) => panic!("patching ProjectConfig status: {e}"),
    }
}

/// The drop-in install: Kargo's account in "Kargo's namespace", the chart's
/// ClusterRole and Role, and Secret access only from what Kargo grants (the
/// `kargo-project-secrets-reader` RoleBindings).
#[tokio::test]
async fn the_drop_in_account_reads_secrets_only_where_kargo_grants_it() {
    let control_plane = ControlPlane::shared();
    for publish_status in [false, true] {
        let set: &[(&str, &str)] = if publish_status {
            &[PUBLISH_STATUS]
        } else {
            &[]
        };
        let release = install(control_plane, "chart-kargo", set).await;
        assert_eq!(release.account, KARGO_ACCOUNT);
        let granted = project(control_plane).await;
        let not_granted = project(control_plane).await;
        let cluster_secrets = control_plane.fresh_namespace("chart-cluster-secrets").await;
        apply_kargo_grant(
            control_plane,
            &release.namespace,
            &[&granted, &cluster_secrets],
        )
        .await;
        let gateway = &release.gateway;
        wait_until_allowed(
            gateway,
            &Access::new("list", "", "secrets").in_namespace(&granted),
        )
        .await;

        assert_the_common_rules_work(&release, &granted).await;
        assert!(lists_secrets_in(gateway, &granted).await);
        assert!(lists_secrets_in(gateway, &cluster_secrets).await);
        assert!(
            !lists_secrets_in(gateway, &not_granted).await,
            "a namespace without Kargo's RoleBinding"
        );
        assert_forbidden(
            "list Secrets in every namespace",
            Api::<Secret>::all(gateway.clone())
                .list(&ListParams::default())
                .await,
        );
        assert!(!may(gateway, &Access::new("watch", "", "secrets")).await);
        assert_eq!(
            status_patch_allowed(gateway, &granted).await,
            publish_status,
            "status patch with publishStatus={publish_status}"
        );
    }
}

/// An account of the gateway's own, with Secret access in listed namespaces
/// (and the cluster Secrets namespace), or cluster-wide.
#[tokio::test]
async fn an_own_account_reads_secrets_where_the_values_grant_it() {
    let control_plane = ControlPlane::shared();
    let listed = project(control_plane).await;
    let unlisted = project(control_plane).await;
    let cluster_secrets = control_plane.fresh_namespace("chart-cluster-secrets").await;
    let namespaces = format!("{{{listed}}}");
    let release = install(
        control_plane,
        "chart-own",
        &[
            OWN_ACCOUNT,
            (
                "externalWebhooksServer.secretAccess.namespaces",
                &namespaces,
            ),
            (
                "externalWebhooksServer.clusterSecretsNamespace",
                &cluster_secrets,
            ),
        ],
    )
    .await;
    assert_eq!(release.account, OWN_ACCOUNT.1);
    let gateway = &release.gateway;
    wait_until_allowed(
        gateway,
        &Access::new("list", "", "secrets").in_namespace(&listed),
    )
    .await;
    assert_the_common_rules_work(&release, &listed).await;
    assert!(lists_secrets_in(gateway, &listed).await);
    assert!(lists_secrets_in(gateway, &cluster_secrets).await);
    assert!(!lists_secrets_in(gateway, &unlisted).await);
    assert!(!may(gateway, &Access::new("list", "", "secrets")).await);
    assert!(!status_patch_allowed(gateway, &listed).await);

    let wide = install(
        control_plane,
        "chart-wide",
        &[
            OWN_ACCOUNT,
            ("externalWebhooksServer.secretAccess.clusterWide", "true"),
        ],
    )
    .await;
    wait_until_allowed(&wide.gateway, &Access::new("list", "", "secrets")).await;
    assert!(lists_secrets_in(&wide.gateway, &unlisted).await);
    assert!(may(&wide.gateway, &Access::new("watch", "", "secrets")).await);
    // Still nothing beyond list and watch on Secrets.
    assert!(
        !may(
            &wide.gateway,
            &Access::new("get", "", "secrets").in_namespace(&unlisted)
        )
        .await
    );
}

#[tokio::test]
async fn the_gateway_account_cannot_do_anything_else() {
    let control_plane = ControlPlane::shared();
    let release = install(control_plane, "chart-deny", &[PUBLISH_STATUS]).await;
    let namespace = project(control_plane).await;
    apply_kargo_grant(control_plane, &release.namespace, &[&namespace]).await;
    let gateway = &release.gateway;
    wait_until_allowed(
        gateway,
        &Access::new("list", "", "secrets").in_namespace(&namespace),
    )
    .await;
    let admin = control_plane.admin_client();

    let warehouses =
        Api::<DynamicObject>::namespaced_with(gateway.clone(), &namespace, &kargo("Warehouse"));
    assert_forbidden(
        "delete a Warehouse",
        warehouses.delete("nginx", &DeleteParams::default()).await,
    );
    // Replace the whole object (PUT), as a careless client would.
    let mut whole =
        Api::<DynamicObject>::namespaced_with(admin.clone(), &namespace, &kargo("Warehouse"))
            .get("nginx")
            .await
            .expect("admin reads the Warehouse");
    whole.data["spec"]["interval"] = json!("1m0s");
    assert_forbidden(
        "replace a Warehouse (PUT)",
        warehouses
            .replace("nginx", &PostParams::default(), &whole)
            .await,
    );
    assert_forbidden("get a Warehouse by name", warehouses.get("nginx").await);

    // Kargo's grant includes get on Secrets; the chart adds no write.
    let secrets = Api::<Secret>::namespaced(gateway.clone(), &namespace);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "made-by-gateway"},
        "stringData": {"k": "v"},
    }))
    .expect("Secret");
    assert_forbidden(
        "create a Secret",
        secrets.create(&PostParams::default(), &secret).await,
    );
    assert_forbidden(
        "patch a Secret",
        secrets
            .patch(
                "harbor-webhook",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
            )
            .await,
    );

    let project_config =
        Api::<DynamicObject>::namespaced_with(gateway.clone(), &namespace, &kargo("ProjectConfig"));
    assert_forbidden(
        "patch a ProjectConfig's spec",
        project_config
            .patch(
                &namespace,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"webhookReceivers": []}})),
            )
            .await,
    );

    // A Lease of another name, in its own namespace: neither read nor write.
    let other: Lease = serde_json::from_value(json!({"metadata": {"name": "someone-elses-lease"}}))
        .expect("Lease");
    let other = Api::<Lease>::namespaced(admin, &release.namespace)
        .create(&PostParams::default(), &other)
        .await
        .expect("admin creates a Lease");
    let leases = Api::<Lease>::namespaced(gateway.clone(), &release.namespace);
    assert_forbidden("get another Lease", leases.get("someone-elses-lease").await);
    assert_forbidden(
        "update another Lease",
        leases
            .replace("someone-elses-lease", &PostParams::default(), &other)
            .await,
    );
    assert_forbidden("list Leases", leases.list(&ListParams::default()).await);
    // Nor a Lease in another namespace.
    let elsewhere: Lease =
        serde_json::from_value(json!({"metadata": {"name": release.fullname}})).expect("Lease");
    assert_forbidden(
        "create a Lease outside its namespace",
        Api::<Lease>::namespaced(gateway.clone(), &namespace)
            .create(&PostParams::default(), &elsewhere)
            .await,
    );

    // Unrelated resources.
    assert_forbidden(
        "list ConfigMaps",
        Api::<ConfigMap>::all(gateway.clone())
            .list(&ListParams::default())
            .await,
    );
    let checks = [
        Access::new("create", "kargo.akuity.io", "warehouses").in_namespace(&namespace),
        Access::new("update", "kargo.akuity.io", "warehouses").in_namespace(&namespace),
        Access::new("update", "kargo.akuity.io", "projectconfigs")
            .on("status")
            .in_namespace(&namespace),
        Access::new("get", "kargo.akuity.io", "promotions").in_namespace(&namespace),
        Access::new("update", "kargo.akuity.io", "promotions").in_namespace(&namespace),
        Access::new("list", "kargo.akuity.io", "stages"),
        Access::new("watch", "coordination.k8s.io", "leases").in_namespace(&release.namespace),
        Access::new("delete", "events.k8s.io", "events").in_namespace(&namespace),
        Access::new("create", "", "events").in_namespace(&namespace),
        Access::new("list", "", "secrets"),
        Access::new("create", "", "pods").in_namespace(&release.namespace),
    ];
    let mut allowed = BTreeMap::new();
    for access in &checks {
        if may(gateway, access).await {
            allowed.insert(format!("{access:?}"), true);
        }
    }
    assert!(allowed.is_empty(), "the gateway may also: {allowed:#?}");
    // The admin's view agrees (SubjectAccessReview, as in the docs).
    assert!(
        !account_may(
            control_plane,
            &release.namespace,
            &release.account,
            &Access::new("list", "", "secrets")
        )
        .await
    );
}
