//! The chart's RBAC is exactly `kargo_webhook_gateway::rbac::REQUIRED`: as
//! rendered, and as a real API server enforces it for the gateway's
//! ServiceAccount.

mod common;

use std::collections::BTreeMap;

use common::{RELEASE, all_of, env_value, one_of, render};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kargo_webhook_gateway::rbac::{REQUIRED, RuleScope};
use kargo_webhook_testenv::helm::chart_dir;
use kargo_webhook_testenv::{
    ControlPlane, GATEWAY_NAMESPACE, GATEWAY_SERVICE_ACCOUNT, Manifest, apply_chart_rbac,
};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::core::GroupVersionKind;
use serde_json::{Value, json};

/// One granted permission, flattened: a rendered rule with several groups or
/// resources counts once per group and resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    scope: &'static str,
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

fn rendered_grants(manifests: &[Manifest]) -> Vec<Grant> {
    let mut grants = Vec::new();
    for (kind, scope) in [("ClusterRole", "cluster"), ("Role", "own namespace")] {
        for role in all_of(manifests, kind) {
            for rule in role["rules"].as_array().expect("rules") {
                for group in strings(&rule["apiGroups"]) {
                    for resource in strings(&rule["resources"]) {
                        grants.push(Grant {
                            scope,
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

fn required_grants(lease_name: &str) -> Vec<Grant> {
    let mut grants: Vec<Grant> = REQUIRED
        .iter()
        .map(|rule| Grant {
            scope: match rule.scope {
                RuleScope::Cluster => "cluster",
                RuleScope::OwnNamespace => "own namespace",
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

#[test]
fn rendered_rules_equal_the_required_ones() {
    for lease in [None, Some("custom-lease")] {
        let set: Vec<(&str, &str)> = lease
            .map(|name| ("externalWebhooksServer.leaseName", name))
            .into_iter()
            .collect();
        let manifests = render(&set);
        let lease_name = env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_LEASE_NAME");
        assert_eq!(lease_name, lease.unwrap_or(RELEASE));
        assert_same_grants(&rendered_grants(&manifests), &required_grants(&lease_name));
    }
}

#[test]
fn the_comparison_names_an_extra_and_a_missing_rule() {
    let manifests = render(&[]);
    let mut rendered = rendered_grants(&manifests);
    let required = required_grants(RELEASE);
    rendered.retain(|grant| grant.resource != "secrets");
    rendered.push(Grant {
        scope: "cluster",
        group: String::new(),
        resource: "configmaps".into(),
        verbs: vec!["get".into()],
        resource_names: Vec::new(),
    });
    let failure = std::panic::catch_unwind(|| assert_same_grants(&rendered, &required))
        .expect_err("a changed rule set must fail");
    let message = failure
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(message.contains("configmaps"), "{message}");
    assert!(message.contains("secrets"), "{message}");
}

#[test]
fn roles_are_bound_to_the_gateway_service_account_only() {
    let manifests = render(&[]);
    let account = one_of(&manifests, "ServiceAccount");
    assert_eq!(account["metadata"]["name"], GATEWAY_SERVICE_ACCOUNT);
    assert_eq!(account["metadata"]["namespace"], GATEWAY_NAMESPACE);
    for (binding_kind, role_kind) in [
        ("ClusterRoleBinding", "ClusterRole"),
        ("RoleBinding", "Role"),
    ] {
        let binding = one_of(&manifests, binding_kind);
        let role = one_of(&manifests, role_kind);
        assert_eq!(binding["roleRef"]["kind"], role_kind);
        assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
        assert_eq!(
            binding["subjects"],
            json!([{
                "kind": "ServiceAccount",
                "name": GATEWAY_SERVICE_ACCOUNT,
                "namespace": GATEWAY_NAMESPACE,
            }]),
            "{binding_kind}"
        );
    }
    assert_eq!(
        one_of(&manifests, "Role")["metadata"]["namespace"],
        GATEWAY_NAMESPACE
    );
}

#[test]
fn each_rule_says_which_code_path_needs_it() {
    let templates = chart_dir().join("templates");
    for rule in REQUIRED {
        let file = match rule.scope {
            RuleScope::Cluster => "clusterrole.yaml",
            RuleScope::OwnNamespace => "role.yaml",
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

/// Whether the API server would let the gateway do this.
async fn may(
    gateway: &kube::Client,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                group: Some(group.into()),
                resource: Some(resource.into()),
                namespace: namespace.map(str::to_owned),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<SelfSubjectAccessReview>::all(gateway.clone())
        .create(&PostParams::default(), &review)
        .await
        .expect("SelfSubjectAccessReview")
        .status
        .is_some_and(|status| status.allowed)
}

#[tokio::test]
async fn the_gateway_identity_can_do_what_its_code_needs() {
    let control_plane = ControlPlane::shared();
    apply_chart_rbac(control_plane)
        .await
        .expect("applying the chart's RBAC");
    let namespace = project(control_plane).await;
    let gateway = control_plane.gateway_client();

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
            .any(|w| w.metadata.namespace.as_deref() == Some(&namespace))
    );
    assert!(may(&gateway, "watch", "kargo.akuity.io", "warehouses", None).await);
    let refresh = Patch::Merge(json!({
        "metadata": {"annotations": {"kargo.akuity.io/refresh": "chart-rbac-test"}}
    }));
    let in_project =
        Api::<DynamicObject>::namespaced_with(gateway.clone(), &namespace, &kargo("Warehouse"));
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

    // ProjectConfigs and ClusterConfigs: list and watch; status patches.
    let configs = Api::<DynamicObject>::all_with(gateway.clone(), &kargo("ProjectConfig"));
    assert_allowed(
        "list ProjectConfigs",
        configs.list(&ListParams::default()).await,
    );
    assert_allowed(
        "list ClusterConfigs",
        Api::<DynamicObject>::all_with(gateway.clone(), &kargo("ClusterConfig"))
            .list(&ListParams::default())
            .await,
    );
    for resource in ["projectconfigs", "clusterconfigs"] {
        assert!(
            may(&gateway, "watch", "kargo.akuity.io", resource, None).await,
            "watch {resource}"
        );
    }
    let project_config =
        Api::<DynamicObject>::namespaced_with(gateway.clone(), &namespace, &kargo("ProjectConfig"));
    let status = Patch::Merge(json!({"status": {"webhookReceivers": [
        {"name": "harbor", "path": "/harbor/x", "url": "https://hooks.example.org/harbor/x"}
    ]}}));
    assert_allowed(
        "patch projectconfigs/status",
        project_config
            .patch_status(&namespace, &PatchParams::default(), &status)
            .await,
    );

    // Secrets: list (with the gateway's selector, and without) and watch.
    let secrets = Api::<Secret>::all(gateway.clone());
    let selected = assert_allowed(
        "list labelled Secrets",
        secrets
            .list(&ListParams::default().labels("kargo.akuity.io/cred-type=generic"))
            .await,
    );
    assert!(
        selected
            .items
            .iter()
            .any(|s| s.metadata.namespace.as_deref() == Some(&namespace))
    );
    assert_allowed("list Secrets", secrets.list(&ListParams::default()).await);
    assert!(may(&gateway, "watch", "", "secrets", None).await);

    // The Lease in its own namespace: create, get, update.
    let lease_name = RELEASE;
    let leases = Api::<Lease>::namespaced(gateway.clone(), GATEWAY_NAMESPACE);
    let lease: Lease =
        serde_json::from_value(json!({"metadata": {"name": lease_name}})).expect("Lease");
    match leases.create(&PostParams::default(), &lease).await {
        Ok(_) => {}
        // Made by an earlier run of this test on the same control plane.
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("the gateway should be allowed to create its Lease: {e}"),
    }
    let mut current = assert_allowed("get its Lease", leases.get(lease_name).await);
    current
        .spec
        .get_or_insert_with(Default::default)
        .holder_identity = Some("chart-rbac-test".into());
    assert_allowed(
        "update its Lease",
        leases
            .replace(lease_name, &PostParams::default(), &current)
            .await,
    );
}

#[tokio::test]
async fn the_gateway_identity_cannot_do_anything_else() {
    let control_plane = ControlPlane::shared();
    apply_chart_rbac(control_plane)
        .await
        .expect("applying the chart's RBAC");
    let namespace = project(control_plane).await;
    let gateway = control_plane.gateway_client();
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

    let secrets = Api::<Secret>::namespaced(gateway.clone(), &namespace);
    assert_forbidden("get a Secret by name", secrets.get("harbor-webhook").await);
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
    let admin_leases = Api::<Lease>::namespaced(admin, GATEWAY_NAMESPACE);
    let other = match admin_leases.create(&PostParams::default(), &other).await {
        Ok(created) => created,
        Err(kube::Error::Api(status)) if status.code == 409 => admin_leases
            .get("someone-elses-lease")
            .await
            .expect("admin reads the Lease"),
        Err(e) => panic!("admin creating a Lease: {e}"),
    };
    let leases = Api::<Lease>::namespaced(gateway.clone(), GATEWAY_NAMESPACE);
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
        serde_json::from_value(json!({"metadata": {"name": RELEASE}})).expect("Lease");
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
    let checks: BTreeMap<&str, bool> = BTreeMap::from([
        (
            "create warehouses",
            may(
                &gateway,
                "create",
                "kargo.akuity.io",
                "warehouses",
                Some(&namespace),
            )
            .await,
        ),
        (
            "update warehouses",
            may(
                &gateway,
                "update",
                "kargo.akuity.io",
                "warehouses",
                Some(&namespace),
            )
            .await,
        ),
        (
            "watch leases",
            may(
                &gateway,
                "watch",
                "coordination.k8s.io",
                "leases",
                Some(GATEWAY_NAMESPACE),
            )
            .await,
        ),
        (
            "list stages",
            may(&gateway, "list", "kargo.akuity.io", "stages", None).await,
        ),
        (
            "create pods",
            may(&gateway, "create", "", "pods", Some(GATEWAY_NAMESPACE)).await,
        ),
    ]);
    let allowed: Vec<&&str> = checks
        .iter()
        .filter(|(_, allowed)| **allowed)
        .map(|(what, _)| what)
        .collect();
    assert!(allowed.is_empty(), "the gateway may also: {allowed:?}");
}
