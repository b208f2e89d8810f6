//! Kubernetes faults against a real control plane, each test on a private
//! one (`ControlPlane::start`) so that the shared one is never disturbed.
//!
//! Harbor delivers an event at most three times, so the promise checked
//! here is: every failure on the gateway's side is answered with a status
//! Harbor retries (503 with `Retry-After`), within the answer deadline;
//! nothing hangs, nothing panics; and once Kubernetes is back the gateway
//! recovers by itself and its view converges to the truth.

use std::time::{Duration, Instant};

use kargo_webhook_e2e::{
    REACTION, RunningGateway, WatchGate, compact_etcd, create_warehouse, eventually, fixture,
    gateway_panics, put_project_config, put_secret, receiver_path, refresh_token, test_config,
};
use kargo_webhook_gateway::config::Config;
use kargo_webhook_gateway::kargo::Warehouse;
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

const AUTH: &str = "Bearer faults-secret";
const JSON: &str = "application/json";
/// The answer deadline of these gateways.
const DEADLINE: Duration = Duration::from_secs(2);
/// What a loaded 2-core machine may add to the deadline before the answer
/// is on the wire.
const SLACK: Duration = Duration::from_millis(1500);
const NGINX: &str = "harbor.example.com/library/nginx";

fn fault_config() -> Config {
    let mut config = test_config();
    config.answer_deadline = DEADLINE;
    config
}

async fn private_control_plane() -> ControlPlane {
    ControlPlane::start()
        .await
        .unwrap_or_else(|e| panic!("starting a private control plane: {e}"))
}

/// A project with a Harbor receiver; returns its namespace and receiver URL.
async fn project(
    control_plane: &ControlPlane,
    gateway: &RunningGateway,
    prefix: &str,
) -> (String, String) {
    let client = control_plane.admin_client();
    let namespace = control_plane.fresh_namespace(prefix).await;
    put_secret(
        &client,
        &namespace,
        "harbor-webhook",
        &[("auth-header", AUTH)],
    )
    .await;
    put_project_config(&client, &namespace, receivers()).await;
    let path = receiver_path(&client, &namespace, "harbor").await;
    (namespace, gateway.url(&path))
}

fn receivers() -> Value {
    json!([{"name": "harbor", "harbor": {"secretRef": {"name": "harbor-webhook"}}}])
}

fn subscribes_to(repository: &str) -> Value {
    json!([{"image": {"repoURL": repository}}])
}

