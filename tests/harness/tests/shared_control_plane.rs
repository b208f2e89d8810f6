//! The shared control plane behaves like the clusters the gateway meets:
//! the pinned Kubernetes version, RBAC enforced for the gateway's
//! ServiceAccount, the Kargo CRDs installed with Kargo's validation and
//! unknown-field handling, and the samples applicable.

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kargo_webhook_testenv::{
    ControlPlane, GATEWAY_NAMESPACE, GATEWAY_SERVICE_ACCOUNT, Identity, read_manifests,
};
use kube::api::{Api, ApiResource, DynamicObject, ObjectMeta, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use serde_json::json;
use std::time::{Duration, Instant};

fn kargo_api(
    client: kube::Client,
    namespace: &str,
    kind: &str,
    plural: &str,
) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
    Api::namespaced_with(client, namespace, &resource)
}

fn forbidden(result: kube::Result<impl std::fmt::Debug>) -> bool {
    matches!(result, Err(kube::Error::Api(status)) if status.code == 403)
}

#[tokio::test]
async fn serves_the_pinned_kubernetes_release_on_loopback() {
    let control_plane = ControlPlane::shared();
    assert!(
        control_plane.server_url().starts_with("https://127.0.0.1:"),
        "{}",
        control_plane.server_url()
    );
    let version = control_plane
        .admin_client()
        .apiserver_version()
        .await
        .expect("GET /version");
    let go_mod = std::fs::read_to_string(
        kargo_webhook_testenv::paths::repository_root().join("tests/controlplane/go.mod"),
    )
    .expect("reading go.mod");
    let pinned = go_mod
        .lines()
        .find_map(|line| line.trim().strip_prefix("k8s.io/kubernetes "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("go.mod pins k8s.io/kubernetes");
    assert_eq!(version.git_version, pinned);
}

#[tokio::test]
async fn the_gateway_identity_has_only_what_rbac_grants() {
    let control_plane = ControlPlane::shared();
    let namespace = control_plane.fresh_namespace("rbac").await;
    let as_gateway: Api<Secret> = Api::namespaced(control_plane.gateway_client(), &namespace);
    let as_admin: Api<Secret> = Api::namespaced(control_plane.admin_client(), &namespace);

    assert!(
        forbidden(as_gateway.list(&Default::default()).await),
        "the gateway must not list Secrets before any binding"
    );
    as_admin
        .list(&Default::default())
        .await
        .expect("the admin lists Secrets");

    // A RoleBinding to the ServiceAccount (as the Helm chart writes them)
    // applies to the gateway's token.
    let meta = |name: &str| ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.clone()),
        ..Default::default()
    };
    let role = Role {
        metadata: meta("read-secrets"),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["secrets".into()]),
            verbs: vec!["list".into()],
            ..Default::default()
        }]),
    };
    let binding = RoleBinding {
        metadata: meta("gateway-reads-secrets"),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "Role".into(),
            name: "read-secrets".into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: GATEWAY_SERVICE_ACCOUNT.into(),
            namespace: Some(GATEWAY_NAMESPACE.into()),
            ..Default::default()
        }]),
    };
    let admin = control_plane.admin_client();
    Api::<Role>::namespaced(admin.clone(), &namespace)
        .create(&PostParams::default(), &role)
        .await
        .expect("creating the Role");
    Api::<RoleBinding>::namespaced(admin, &namespace)
        .create(&PostParams::default(), &binding)
        .await
        .expect("creating the RoleBinding");

    // RBAC reaches the authorizer through an informer: allow it a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match as_gateway.list(&Default::default()).await {
            Ok(_) => break,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the binding did not take effect: {e}"),
        }
    }
    // ...and only in that namespace.
    let elsewhere = control_plane.fresh_namespace("rbac-elsewhere").await;
    assert!(forbidden(
        Api::<Secret>::namespaced(control_plane.gateway_client(), &elsewhere)
            .list(&Default::default())
            .await
    ));
}

