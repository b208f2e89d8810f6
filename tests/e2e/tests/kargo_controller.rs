//! The stand-in for Kargo's management controller, alone against a real API
//! server: it publishes Kargo's paths and URLs (checked against vectors
//! computed by Kargo's formula, not by the stand-in), leaves out receivers
//! it cannot resolve and says so in `Ready`, follows Secret rotations,
//! skips unchanged statuses, writes nothing while paused, restores its
//! status over a foreign one at the next resync, and writes under its own
//! field manager.
//!
//! Each test has its own stand-in, scoped to the test's namespaces, so that
//! tests running side by side do not share one.

use std::time::Duration;

use kargo_webhook_e2e::kargo_controller::{
    ConfigRef, KARGO_FIELD_MANAGER, receiver_details, status_managers,
};
use kargo_webhook_e2e::{
    KargoController, KargoControllerConfig, REACTION, ensure_namespace, eventually,
    put_project_config, put_secret,
};
use kargo_webhook_testenv::ControlPlane;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

const BASE_URL: &str = "https://kargo-webhooks.example.com";
/// A resync short enough that a test sees several within seconds.
const QUICK_RESYNC: Duration = Duration::from_secs(1);

fn harbor(name: &str, secret: &str) -> Value {
    json!({"name": name, "harbor": {"secretRef": {"name": secret}}})
}

fn stand_in(namespaces: &[&str], resync: Duration) -> KargoController {
    let mut config = KargoControllerConfig::scoped(BASE_URL, namespaces);
    config.resync = resync;
    KargoController::start(ControlPlane::shared(), config)
}

/// A fresh project namespace with the stand-in watching it (resyncing
/// every `resync`) and a Secret `secret` whose `auth-header` is `value`.
async fn project_with_secret(
    prefix: &str,
    resync: Duration,
    secret: &str,
    value: &str,
) -> (kube::Client, String, ConfigRef, KargoController) {
    let client = ControlPlane::shared().admin_client();
    let namespace = ControlPlane::shared().fresh_namespace(prefix).await;
    let target = ConfigRef::project(&namespace);
    let controller = stand_in(&[&namespace], resync);
    put_secret(&client, &namespace, secret, &[("auth-header", value)]).await;
    (client, namespace, target, controller)
}

async fn object(client: &kube::Client, target: &ConfigRef) -> DynamicObject {
    target
        .fetch(client)
        .await
        .unwrap_or_else(|e| panic!("reading {target}: {e}"))
        .unwrap_or_else(|| panic!("{target} does not exist"))
}

fn status(object: &DynamicObject) -> Value {
    object.data.get("status").cloned().unwrap_or(Value::Null)
}

fn ready(status: &Value) -> Option<&Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|condition| condition["type"] == "Ready")
}

/// The names in `status.webhookReceivers`.
fn listed(status: &Value) -> Vec<&str> {
    status["webhookReceivers"]
        .as_array()
        .map(|receivers| {
            receivers
                .iter()
                .filter_map(|r| r["name"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until `target`'s status satisfies `done` and returns the object.
async fn wait_status(
    client: &kube::Client,
    target: &ConfigRef,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> DynamicObject {
    eventually(what, REACTION, || async {
        let object = target.fetch(client).await.ok()??;
        done(&status(&object)).then_some(object)
    })
    .await
}

fn synced_at_generation(object: &DynamicObject) -> bool {
    let status = status(object);
    let generation = object.metadata.generation.unwrap_or(0);
    ready(&status).is_some_and(|ready| ready["status"] == "True" && ready["reason"] == "Synced")
        && status["observedGeneration"] == generation
}

#[tokio::test]
async fn publishes_kargos_path_and_url_for_the_harbor_guide() {
    let client = ControlPlane::shared().admin_client();
    // The guide's project: the vector below is computed for it.
    let namespace = "kargo-demo";
    ensure_namespace(&client, namespace).await;
    let target = ConfigRef::project(namespace);
    let controller = stand_in(&[namespace], QUICK_RESYNC);
    put_secret(
        &client,
        namespace,
        "harbor-wh-secret",
        &[("auth-header", "Basic dXNlcjpwYXNz")],
    )
    .await;
    put_project_config(
        &client,
        namespace,
        json!([harbor("harbor-wh-receiver", "harbor-wh-secret")]),
    )
    .await;

    let path = "/harbor/4f0ac6a21ae1856898de0dedc2269205087253f62f6da8544af05f892e9d8527";
    let published = eventually("the stand-in to publish and settle", REACTION, || async {
        let object = target.fetch(&client).await.ok()??;
        synced_at_generation(&object).then_some(object)
    })
    .await;
    let status = status(&published);
    assert_eq!(
        status["webhookReceivers"],
        json!([{"name": "harbor-wh-receiver", "path": path, "url": format!("{BASE_URL}{path}")}])
    );
    let ready = ready(&status).expect("a Ready condition");
    assert_eq!(
        ready["message"],
        "ProjectConfig is synced and ready for use"
    );
    assert_eq!(
        ready["observedGeneration"],
        published.metadata.generation.unwrap_or(0)
    );
    assert!(
        status["conditions"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["type"] != "Reconciling")),
        "a settled status has no Reconciling condition: {status}"
    );

    // Its writes carry its own field manager, and only its.
    let managers = status_managers(&published);
    assert_eq!(managers, vec![KARGO_FIELD_MANAGER.to_owned()]);
    let writes = controller.writes_to(&target);
    assert!(!writes.is_empty(), "the stand-in recorded no write");
    assert_eq!(
        writes.last().map(|w| w.resource_version.as_str()),
        published.metadata.resource_version.as_deref(),
        "the object's last change is the stand-in's last write"
    );

    // Like Kargo, it sends nothing when nothing changed: several resyncs
    // later, the same object at the same resourceVersion.
    tokio::time::sleep(QUICK_RESYNC * 4).await;
    let later = object(&client, &target).await;
    assert_eq!(
        later.metadata.resource_version,
        published.metadata.resource_version
    );
    assert_eq!(controller.writes_to(&target).len(), writes.len());

    // A refresh request is recorded as handled, as Kargo does.
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", "ProjectConfig"),
            "projectconfigs",
        ),
    );
    api.patch(
        namespace,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"kargo.akuity.io/refresh": "token-1"}}})),
    )
    .await
    .expect("requesting a refresh");
    wait_status(&client, &target, "the refresh to be handled", |s| {
        s["lastHandledRefresh"] == "token-1"
    })
    .await;
    controller.stop();
}

