//! The gateway running as its ServiceAccount, with exactly the rights the
//! Helm chart grants, passes the Harbor flow: URL published in status,
//! deliveries refresh the matching Warehouses, the Lease is taken. A rule
//! missing from the chart makes this fail.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::events::v1::Event;
use kargo_webhook_e2e::{
    REACTION, RunningGateway, deliver, eventually, fixture, nginx_project, receiver_path,
    refresh_token, test_config,
};
use kargo_webhook_gateway::REFRESH_EVENT_REASON as REASON;
use kargo_webhook_testenv::{ControlPlane, GATEWAY_NAMESPACE, Identity, apply_chart_rbac};
use kube::api::{Api, ListParams};
use serde_json::json;

const AUTH: &str = "Bearer least-privilege-secret";

#[tokio::test]
async fn the_harbor_flow_works_with_only_the_charts_rbac() {
    let control_plane = ControlPlane::shared();
    apply_chart_rbac(control_plane)
        .await
        .expect("chart RBAC applied");
    let mut config = test_config();
    // As in the chart: elect a status publisher through a Lease in the
    // gateway's own namespace.
    config.leader_election = true;
    config.lease_namespace = GATEWAY_NAMESPACE.to_owned();
    config.lease_name = "kargo-webhook-gateway".to_owned();
    config.identity = "least-privilege-test".to_owned();
    let gateway = RunningGateway::start(control_plane, Identity::Gateway, config);

    let admin = control_plane.admin_client();
    let namespace = control_plane.fresh_namespace("rbac").await;
    nginx_project(&admin, &namespace, AUTH, &[&gateway]).await;
    let path = receiver_path(&admin, &namespace, "harbor").await;
    let (status, body) = deliver(
        &gateway.url(&path),
        Some(AUTH),
        "application/json",
        fixture("push-simple.json"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["warehouses"], json!([format!("{namespace}/nginx")]));
    assert!(refresh_token(&admin, &namespace, "nginx").await.is_some());
    // The refresh's Event needs the Warehouse's uid (a list) and a create.
    let events: Api<Event> = Api::namespaced(admin.clone(), &namespace);
    eventually("the refresh's Event on nginx", REACTION, || async {
        let list = events.list(&ListParams::default()).await.ok()?;
        list.items.into_iter().find(|event| {
            event.reason.as_deref() == Some(REASON)
                && event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("nginx")
                && event
                    .regarding
                    .as_ref()
                    .and_then(|r| r.uid.as_deref())
                    .is_some()
        })
    })
    .await;

    let leases: Api<Lease> = Api::namespaced(admin.clone(), GATEWAY_NAMESPACE);
    let holder = eventually("the Lease held by the gateway", REACTION, || async {
        let lease = leases.get_opt("kargo-webhook-gateway").await.ok()??;
        lease.spec?.holder_identity
    })
    .await;
    assert_eq!(holder, "least-privilege-test");
    gateway.stop();
    // A graceful stop releases the Lease for the next replica.
    let released = leases.get("kargo-webhook-gateway").await.expect("lease");
    assert_eq!(released.spec.and_then(|s| s.holder_identity), None);
}