/// One delivery of push-simple.json (nginx:1.27.1): status, `Retry-After`,
/// body, and how long the answer took. A delivery that hangs fails here.
async fn push(url: &str) -> Delivered {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    let started = Instant::now();
    let response = client
        .post(url)
        .header("content-type", JSON)
        .header("authorization", AUTH)
        .body(fixture("push-simple.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("delivering: {e}"));
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    Delivered {
        status,
        retry_after,
        body,
        took: started.elapsed(),
    }
}

#[derive(Debug)]
struct Delivered {
    status: u16,
    retry_after: Option<String>,
    body: Value,
    took: Duration,
}

impl Delivered {
    /// The `namespace/name`s under `key` ("warehouses" or "gone").
    fn listed(&self, key: &str) -> Vec<String> {
        self.body[key]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A 503 that Harbor retries, answered by the deadline.
    fn assert_retryable_in_time(&self) {
        assert_eq!(self.status, 503, "{self:?}");
        let seconds: u64 = self
            .retry_after
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no Retry-After in seconds: {self:?}"));
        assert!(seconds >= 1, "{self:?}");
        assert!(self.took <= DEADLINE + SLACK, "answered too late: {self:?}");
    }
}

/// Pushes until the answer lists exactly `expected` as refreshed (the
/// gateway's view converging through its watches), and returns it.
async fn push_until_refreshed(url: &str, expected: &[String]) -> Delivered {
    let mut last = None;
    let deadline = Instant::now() + REACTION;
    while Instant::now() < deadline {
        let delivered = push(url).await;
        if delivered.status == 200 && delivered.listed("warehouses") == expected {
            return delivered;
        }
        last = Some(delivered);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("deliveries never refreshed exactly {expected:?}; last answer: {last:?}");
}

fn ids(namespace: &str, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{namespace}/{n}")).collect()
}

const DELIVERIES: &str = "kargo_webhook_deliveries_total";
const PATCHES: &str = "kargo_webhook_refresh_patches_total";
const WATCH_ERRORS: &str = "kargo_webhook_watch_errors_total";

#[tokio::test]
async fn with_the_api_server_down_deliveries_get_503_and_the_gateway_recovers_by_itself() {
    let control_plane = private_control_plane().await;
    let client = control_plane.admin_client();
    let gateway = RunningGateway::start(&control_plane, Identity::Admin, fault_config());
    let (namespace, url) = project(&control_plane, &gateway, "apiserver-down").await;
    create_warehouse(&client, &namespace, "nginx", subscribes_to(NGINX)).await;
    push_until_refreshed(&url, &ids(&namespace, &["nginx"])).await;

    control_plane
        .stop_apiserver()
        .expect("stopping the API server");
    eventually("/readyz to fail", REACTION, || async {
        (gateway.readyz().await == 503).then_some(())
    })
    .await;
    let answers = futures::future::join_all((0..5).map(|_| push(&url))).await;
    for answer in &answers {
        answer.assert_retryable_in_time();
    }
    let metrics = gateway.metrics().await;
    assert!(
        metrics.value(DELIVERIES, r#"provider="harbor",outcome="unavailable""#) >= 5.0,
        "{}",
        metrics.0
    );
    // The patches go on after the answers; they fail while the API server
    // is away.
    eventually("a failed patch to be counted", REACTION, || async {
        let failed = gateway.metrics().await.value(PATCHES, r#"result="error""#);
        (failed >= 1.0).then_some(())
    })
    .await;
    for resource in ["projectconfigs", "clusterconfigs", "secrets", "warehouses"] {
        assert!(
            metrics.value(WATCH_ERRORS, &format!(r#"resource="{resource}""#)) >= 1.0,
            "no watch error counted for {resource}: {}",
            metrics.0
        );
    }

    control_plane
        .start_apiserver()
        .await
        .expect("starting the API server again");
    eventually("/readyz to recover", Duration::from_secs(60), || async {
        (gateway.readyz().await == 200).then_some(())
    })
    .await;
    // The watches resumed by themselves: a Warehouse and a receiver created
    // now are seen without restarting the gateway.
    create_warehouse(&client, &namespace, "after", subscribes_to(NGINX)).await;
    let recovered = push_until_refreshed(&url, &ids(&namespace, &["after", "nginx"])).await;
    assert!(recovered.took <= DEADLINE + SLACK, "{recovered:?}");
    let (_, second_url) = project(&control_plane, &gateway, "after-recovery").await;
    assert_eq!(push(&second_url).await.status, 200);
    assert_eq!(gateway_panics(), 0, "the gateway panicked");
    gateway.stop();
}

#[tokio::test]
async fn with_etcd_stalled_the_deadline_holds_and_the_patch_lands_later() {
    let control_plane = private_control_plane().await;
    let client = control_plane.admin_client();
    let gateway = RunningGateway::start(&control_plane, Identity::Admin, fault_config());
    let (namespace, url) = project(&control_plane, &gateway, "etcd-slow").await;
    create_warehouse(&client, &namespace, "nginx", subscribes_to(NGINX)).await;
    push_until_refreshed(&url, &ids(&namespace, &["nginx"])).await;
    let before = refresh_token(&client, &namespace, "nginx").await;
    let metrics = gateway.metrics().await;
    let successes = metrics.value(PATCHES, r#"result="success""#);
    let errors = metrics.value(PATCHES, r#"result="error""#);

    control_plane.pause_etcd().expect("pausing etcd");
    let stalled = push(&url).await;
    // Resume before asserting, so that a failed assertion leaves a working
    // control plane to shut down.
    let still_in_flight = gateway
        .metrics()
        .await
        .value(PATCHES, r#"result="success""#);
    control_plane.resume_etcd().expect("resuming etcd");
    stalled.assert_retryable_in_time();
    assert!(
        stalled.took >= DEADLINE,
        "answered before the deadline although etcd was stalled: {stalled:?}"
    );
    assert_eq!(
        still_in_flight, successes,
        "a patch landed while etcd was paused"
    );

    // The patch that was in flight completes and is counted; the Warehouse
    // carries its refresh.
    eventually("the stalled patch to land", REACTION, || async {
        let now = gateway
            .metrics()
            .await
            .value(PATCHES, r#"result="success""#);
        (now >= successes + 1.0).then_some(())
    })
    .await;
    let after = refresh_token(&client, &namespace, "nginx").await;
    assert!(
        after.is_some() && after != before,
        "{before:?} -> {after:?}"
    );
    let metrics = gateway.metrics().await;
    assert_eq!(
        metrics.value(PATCHES, r#"result="error""#),
        errors,
        "the stalled patch should complete, not fail: {}",
        metrics.0
    );
    // Harbor's retry is then answered as usual.
    let retried = push(&url).await;
    assert_eq!(retried.status, 200, "{retried:?}");
    assert_eq!(gateway_panics(), 0, "the gateway panicked");
    gateway.stop();
}

#[tokio::test]
async fn a_warehouse_deleted_between_match_and_patch_is_reported_gone() {
    let control_plane = private_control_plane().await;
    let client = control_plane.admin_client();
    let gate = WatchGate::new();
    let gateway = {
        let gate = gate.clone();
        let kube_config = control_plane.config(Identity::Admin);
        RunningGateway::start_with(move || gate.client(kube_config), fault_config())
    };
    let (namespace, url) = project(&control_plane, &gateway, "gone").await;
    create_warehouse(&client, &namespace, "nginx-a", subscribes_to(NGINX)).await;
    create_warehouse(&client, &namespace, "nginx-b", subscribes_to(NGINX)).await;
    push_until_refreshed(&url, &ids(&namespace, &["nginx-a", "nginx-b"])).await;
    let before = refresh_token(&client, &namespace, "nginx-a").await;

    // The gateway's view stands still: its index keeps nginx-b, which the
    // API server no longer has when the patch arrives.
    gate.hold();
    let warehouses: Api<Warehouse> = Api::namespaced(client.clone(), &namespace);
    warehouses
        .delete("nginx-b", &DeleteParams::default())
        .await
        .expect("deleting nginx-b");
    eventually("nginx-b to be gone", REACTION, || async {
        warehouses
            .get_opt("nginx-b")
            .await
            .ok()
            .and_then(|w| w.is_none().then_some(()))
    })
    .await;
    let answer = push(&url).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.body,
        json!({
            "msg": "refreshed 1 warehouse(s)",
            "warehouses": [format!("{namespace}/nginx-a")],
            "gone": [format!("{namespace}/nginx-b")],
        })
    );
    let after = refresh_token(&client, &namespace, "nginx-a").await;
    assert!(
        after.is_some() && after != before,
        "{before:?} -> {after:?}"
    );
    let metrics = gateway.metrics().await;
    assert!(
        metrics.value(PATCHES, r#"result="not_found""#) >= 1.0,
        "{}",
        metrics.0
    );

    // Once the watch catches up, the deleted Warehouse is no longer matched.
    gate.release();
    let caught_up = push_until_refreshed(&url, &ids(&namespace, &["nginx-a"])).await;
    assert_eq!(caught_up.body.get("gone"), None, "{caught_up:?}");
    assert_eq!(gateway_panics(), 0, "the gateway panicked");
    gateway.stop();
}

#[tokio::test]
async fn after_an_outage_over_compacted_history_the_watches_relist_and_converge() {
    let control_plane = private_control_plane().await;
    let client = control_plane.admin_client();
    let gateway = RunningGateway::start(&control_plane, Identity::Admin, fault_config());
    let (kept, kept_url) = project(&control_plane, &gateway, "relist-kept").await;
    let (dropped, dropped_url) = project(&control_plane, &gateway, "relist-dropped").await;
    create_warehouse(&client, &kept, "steady", subscribes_to(NGINX)).await;
    create_warehouse(&client, &kept, "doomed", subscribes_to(NGINX)).await;
    create_warehouse(
        &client,
        &kept,
        "changed",
        subscribes_to("harbor.example.com/library/redis"),
    )
    .await;
    push_until_refreshed(&kept_url, &ids(&kept, &["doomed", "steady"])).await;
    assert_eq!(push(&dropped_url).await.status, 200);

    // The gateway's API server goes away; the cluster changes behind its
    // back through another API server on the same etcd.
    control_plane
        .stop_apiserver()
        .expect("stopping the API server");
    let new_project = {
        let extra = control_plane
            .start_extra_apiserver()
            .await
            .expect("starting a second API server");
        let other = extra.client(Identity::Admin).expect("client");
        // A private control plane: a fixed name cannot collide.
        let new_project = "relist-new".to_owned();
        kargo_webhook_e2e::ensure_namespace(&other, &new_project).await;
        put_secret(
            &other,
            &new_project,
            "harbor-webhook",
            &[("auth-header", AUTH)],
        )
        .await;
        put_project_config(&other, &new_project, receivers()).await;
        let configs: Api<kargo_webhook_gateway::kargo::ProjectConfig> =
            Api::namespaced(other.clone(), &dropped);
        configs
            .delete(&dropped, &DeleteParams::default())
            .await
            .expect("deleting a ProjectConfig");
        let warehouses: Api<Warehouse> = Api::namespaced(other.clone(), &kept);
        warehouses
            .delete("doomed", &DeleteParams::default())
            .await
            .expect("deleting a Warehouse");
        warehouses
            .patch(
                "changed",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"subscriptions": subscribes_to(NGINX)}})),
            )
            .await
            .expect("changing a Warehouse's subscription");
        create_warehouse(&other, &kept, "new", subscribes_to(NGINX)).await;
        // Forget the history of all that: a watch resuming from the old
        // resource version must re-list (410 Gone).
        compact_etcd(&control_plane.etcd_url()).await;
        extra.stop().expect("stopping the second API server");
        new_project
    };
    control_plane
        .start_apiserver()
        .await
        .expect("starting the API server again");

    // From the moment the API server is back, no delivery is answered 200
    // from the view of before the outage: each answer is either the truth
    // (the changed subscription and the new Warehouse matched, the deleted
    // one neither refreshed nor reported) or a 503 that Harbor retries.
    let truth = ids(&kept, &["changed", "new", "steady"]);
    let converged = Instant::now() + REACTION;
    loop {
        let answer = push(&kept_url).await;
        if answer.status == 200 {
            assert_eq!(
                answer.listed("warehouses"),
                truth,
                "answered 200 from a stale view: {answer:?}"
            );
            assert_eq!(answer.body.get("gone"), None, "{answer:?}");
            break;
        }
        answer.assert_retryable_in_time();
        assert!(
            Instant::now() < converged,
            "the index never converged: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The receiver table converged: the new ProjectConfig's URL is
    // published and works, the deleted one's answers 404.
    let new_path = receiver_path(&client, &new_project, "harbor").await;
    let answer = push(&gateway.url(&new_path)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let gone = push(&dropped_url).await;
    assert_eq!(
        (gone.status, &gone.body),
        (404, &json!({"error": "not found"}))
    );
    assert_eq!(
        gateway
            .metrics()
            .await
            .value("kargo_webhook_indexed_warehouses", ""),
        3.0
    );
    assert_eq!(gateway_panics(), 0, "the gateway panicked");
    gateway.stop();
}

#[tokio::test]
async fn a_patch_stalled_past_its_timeout_fails_and_is_retried_until_it_lands() {
    let control_plane = private_control_plane().await;
    let client = control_plane.admin_client();
    let gateway = RunningGateway::start(&control_plane, Identity::Admin, fault_config());
    let (namespace, url) = project(&control_plane, &gateway, "etcd-stuck").await;
    create_warehouse(&client, &namespace, "nginx", subscribes_to(NGINX)).await;
    push_until_refreshed(&url, &ids(&namespace, &["nginx"])).await;
    let before = refresh_token(&client, &namespace, "nginx").await;

    control_plane.pause_etcd().expect("pausing etcd");
    let stalled = push(&url).await;
    // A patch that hangs must not hold the Warehouse's refreshes forever:
    // it times out, counts as an error, and is retried.
    let started = Instant::now();
    let failed = tokio::time::timeout(Duration::from_secs(25), async {
        loop {
            let metrics = gateway.metrics().await;
            if metrics.value(PATCHES, r#"result="error""#) >= 1.0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let waited = started.elapsed();
    control_plane.resume_etcd().expect("resuming etcd");
    stalled.assert_retryable_in_time();
    assert!(
        failed.is_ok(),
        "the stalled patch neither landed nor failed within {waited:?}"
    );
    eventually("the retried patch to land", REACTION, || async {
        let after = refresh_token(&client, &namespace, "nginx").await;
        (after.is_some() && after != before).then_some(())
    })
    .await;
    let retried = push(&url).await;
    assert_eq!(retried.status, 200, "{retried:?}");
    assert_eq!(gateway_panics(), 0, "the gateway panicked");
    gateway.stop();
}
