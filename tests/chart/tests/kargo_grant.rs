//! The drop-in install works with exactly Kargo's grant: the gateway runs as
//! `kargo-external-webhooks-server` in "Kargo's namespace" with a real
//! ServiceAccount token, bound only to the chart's default ClusterRole and
//! Role plus what Kargo creates for that account (the ClusterRole
//! `kargo-project-secrets-reader`, bound in a project namespace and in the
//! cluster Secrets namespace). No cluster-wide Secret access exists.
//!
//! The Harbor flow works for a project and for the ClusterConfig; a
//! project without Kargo's RoleBinding gets its receiver reported
//! `SecretAccessDenied` (an Event), is not served, and its Secret is never
//! read (the API server says the account may not list it). Its own binary, so
//! its control plane holds no other test's ProjectConfigs.

mod common;

use common::KARGO_ACCOUNT;
use common::install::{
    Access, account_may, apply_chart_rbac, apply_kargo_grant, service_account_config,
    wait_until_allowed,
};
use k8s_openapi::api::coordination::v1::Lease;
use kargo_webhook_e2e::{
    REACTION, RunningGateway, deliver, eventually, fixture, kargo_controller, nginx_project,
    project_status, put_project_config, put_secret, refresh_token, test_config,
};
use kargo_webhook_testenv::ControlPlane;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use serde_json::{Value, json};

const AUTH: &str = "Bearer kargo-grant-secret";
const CLUSTER_AUTH: &str = "Bearer kargo-grant-cluster-secret";

/// Kargo's path of a Harbor receiver, as the e2e stand-in for Kargo's
/// controller computes it (its own implementation of Kargo's formula, not
/// the gateway's, so that a wrong formula in the gateway fails here).
fn kargo_path(project: &str, receiver: &str, secret: &str) -> String {
    kargo_controller::receiver_path("", project, "harbor", receiver, secret.as_bytes())
}

/// The Events (events.k8s.io) about the ProjectConfig of `namespace`, as
/// `(reason, note)`.
async fn project_config_events(admin: &kube::Client, namespace: &str) -> Vec<(String, String)> {
    let events = Api::<DynamicObject>::namespaced_with(
        admin.clone(),
        namespace,
        &ApiResource::from_gvk(&GroupVersionKind::gvk("events.k8s.io", "v1", "Event")),
    );
    let listed = events
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("listing Events in {namespace}: {e}"));
    listed
        .items
        .iter()
        .filter(|event| {
            event.data["regarding"]["kind"] == "ProjectConfig"
                && event.data["regarding"]["name"] == namespace
        })
        .map(|event| {
            let text = |field: &str| event.data[field].as_str().unwrap_or_default().to_owned();
            (text("reason"), text("note"))
        })
        .collect()
}