#[tokio::test]
async fn publishes_kargos_path_for_a_cluster_config_receiver() {
    let client = ControlPlane::shared().admin_client();
    let system = "kargo-system-resources";
    ensure_namespace(&client, system).await;
    let controller = stand_in(&[system], QUICK_RESYNC);
    put_secret(
        &client,
        system,
        "cluster-harbor",
        &[("auth-header", "s3cr3t")],
    )
    .await;
    let api: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", "ClusterConfig"),
            "clusterconfigs",
        ),
    );
    let config = json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "ClusterConfig",
        "metadata": {"name": "cluster"},
        "spec": {"webhookReceivers": [harbor("cluster-harbor", "cluster-harbor")]},
    });
    api.patch(
        "cluster",
        &PatchParams::apply("kargo-webhook-e2e").force(),
        &Patch::Apply(&config),
    )
    .await
    .expect("applying the ClusterConfig");

    let target = ConfigRef::cluster();
    let published = wait_status(&client, &target, "the ClusterConfig's receivers", |s| {
        !listed(s).is_empty()
    })
    .await;
    let path = "/harbor/92360f6a37718ad37fc551ed72c0755adb14748fe0f26af7552c4164c993ff7c";
    assert_eq!(
        status(&published)["webhookReceivers"],
        json!([{"name": "cluster-harbor", "path": path, "url": format!("{BASE_URL}{path}")}])
    );
    let ready = ready(&status(&published))
        .cloned()
        .expect("a Ready condition");
    assert_eq!(ready["reason"], "Synced");
    assert_eq!(
        ready["message"],
        "ClusterConfig is synced and ready for use"
    );
    assert_eq!(
        status_managers(&published),
        vec![KARGO_FIELD_MANAGER.to_owned()]
    );
    controller.stop();
}

#[tokio::test]
async fn receivers_that_do_not_resolve_are_not_listed_and_fail_ready() {
    let (client, namespace, target, controller) = project_with_secret(
        "standin-missing",
        Duration::from_secs(30),
        "present",
        "Bearer a",
    )
    .await;
    put_secret(&client, &namespace, "keyless", &[("secret", "x")]).await;
    put_project_config(
        &client,
        &namespace,
        json!([
            harbor("good", "present"),
            harbor("no-secret", "absent"),
            harbor("no-key", "keyless"),
        ]),
    )
    .await;

    let failed = wait_status(&client, &target, "a failing Ready condition", |s| {
        ready(s).is_some_and(|r| r["reason"] == "SyncWebhookReceiversFailed")
    })
    .await;
    let failed_status = status(&failed);
    assert_eq!(listed(&failed_status), vec!["good"]);
    let ready = ready(&failed_status).cloned().expect("a Ready condition");
    assert_eq!(ready["status"], "False");
    let message = ready["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Failed to sync WebhookReceivers: "),
        "{message}"
    );
    for named in [
        "\"no-secret\"",
        "\"no-key\"",
        "\"absent\"",
        "\"auth-header\"",
    ] {
        assert!(message.contains(named), "{named} missing from: {message}");
    }
    assert!(!message.contains("\"good\""), "{message}");
    // As Kargo: a failing pass does not claim the generation.
    assert_ne!(
        failed_status["observedGeneration"],
        failed.metadata.generation.unwrap_or(0)
    );

    // Supplying what was missing fixes it without a spec change: the
    // stand-in reacts to Secret changes.
    put_secret(
        &client,
        &namespace,
        "absent",
        &[("auth-header", "Bearer b")],
    )
    .await;
    put_secret(
        &client,
        &namespace,
        "keyless",
        &[("auth-header", "Bearer c")],
    )
    .await;
    let fixed = wait_status(&client, &target, "all three receivers listed", |s| {
        listed(s).len() == 3
    })
    .await;
    assert_eq!(listed(&status(&fixed)), vec!["good", "no-secret", "no-key"]);
    eventually("Ready to become Synced", REACTION, || async {
        let object = target.fetch(&client).await.ok()??;
        synced_at_generation(&object).then_some(())
    })
    .await;
    controller.stop();
}