#[tokio::test]
async fn the_kargo_crds_are_established_with_the_right_scope() {
    let control_plane = ControlPlane::shared();
    let api: Api<CustomResourceDefinition> = Api::all(control_plane.admin_client());
    for (name, scope) in [
        ("projectconfigs.kargo.akuity.io", "Namespaced"),
        ("clusterconfigs.kargo.akuity.io", "Cluster"),
        ("warehouses.kargo.akuity.io", "Namespaced"),
    ] {
        let crd = api
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(crd.spec.scope, scope, "{name}");
        let established = crd
            .status
            .and_then(|status| status.conditions)
            .unwrap_or_default()
            .into_iter()
            .any(|condition| condition.type_ == "Established" && condition.status == "True");
        assert!(established, "{name} is not Established");
    }
}

#[tokio::test]
async fn a_warehouse_keeps_unknown_subscription_and_status_fields() {
    let control_plane = ControlPlane::shared();
    let namespace = control_plane.fresh_namespace("warehouse").await;
    let api = kargo_api(
        control_plane.admin_client(),
        &namespace,
        "Warehouse",
        "warehouses",
    );
    let subscriptions = json!([
        {
            "image": {
                "repoURL": "harbor.example.com/library/nginx",
                "imageSelectionStrategy": "SemVer",
                "constraint": "^1.27.0",
                "aFieldFromAFutureKargo": {"nested": [1, 2, 3]}
            },
            "somethingElse": true
        },
        {"chart": {"repoURL": "oci://harbor.example.com/charts/podinfo", "semverConstraint": "^0.9.0"}}
    ]);
    let warehouse: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "Warehouse",
        "metadata": {"name": "roundtrip"},
        "spec": {"subscriptions": subscriptions, "freightCreationPolicy": "Automatic"}
    }))
    .expect("a Warehouse object");
    api.create(&PostParams::default(), &warehouse)
        .await
        .expect("creating the Warehouse");

    let status = json!({"status": {
        "lastHandledRefresh": "2026-01-01T00:00:00Z",
        "discoveredArtifacts": {"images": [{"repoURL": "harbor.example.com/library/nginx"}]}
    }});
    api.patch_status("roundtrip", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("patching the status");

    let stored = api.get("roundtrip").await.expect("reading it back");
    assert_eq!(stored.data["spec"]["subscriptions"], subscriptions);
    assert_eq!(
        stored.data["spec"]["interval"], "5m0s",
        "the CRD's default applies"
    );
    assert_eq!(stored.data["status"], status["status"]);
}

#[tokio::test]
async fn project_config_receivers_are_validated_like_kargo_does() {
    let control_plane = ControlPlane::shared();
    let namespace = control_plane.fresh_namespace("projectconfig").await;
    let api = kargo_api(
        control_plane.admin_client(),
        &namespace,
        "ProjectConfig",
        "projectconfigs",
    );
    let with_receiver = |receiver: serde_json::Value| -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "kargo.akuity.io/v1alpha1",
            "kind": "ProjectConfig",
            "metadata": {"name": namespace},
            "spec": {"webhookReceivers": [receiver]}
        }))
        .expect("a ProjectConfig object")
    };

    for bad in [
        json!({"name": "Not_A_DNS_Name", "harbor": {"secretRef": {"name": "s"}}}),
        json!({"name": "", "harbor": {"secretRef": {"name": "s"}}}),
        json!({"harbor": {"secretRef": {"name": "s"}}}),
        json!({"name": "harbor", "harbor": {}}),
    ] {
        let result = api
            .create(&PostParams::default(), &with_receiver(bad.clone()))
            .await;
        assert!(
            matches!(&result, Err(kube::Error::Api(status)) if status.code == 422),
            "{bad} must be rejected, got {result:?}"
        );
    }

    // Two provider fields are accepted by the schema (Kargo reports them in
    // the Ready condition instead), and artifactory keeps virtualRepoName.
    let receiver = json!({
        "name": "two-providers",
        "harbor": {"secretRef": {"name": "s"}},
        "artifactory": {"secretRef": {"name": "s"}, "virtualRepoName": "virtual"}
    });
    api.create(&PostParams::default(), &with_receiver(receiver.clone()))
        .await
        .expect("a receiver naming two providers is stored");
    let stored = api.get(&namespace).await.expect("reading it back");
    assert_eq!(stored.data["spec"]["webhookReceivers"][0], receiver);

    let status = json!({"status": {
        "webhookReceivers": [{"name": "two-providers", "path": "/harbor/abc", "url": "https://gw.example.com/harbor/abc"}],
        "observedGeneration": 1,
        "conditions": [{
            "type": "Ready", "status": "False", "reason": "SyncWebhookReceiversFailed",
            "message": "receiver two-providers names two providers",
            "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1
        }]
    }});
    api.patch_status(&namespace, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("patching the status");
    let stored = api.get(&namespace).await.expect("reading it back");
    assert_eq!(stored.data["status"], status["status"]);
}