#[tokio::test]
async fn the_harbor_flow_works_with_only_kargos_grant() {
    let control_plane = ControlPlane::shared();
    let admin = control_plane.admin_client();

    // Kargo's namespace, with the chart's default (drop-in) RBAC in it.
    let kargo_namespace = control_plane.fresh_namespace("kargo").await;
    let fullname = "kargo-webhook-gateway";
    let rbac = apply_chart_rbac(
        control_plane,
        fullname,
        &kargo_namespace,
        &[("fullnameOverride", fullname)],
    )
    .await;
    assert!(
        rbac.iter()
            .all(|manifest| !manifest.object["rules"].to_string().contains("secrets")),
        "the drop-in chart grants no Secret access"
    );

    // What Kargo creates: its ClusterRole, bound in the project namespace and
    // the cluster Secrets namespace. Not in `denied`.
    let granted = control_plane.fresh_namespace("kargo-grant").await;
    let denied = control_plane.fresh_namespace("kargo-no-grant").await;
    let cluster_secrets = control_plane.fresh_namespace("kargo-cluster-secrets").await;
    apply_kargo_grant(
        control_plane,
        &kargo_namespace,
        &[&granted, &cluster_secrets],
    )
    .await;

    let account_config =
        service_account_config(control_plane, &kargo_namespace, KARGO_ACCOUNT).await;
    let probe = kube::Client::try_from(account_config.clone()).expect("account client");
    for namespace in [&granted, &cluster_secrets] {
        wait_until_allowed(
            &probe,
            &Access::new("list", "", "secrets").in_namespace(namespace),
        )
        .await;
    }
    wait_until_allowed(
        &probe,
        &Access::new("get", "coordination.k8s.io", "leases")
            .in_namespace(&kargo_namespace)
            .named(fullname),
    )
    .await;

    // The drop-in gateway: status left to Kargo, a Lease in its namespace.
    let mut config = test_config();
    config.publish_status = false;
    config.leader_election = true;
    config.lease_namespace = kargo_namespace.clone();
    config.lease_name = fullname.to_owned();
    config.identity = "kargo-grant-test".to_owned();
    config.cluster_secrets_namespace = cluster_secrets.clone();
    let gateway = RunningGateway::start_with(
        move || kube::Client::try_from(account_config).expect("gateway client"),
        config,
    );

    // A project whose Secret Kargo lets the account read.
    nginx_project(&admin, &granted, AUTH, &[&gateway]).await;
    let path = kargo_path(&granted, "harbor", AUTH);
    let before = refresh_token(&admin, &granted, "nginx").await;
    let body = eventually("a delivery to Kargo's URL to succeed", REACTION, || async {
        let (status, body) = deliver(
            &gateway.url(&path),
            Some(AUTH),
            "application/json",
            fixture("push-simple.json"),
        )
        .await;
        (status == 200).then_some(body)
    })
    .await;
    assert_eq!(body["warehouses"], json!([format!("{granted}/nginx")]));
    assert_ne!(refresh_token(&admin, &granted, "nginx").await, before);

    // The ClusterConfig's receiver, its Secret in the cluster Secrets
    // namespace: refreshes the same Warehouse.
    put_secret(
        &admin,
        &cluster_secrets,
        "cluster-harbor",
        &[("auth-header", CLUSTER_AUTH)],
    )
    .await;
    let cluster_config: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "ClusterConfig",
        "metadata": {"name": "cluster"},
        "spec": {"webhookReceivers": [
            {"name": "cluster-harbor", "harbor": {"secretRef": {"name": "cluster-harbor"}}}
        ]},
    }))
    .expect("ClusterConfig");
    Api::<DynamicObject>::all_with(
        admin.clone(),
        &ApiResource::from_gvk(&GroupVersionKind::gvk(
            "kargo.akuity.io",
            "v1alpha1",
            "ClusterConfig",
        )),
    )
    .patch(
        "cluster",
        &PatchParams::apply("kargo-webhook-chart-tests").force(),
        &Patch::Apply(&cluster_config),
    )
    .await
    .expect("applying the ClusterConfig");
    let cluster_path = kargo_path("", "cluster-harbor", CLUSTER_AUTH);
    let before = refresh_token(&admin, &granted, "nginx").await;
    let body = eventually(
        "a delivery to the ClusterConfig's URL to succeed",
        REACTION,
        || async {
            let (status, body) = deliver(
                &gateway.url(&cluster_path),
                Some(CLUSTER_AUTH),
                "application/json",
                fixture("push-simple.json"),
            )
            .await;
            (status == 200).then_some(body)
        },
    )
    .await;
    // A ClusterConfig receiver's answer counts the Warehouses of every
    // project without naming them; the refresh is on the Warehouse.
    assert!(
        body["msg"]
            .as_str()
            .is_some_and(|msg| msg.starts_with("refreshed ")),
        "{body}"
    );
    assert_eq!(body.get("warehouses"), None, "{body}");
    assert_ne!(refresh_token(&admin, &granted, "nginx").await, before);

    // A project without Kargo's RoleBinding: the account may not list its
    // Secrets, the receiver is reported SecretAccessDenied, and its URL is
    // not served.
    put_secret(&admin, &denied, "harbor-webhook", &[("auth-header", AUTH)]).await;
    put_project_config(
        &admin,
        &denied,
        json!([{"name": "harbor", "harbor": {"secretRef": {"name": "harbor-webhook"}}}]),
    )
    .await;
    for verb in ["list", "watch", "get"] {
        assert!(
            !account_may(
                control_plane,
                &kargo_namespace,
                KARGO_ACCOUNT,
                &Access::new(verb, "", "secrets").in_namespace(&denied),
            )
            .await,
            "the account may {verb} Secrets in {denied}"
        );
    }
    let (reason, note) = eventually(
        "a SecretAccessDenied Event on the ProjectConfig",
        REACTION,
        || async {
            project_config_events(&admin, &denied)
                .await
                .into_iter()
                .find(|(reason, _)| reason == "SecretAccessDenied")
        },
    )
    .await;
    assert_eq!(reason, "SecretAccessDenied");
    assert!(
        note.contains(&denied),
        "the Event names the namespace: {note}"
    );
    assert!(!note.contains(AUTH), "an Event never carries a secret");
    let denied_path = kargo_path(&denied, "harbor", AUTH);
    assert!(
        !note.contains(&denied_path),
        "an Event never carries a receiver path"
    );
    let (status, _) = deliver(
        &gateway.url(&denied_path),
        Some(AUTH),
        "application/json",
        fixture("push-simple.json"),
    )
    .await;
    assert_eq!(
        status, 404,
        "a receiver whose Secret cannot be read is not served"
    );
    // The granted project keeps working and has no problem to report.
    assert!(
        project_config_events(&admin, &granted)
            .await
            .iter()
            .all(|(reason, _)| reason != "SecretAccessDenied")
    );

    // Kargo's controller owns status: the gateway wrote none.
    let status = project_status(&admin, &granted)
        .await
        .unwrap_or(Value::Null);
    assert_eq!(status["webhookReceivers"], Value::Null, "{status}");

    // The Lease in Kargo's namespace, held by this gateway.
    let leases: Api<Lease> = Api::namespaced(admin.clone(), &kargo_namespace);
    let holder = eventually("the Lease held by the gateway", REACTION, || async {
        leases.get_opt(fullname).await.ok()??.spec?.holder_identity
    })
    .await;
    assert_eq!(holder, "kargo-grant-test");
    gateway.stop();
}