#[tokio::test]
async fn follows_a_secret_rotation() {
    let (client, namespace, target, controller) = project_with_secret(
        "standin-rotate",
        Duration::from_secs(30),
        "hook",
        "Bearer old",
    )
    .await;
    put_project_config(&client, &namespace, json!([harbor("harbor", "hook")])).await;
    let expected = |secret: &str| {
        receiver_details(BASE_URL, &namespace, "harbor", "harbor", secret.as_bytes()).path
    };
    let old = expected("Bearer old");
    wait_status(&client, &target, "the first path", |s| {
        s["webhookReceivers"][0]["path"] == old.as_str()
    })
    .await;

    put_secret(
        &client,
        &namespace,
        "hook",
        &[("auth-header", "Bearer new")],
    )
    .await;
    let new = expected("Bearer new");
    assert_ne!(old, new);
    let rotated = wait_status(&client, &target, "the rotated path", |s| {
        s["webhookReceivers"][0]["path"] == new.as_str()
    })
    .await;
    assert_eq!(
        status(&rotated)["webhookReceivers"][0]["url"],
        format!("{BASE_URL}{new}")
    );
    assert!(synced_at_generation(&rotated));
    controller.stop();
}

#[tokio::test]
async fn writes_nothing_while_paused_and_catches_up_on_resume() {
    let (client, namespace, target, controller) =
        project_with_secret("standin-pause", QUICK_RESYNC, "hook", "Bearer one").await;
    put_project_config(&client, &namespace, json!([harbor("harbor", "hook")])).await;
    let before = eventually("the stand-in to settle", REACTION, || async {
        let object = target.fetch(&client).await.ok()??;
        synced_at_generation(&object).then_some(object)
    })
    .await;

    controller.pause().await;
    let writes = controller.writes_to(&target).len();
    // A rotation and a spec change, each of which it would publish.
    put_secret(
        &client,
        &namespace,
        "hook",
        &[("auth-header", "Bearer two")],
    )
    .await;
    put_secret(
        &client,
        &namespace,
        "other",
        &[("auth-header", "Bearer three")],
    )
    .await;
    put_project_config(
        &client,
        &namespace,
        json!([harbor("harbor", "hook"), harbor("second", "other")]),
    )
    .await;
    tokio::time::sleep(QUICK_RESYNC * 4).await;
    let paused = object(&client, &target).await;
    assert_eq!(
        status(&paused),
        status(&before),
        "the status changed while paused"
    );
    assert_eq!(controller.writes_to(&target).len(), writes);

    controller.resume().await;
    let resumed = eventually("the stand-in to catch up", REACTION, || async {
        let object = target.fetch(&client).await.ok()??;
        (synced_at_generation(&object) && listed(&status(&object)).len() == 2).then_some(object)
    })
    .await;
    assert_eq!(
        status(&resumed)["webhookReceivers"][0]["path"],
        receiver_details(BASE_URL, &namespace, "harbor", "harbor", b"Bearer two").path
    );
    assert!(controller.writes_to(&target).len() > writes);
    controller.stop();
}

#[tokio::test]
async fn restores_its_status_over_a_foreign_one_at_the_next_resync() {
    let resync = Duration::from_secs(2);
    let (client, namespace, target, controller) =
        project_with_secret("standin-fight", resync, "hook", "Bearer a").await;
    put_project_config(&client, &namespace, json!([harbor("harbor", "hook")])).await;
    let ours = wait_status(&client, &target, "the stand-in's status", |s| {
        !listed(s).is_empty()
    })
    .await;
    let ours = status(&ours)["webhookReceivers"].clone();

    // Another writer (a gateway publishing its own scheme) overwrites the
    // list; no spec or Secret changes, so only the resync brings it back.
    let foreign = json!([{"name": "harbor", "path": "/harbor/foreign", "url": "http://elsewhere/harbor/foreign"}]);
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        &namespace,
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", "ProjectConfig"),
            "projectconfigs",
        ),
    );
    let params = PatchParams {
        field_manager: Some("someone-else".into()),
        ..PatchParams::default()
    };
    api.patch_status(
        &namespace,
        &params,
        &Patch::Merge(json!({"status": {"webhookReceivers": foreign}})),
    )
    .await
    .expect("writing a foreign status");
    wait_status(&client, &target, "the stand-in's list back", |s| {
        s["webhookReceivers"] == ours
    })
    .await;
    controller.stop();
}