#[tokio::test]
async fn fresh_namespaces_are_unique_and_exist() {
    let control_plane = ControlPlane::shared();
    let first = control_plane.fresh_namespace("Unique Test").await;
    let second = control_plane.fresh_namespace("Unique Test").await;
    assert_ne!(first, second);
    assert!(first.starts_with("unique-test-"), "{first}");
    let api: Api<Namespace> = Api::all(control_plane.admin_client());
    for name in [&first, &second] {
        api.get(name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[tokio::test]
async fn the_samples_apply_and_describe_the_harbor_guide() {
    let control_plane = ControlPlane::shared();
    let applied = control_plane
        .apply_samples()
        .await
        .expect("applying the samples");
    assert_eq!(
        applied,
        [
            "Namespace/kargo-demo",
            "Secret/kargo-demo/harbor-webhook",
            "ProjectConfig/kargo-demo/kargo-demo",
            "Warehouse/kargo-demo/nginx",
            "Warehouse/kargo-demo/podinfo",
            "Warehouse/kargo-demo/redis",
        ]
    );
    // Applying twice is harmless (server-side apply).
    control_plane.apply_samples().await.expect("applying again");

    let admin = control_plane.admin_client();
    let secret = Api::<Secret>::namespaced(admin.clone(), "kargo-demo")
        .get("harbor-webhook")
        .await
        .expect("the Secret");
    assert!(secret.data.unwrap_or_default().contains_key("auth-header"));
    let config = kargo_api(
        admin.clone(),
        "kargo-demo",
        "ProjectConfig",
        "projectconfigs",
    )
    .get("kargo-demo")
    .await
    .expect("the ProjectConfig");
    assert_eq!(
        config.data["spec"]["webhookReceivers"],
        json!([{"name": "harbor", "harbor": {"secretRef": {"name": "harbor-webhook"}}}])
    );

    // The Warehouses subscribe to the repositories of the Harbor fixtures.
    let warehouses = kargo_api(admin, "kargo-demo", "Warehouse", "warehouses");
    let nginx = warehouses.get("nginx").await.expect("nginx");
    assert_eq!(
        nginx.data["spec"]["subscriptions"][0]["image"]["repoURL"],
        "harbor.example.com/library/nginx"
    );
    let podinfo = warehouses.get("podinfo").await.expect("podinfo");
    assert_eq!(
        podinfo.data["spec"]["subscriptions"][0]["chart"]["repoURL"],
        "oci://harbor.example.com/charts/podinfo"
    );
}

#[test]
fn every_crd_and_sample_parses() {
    let root = kargo_webhook_testenv::paths::repository_root();
    let crds = read_manifests(&root.join("config/crd")).expect("config/crd");
    assert_eq!(crds.len(), 4);
    for manifest in crds {
        serde_json::from_value::<CustomResourceDefinition>(manifest.object)
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.path.display()));
    }
    let samples = read_manifests(&root.join("config/samples")).expect("config/samples");
    assert_eq!(samples.len(), 6);
}

#[tokio::test]
async fn kubeconfigs_name_the_server_and_the_identity() {
    let control_plane = ControlPlane::shared();
    for identity in Identity::ALL {
        let path = control_plane.kubeconfig_path(identity);
        let text = std::fs::read_to_string(path).expect("reading the kubeconfig");
        assert!(
            text.contains(&control_plane.server_url()),
            "{}",
            path.display()
        );
        // A client made from the file alone authenticates as the identity.
        let kubeconfig = kube::config::Kubeconfig::read_from(path).expect("parsing it");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("loading it");
        let client = kube::Client::try_from(config).expect("a client");
        let review = serde_json::json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
        });
        let request = http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&review).expect("json"))
            .expect("a request");
        let answer: serde_json::Value = client.request(request).await.expect("whoami");
        assert_eq!(
            answer["status"]["userInfo"]["username"],
            identity.user_name(),
            "{identity:?}"
        );
    }
}
