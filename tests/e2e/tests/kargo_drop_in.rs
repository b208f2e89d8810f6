//! The gateway as a drop-in for Kargo's external webhooks server, beside a
//! stand-in for Kargo's management controller (which owns the status in
//! every real cluster):
//! - with status publishing off, the gateway never writes ProjectConfig
//!   status, serves the URL Kargo publishes, keeps a published URL working
//!   across a Secret rotation that Kargo has not caught up with, and drops
//!   the old path soon after Kargo publishes the new one;
//! - with status publishing on and the same base URL, the two writers agree
//!   and the status settles.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kargo_webhook_e2e::kargo_controller::{
    ConfigRef, KARGO_FIELD_MANAGER, receiver_details, status_managers,
};
use kargo_webhook_e2e::{
    EXTERNAL_URL, KargoController, KargoControllerConfig, REACTION, RunningGateway, deliver,
    eventually, fixture, nginx_project, put_project_config, put_secret, receiver_path,
    refresh_token, test_config,
};
use kargo_webhook_gateway::config::Config;
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher;
use serde_json::json;
use tokio::sync::oneshot;

const AUTH: &str = "Bearer drop-in-first";
const ROTATED: &str = "Bearer drop-in-second";
const JSON: &str = "application/json";
/// How long each test watches the status.
const WINDOW: Duration = Duration::from_secs(60);
/// Deliveries spread over [`WINDOW`].
const DELIVERIES: u32 = 20;
/// How soon after Kargo publishes a new path the old one must be gone.
const OLD_PATH_GONE: Duration = Duration::from_secs(5);

fn gateway_config(publish_status: bool) -> Config {
    let mut config = test_config();
    config.publish_status = publish_status;
    config
}

/// The path Kargo's formula gives the guide's receiver `harbor` in
/// `namespace` under the test gateway's external URL.
fn kargo_path(namespace: &str, secret: &str) -> String {
    receiver_details(
        EXTERNAL_URL,
        namespace,
        "harbor",
        "harbor",
        secret.as_bytes(),
    )
    .path
}

/// The receiver `harbor`'s path in status now.
async fn status_path(client: &kube::Client, namespace: &str) -> Option<String> {
    let object = ConfigRef::project(namespace).fetch(client).await.ok()??;
    let receivers = object
        .data
        .get("status")?
        .get("webhookReceivers")?
        .as_array()?;
    receivers
        .iter()
        .find(|receiver| receiver["name"] == "harbor")?["path"]
        .as_str()
        .map(str::to_owned)
}

async fn push(gateway: &RunningGateway, path: &str, auth: &str) -> u16 {
    deliver(
        &gateway.url(path),
        Some(auth),
        JSON,
        fixture("push-simple.json"),
    )
    .await
    .0
}

/// Every change of one ProjectConfig seen by a watch: when, and its
/// `resourceVersion`.
struct Changes {
    seen: Arc<Mutex<Vec<(Instant, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Changes {
    /// Starts watching and returns once the watch is established, so that
    /// every later change is seen.
    async fn record(client: &kube::Client, namespace: &str) -> Self {
        let api: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            namespace,
            &ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", "ProjectConfig"),
                "projectconfigs",
            ),
        );
        let config = watcher::Config::default().fields(&format!("metadata.name={namespace}"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (established_tx, established_rx) = oneshot::channel();
        let task_seen = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            let mut established = Some(established_tx);
            let mut stream = std::pin::pin!(watcher(api, config));
            while let Some(event) = stream.next().await {
                match event {
                    Ok(watcher::Event::InitDone) => {
                        if let Some(established) = established.take() {
                            let _ = established.send(());
                        }
                    }
                    Ok(watcher::Event::Apply(object)) => {
                        let version = object.metadata.resource_version.unwrap_or_default();
                        task_seen
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((Instant::now(), version));
                    }
                    _ => {}
                }
            }
        });
        tokio::time::timeout(REACTION, established_rx)
            .await
            .expect("the ProjectConfig watch to be established")
            .expect("the watch task to report");
        Self { seen, task }
    }

    fn snapshot(&self) -> Vec<(Instant, String)> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn with_publishing_off_kargo_owns_status_and_its_urls_work() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let namespace = control_plane.fresh_namespace("drop-in").await;
    let target = ConfigRef::project(&namespace);
    let kargo = KargoController::start(
        control_plane,
        KargoControllerConfig::scoped(EXTERNAL_URL, &[&namespace]),
    );
    let gateway = RunningGateway::start(control_plane, Identity::Admin, gateway_config(false));
    nginx_project(&client, &namespace, AUTH, &[&gateway]).await;
    // A second receiver whose Secret comes only halfway through the window,
    // so that Kargo writes the status while the gateway is being watched.
    put_project_config(
        &client,
        &namespace,
        json!([
            {"name": "harbor", "harbor": {"secretRef": {"name": "harbor-webhook"}}},
            {"name": "late", "harbor": {"secretRef": {"name": "late-webhook"}}},
        ]),
    )
    .await;
    let path = receiver_path(&client, &namespace, "harbor").await;
    assert_eq!(path, kargo_path(&namespace, AUTH), "Kargo's path in status");
    gateway.wait_served(&path).await;

