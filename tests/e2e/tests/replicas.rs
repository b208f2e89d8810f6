//! Several replicas: every one serves webhooks, exactly one (the Lease
//! holder) publishes status, and another takes over when it stops.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kargo_webhook_e2e::{
    REACTION, RunningGateway, deliver, ensure_namespace, eventually, fixture, nginx_project,
    project_status, test_config,
};
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::Api;
use serde_json::json;

const AUTH: &str = "Bearer replicas-secret";
const LEASE_NAMESPACE: &str = "replicas-lease";
const LEASE: &str = "replicas-test";

fn replica(name: &str) -> RunningGateway {
    let mut config = test_config();
    config.leader_election = true;
    config.lease_namespace = LEASE_NAMESPACE.to_owned();
    config.lease_name = LEASE.to_owned();
    config.identity = name.to_owned();
    config.external_url = format!("http://{name}.test");
    RunningGateway::start(ControlPlane::shared(), Identity::Admin, config)
}

async fn published_url(client: &kube::Client, namespace: &str) -> Option<String> {
    let status = project_status(client, namespace).await?;
    status["webhookReceivers"][0]["url"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn every_replica_serves_and_only_the_lease_holder_publishes() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    ensure_namespace(&client, LEASE_NAMESPACE).await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);

    let first = replica("replica-a");
    let holder = eventually("replica-a holding the Lease", REACTION, || async {
        leases.get_opt(LEASE).await.ok()??.spec?.holder_identity
    })
    .await;
    assert_eq!(holder, "replica-a");
    let second = replica("replica-b");

    let namespace = control_plane.fresh_namespace("replicas").await;
    nginx_project(&client, &namespace, AUTH, &[&first, &second]).await;
    let url = eventually("the leader's URL in status", REACTION, || {
        published_url(&client, &namespace)
    })
    .await;
    assert!(url.starts_with("http://replica-a.test/harbor/"), "{url}");

    // The follower does not overwrite the leader's status.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            published_url(&client, &namespace).await.as_deref(),
            Some(url.as_str())
        );
    }

    // Both replicas serve the same receiver path.
    let path = url.trim_start_matches("http://replica-a.test");
    for gateway in [&first, &second] {
        gateway.wait_served(path).await;
        let (status, body) = deliver(
            &gateway.url(path),
            Some(AUTH),
            "application/json",
            fixture("push-simple.json"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["warehouses"], json!([format!("{namespace}/nginx")]));
    }

    // The leader stops (releasing the Lease); the other takes over and
    // publishes its own URL.
    first.stop();
    let url = eventually("the new leader's URL in status", REACTION, || async {
        published_url(&client, &namespace)
            .await
            .filter(|url| url.starts_with("http://replica-b.test/"))
    })
    .await;
    assert!(url.ends_with(path), "{url}");
    let holder = leases
        .get(LEASE)
        .await
        .expect("lease")
        .spec
        .and_then(|s| s.holder_identity);
    assert_eq!(holder.as_deref(), Some("replica-b"));
    second.stop();
}