    // 60 s, 20 deliveries, each to the URL status shows at that moment.
    let changes = Changes::record(&client, &namespace).await;
    let window_start = Instant::now();
    for delivery in 0..DELIVERIES {
        if delivery == DELIVERIES / 2 {
            put_secret(
                &client,
                &namespace,
                "late-webhook",
                &[("auth-header", "Bearer late")],
            )
            .await;
        }
        let path = status_path(&client, &namespace)
            .await
            .expect("a path in status");
        let before = refresh_token(&client, &namespace, "nginx").await;
        assert_eq!(
            push(&gateway, &path, AUTH).await,
            200,
            "delivery {delivery} to the URL in status"
        );
        let after = refresh_token(&client, &namespace, "nginx").await;
        assert!(
            after.is_some() && after != before,
            "delivery {delivery} refreshed nginx"
        );
        tokio::time::sleep_until((window_start + WINDOW * (delivery + 1) / DELIVERIES).into())
            .await;
    }
    let observed = changes.snapshot();
    drop(changes);

    let kargo_writes = kargo.writes_to(&target);
    assert!(
        kargo_writes.iter().any(|write| write.at > window_start),
        "Kargo published the late receiver during the window"
    );
    for (at, version) in &observed {
        assert!(
            kargo_writes
                .iter()
                .any(|write| &write.resource_version == version),
            "resourceVersion {version} ({:?} into the window) is not one of Kargo's writes",
            at.saturating_duration_since(window_start)
        );
    }
    let object = target
        .fetch(&client)
        .await
        .expect("reading the ProjectConfig")
        .expect("the ProjectConfig");
    assert_eq!(
        status_managers(&object),
        vec![KARGO_FIELD_MANAGER.to_owned()],
        "only Kargo wrote the status"
    );

    // A rotation Kargo has not caught up with: the URL in status keeps
    // working, with the new Secret.
    kargo.pause().await;
    put_secret(
        &client,
        &namespace,
        "harbor-webhook",
        &[("auth-header", ROTATED)],
    )
    .await;
    eventually(
        "the old status URL to accept the rotated Secret",
        REACTION,
        || async { (push(&gateway, &path, ROTATED).await == 200).then_some(()) },
    )
    .await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            push(&gateway, &path, ROTATED).await,
            200,
            "the status URL while Kargo is paused"
        );
        assert_eq!(push(&gateway, &path, AUTH).await, 401, "the old Secret");
    }
    assert_eq!(
        status_path(&client, &namespace).await.as_deref(),
        Some(path.as_str())
    );

    // Kargo publishes the new path; the old one is gone within 5 s of that.
    let written_before = kargo.writes_to(&target).len();
    kargo.resume().await;
    let new_path = kargo_path(&namespace, ROTATED);
    eventually("Kargo to publish the new path", REACTION, || async {
        (status_path(&client, &namespace).await.as_deref() == Some(new_path.as_str())).then_some(())
    })
    .await;
    let published_at = kargo.writes_to(&target)[written_before..]
        .iter()
        .find(|write| {
            write.status["webhookReceivers"]
                .as_array()
                .is_some_and(|receivers| receivers.iter().any(|r| r["path"] == new_path.as_str()))
        })
        .map(|write| write.at)
        .expect("Kargo's write of the new path");
    let gone_at = eventually("the old path to answer 404", OLD_PATH_GONE * 2, || async {
        (push(&gateway, &path, ROTATED).await == 404).then(Instant::now)
    })
    .await;
    assert!(
        gone_at.saturating_duration_since(published_at) <= OLD_PATH_GONE,
        "the old path answered for {:?} after Kargo published the new one",
        gone_at.saturating_duration_since(published_at)
    );
    assert_eq!(
        push(&gateway, &new_path, ROTATED).await,
        200,
        "the new path"
    );
    gateway.stop();
    kargo.stop();
}

#[tokio::test]
async fn with_publishing_on_and_the_same_base_url_the_status_settles() {
    // A control plane of its own: a publishing gateway writes the status of
    // every ProjectConfig it sees, which the other test must not have.
    let control_plane = ControlPlane::start()
        .await
        .unwrap_or_else(|e| panic!("starting a private control plane: {e}"));
    let client = control_plane.admin_client();
    let kargo = KargoController::start(&control_plane, KargoControllerConfig::default());
    let gateway = RunningGateway::start(&control_plane, Identity::Admin, gateway_config(true));
    let namespace = control_plane.fresh_namespace("both-publish").await;
    nginx_project(&client, &namespace, AUTH, &[&gateway]).await;
    let path = receiver_path(&client, &namespace, "harbor").await;
    assert_eq!(path, kargo_path(&namespace, AUTH));
    gateway.wait_served(&path).await;
    assert_eq!(push(&gateway, &path, AUTH).await, 200);

    // Settled: no change for a whole window (two of Kargo's resyncs),
    // within the time a fight would take to show.
    let changes = Changes::record(&client, &namespace).await;
    let watching_since = Instant::now();
    let deadline = watching_since + WINDOW * 3;
    loop {
        let last_change = changes
            .snapshot()
            .last()
            .map_or(watching_since, |(at, _)| *at);
        if last_change.elapsed() >= WINDOW {
            break;
        }
        if Instant::now() > deadline {
            let object = ConfigRef::project(&namespace)
                .fetch(&client)
                .await
                .ok()
                .flatten();
            panic!(
                "the status never went {WINDOW:?} without a change: {} changes in {:?}; status managers {:?}",
                changes.snapshot().len(),
                watching_since.elapsed(),
                object.as_ref().map(status_managers)
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(status_path(&client, &namespace).await, Some(path.clone()));
    assert_eq!(push(&gateway, &path, AUTH).await, 200);
    gateway.stop();
    kargo.stop();
}
