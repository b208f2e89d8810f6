//! "Why did (or didn't) my Warehouse refresh?", against a real API server:
//! the dry run (`kargo-webhook-gateway explain`) decides as the server does
//! for the same payloads, and each refresh leaves a `WebhookRefresh` Event
//! on the Warehouse, one per window however many deliveries arrive.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::events::v1::Event;
use kargo_webhook_e2e::{
    REACTION, RunningGateway, create_warehouse, deliver, eventually, fixture, fixture_names,
    nginx_project, receiver_path, test_config,
};
use kargo_webhook_gateway::REFRESH_EVENT_REASON as REASON;
use kargo_webhook_gateway::explain::{self, Explanation, Failure, Request, Source};
use kargo_webhook_gateway::kargo::{REFRESH_ANNOTATION, Warehouse, WarehouseScope};
use kargo_webhook_gateway::providers_linked;
use kargo_webhook_testenv::{ControlPlane, Identity, paths};
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use serde_json::json;

/// The window of this file's gateway: short, so that series updates are
/// seen within the test, and long enough for a burst to fit in a few.
const WINDOW: Duration = Duration::from_secs(20);

/// The tests of this file take turns: a burst must not slow the other's
/// deliveries past their answer deadline.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The gateway of this file, with a short Event window.
fn gateway() -> &'static RunningGateway {
    static GATEWAY: OnceLock<RunningGateway> = OnceLock::new();
    GATEWAY.get_or_init(|| {
        let mut config = test_config();
        config.refresh_event_window = WINDOW;
        RunningGateway::start(ControlPlane::shared(), Identity::Admin, config)
    })
}

// ----- The dry run against the server -----

/// The samples' project and the Authorization value of their Secret.
const PROJECT: &str = "kargo-demo";
const SAMPLE_AUTH: &str = "Bearer sample-harbor-token-change-me";

/// Warehouses beside the samples', in the samples' project, so that every
/// kind of rule says yes to some payload and no to another: name and
/// subscription, in YAML.
const MORE_WAREHOUSES: &[(&str, &str)] = &[
    (
        "nginx-old",
        r#"image: {repoURL: harbor.example.com/library/nginx, constraint: "<1.0.0"}"#,
    ),
    (
        "nginx-lexical",
        r#"image: {repoURL: "harbor.example.com:443/library/nginx:latest", imageSelectionStrategy: Lexical, allowTagsRegexes: ["^1\\."]}"#,
    ),
    (
        "nginx-8443",
        r#"image: {repoURL: "harbor.example.com:8443/library/nginx"}"#,
    ),
    (
        "nginx-typo",
        "image: {repoURL: harbor.example.com/libary/nginx}",
    ),
    (
        "api-semver",
        r#"image: {repoURL: "registry.example.org:8443/team-a/backend/api", constraint: ">=2.0.0"}"#,
    ),
    (
        "api-old",
        r#"image: {repoURL: "registry.example.org:8443/team-a/backend/api", constraint: "<2.0.0"}"#,
    ),
    (
        "api-chart",
        r#"chart: {repoURL: "oci://registry.example.org:8443/team-a/backend/api"}"#,
    ),
    (
        "podinfo-image",
        "image: {repoURL: harbor.example.com/charts/podinfo, constraint: ^1.0.0}",
    ),
    (
        "git",
        r#"git: {repoURL: "https://github.com/example/app.git"}"#,
    ),
];

/// [`MORE_WAREHOUSES`] as one multi-document file, after a ConfigMap that
/// the dry run must pass over.
fn more_warehouses_yaml() -> String {
    let mut documents = vec![format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: not-a-warehouse, namespace: {PROJECT}}}\n"
    )];
    for (name, subscription) in MORE_WAREHOUSES {
        documents.push(format!(
            "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n\
             metadata: {{name: {name}, namespace: {PROJECT}}}\n\
             spec:\n  subscriptions:\n    - {subscription}\n"
        ));
    }
    documents.join("---\n")
}

/// Writes [`more_warehouses_yaml`] into a nested folder of a fresh directory
/// (the dry run reads folders recursively) and returns the directory and
/// the file.
fn more_warehouses() -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("kgw-why-refreshed-{}", std::process::id()));
    let file = root.join("apps/kargo").join("warehouses.yaml");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("folder");
    std::fs::write(&file, more_warehouses_yaml()).expect("write");
    (root, file)
}

/// Every fixture of `tests/fixtures/harbor/` and its content type.
fn fixtures() -> Vec<(String, &'static str)> {
    fixture_names()
        .into_iter()
        .map(|name| {
            let cloudevents = name.starts_with("cloudevents-");
            let content_type = if cloudevents {
                "application/cloudevents+json"
            } else {
                "application/json"
            };
            (name, content_type)
        })
        .collect()
}

/// Each Warehouse of the project and its refresh annotation.
async fn tokens(client: &kube::Client) -> BTreeMap<String, Option<String>> {
    let api: Api<Warehouse> = Api::namespaced(client.clone(), PROJECT);
    let list = api
        .list(&ListParams::default())
        .await
        .expect("list Warehouses");
    list.items
        .into_iter()
        .map(|w| {
            let token = w.annotations().get(REFRESH_ANNOTATION).cloned();
            (w.name_any(), token)
        })
        .collect()
}

/// What the dry run says a payload refreshes, or its failure.
async fn dry_run(
    content_type: &str,
    payload: &[u8],
    source: &Source,
) -> Result<(BTreeSet<String>, Vec<String>), Failure> {
    let registry = providers_linked::registry().expect("registry");
    let request = Request {
        provider: registry.get("harbor").expect("harbor"),
        headers: vec![("Content-Type".to_owned(), content_type.as_bytes().to_vec())],
        options: Default::default(),
        scope: WarehouseScope::Namespace(PROJECT.to_owned()),
    };
    let report = explain::explain(&request, payload, source).await?;
    let Explanation::Refresh { decisions, .. } = report.explanation else {
        return Ok((BTreeSet::new(), Vec::new()));
    };
    let lines = decisions
        .lines()
        .map(|l| format!("{}/{} {} {}", l.namespace, l.name, l.refresh, l.reason))
        .collect();
    let refreshed = decisions
        .refreshed()
        .iter()
        .map(|w| w.name().to_owned())
        .collect();
    Ok((refreshed, lines))
}

#[tokio::test]
async fn the_dry_run_decides_as_the_server_does_for_every_fixture() {
    let _turn = SERIAL.lock().await;
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let gateway = gateway();
    control_plane
        .apply_samples()
        .await
        .expect("samples applied");
    let (folder, file) = more_warehouses();
    control_plane
        .apply_manifests(&file)
        .await
        .expect("more Warehouses applied");
    let names: Vec<String> = tokens(&client).await.into_keys().collect();
    assert_eq!(names.len(), 12, "{names:?}");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    gateway.wait_indexed(PROJECT, &names).await;
    let url = gateway.url(&receiver_path(&client, PROJECT, "harbor").await);
    let files = Source::Files(vec![paths::samples_dir(), folder.clone()]);
    let cluster = Source::Cluster(client.clone());

    let mut said_yes = BTreeSet::new();
    let mut said_no = 0;
    for (name, content_type) in fixtures() {
        let payload = fixture(&name);
        let from_files = dry_run(content_type, &payload, &files).await;
        let from_cluster = dry_run(content_type, &payload, &cluster).await;
        let before = tokens(&client).await;
        let (status, body) = deliver(&url, Some(SAMPLE_AUTH), content_type, payload).await;
        let after = tokens(&client).await;
        let observed: BTreeSet<String> = after
            .iter()
            .filter(|(name, token)| token.is_some() && before.get(*name) != Some(*token))
            .map(|(name, _)| name.clone())
            .collect();
        match (&from_files, &from_cluster) {
            (Ok((files_refresh, files_lines)), Ok((cluster_refresh, cluster_lines))) => {
                assert_eq!(status, 200, "{name}: {body}");
                assert_eq!(
                    files_refresh, &observed,
                    "{name}: from files vs server: {body}"
                );
                assert_eq!(
                    cluster_refresh, &observed,
                    "{name}: from the cluster vs server"
                );
                assert_eq!(
                    files_lines, cluster_lines,
                    "{name}: files and cluster disagree"
                );
                said_yes.extend(files_refresh.iter().cloned());
                said_no += files_lines.iter().filter(|l| l.contains(" false ")).count();
            }
            (Err(Failure::BadInput(files)), Err(Failure::BadInput(cluster))) => {
                assert_eq!(files.to_string(), cluster.to_string(), "{name}");
                assert!(
                    observed.is_empty(),
                    "{name}: {files}, yet {observed:?} refreshed"
                );
                let ignored = files.to_string().contains("ignores this event");
                let expected = if ignored { 200 } else { 400 };
                assert_eq!(status, expected, "{name}: {files}: {body}");
            }
            other => panic!("{name}: the two sources disagree: {other:?}"),
        }
    }
    // Not vacuous: rules said yes and no, and each kind refreshed.
    let expected_yes = [
        "api-chart",
        "api-semver",
        "nginx",
        "nginx-lexical",
        "podinfo",
    ];
    for warehouse in expected_yes {
        assert!(
            said_yes.contains(warehouse),
            "{warehouse} never refreshed: {said_yes:?}"
        );
    }
    assert!(said_no > 10, "only {said_no} rejections");
    let _ = std::fs::remove_dir_all(folder);
}

// ----- Events -----

/// The `WebhookRefresh` Events in `namespace`, by the Warehouse they are about.
async fn refresh_events(client: &kube::Client, namespace: &str) -> BTreeMap<String, Vec<Event>> {
    let api: Api<Event> = Api::namespaced(client.clone(), namespace);
    let mut by_warehouse: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for event in api
        .list(&ListParams::default())
        .await
        .expect("list Events")
        .items
    {
        if event.reason.as_deref() != Some(REASON) {
            continue;
        }
        let name = event
            .regarding
            .as_ref()
            .and_then(|r| r.name.clone())
            .unwrap_or_default();
        by_warehouse.entry(name).or_default().push(event);
    }
    by_warehouse
}

/// Refreshes an Event stands for: its series count, or 1.
fn occurrences(events: &[Event]) -> i32 {
    events
        .iter()
        .map(|e| e.series.as_ref().map_or(1, |series| series.count))
        .sum()
}

#[tokio::test]
async fn a_refresh_leaves_one_event_and_a_burst_only_a_few() {
    const AUTH: &str = "Bearer why-refreshed-events";
    const BURST: usize = 500;
    let _turn = SERIAL.lock().await;
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let gateway = gateway();
    let namespace = control_plane.fresh_namespace("events").await;
    nginx_project(&client, &namespace, AUTH, &[gateway]).await;
    let others = [
        (
            "nginx-old",
            json!([{"image": {"repoURL": "harbor.example.com/library/nginx", "constraint": "<1.0.0"}}]),
        ),
        (
            "redis",
            json!([{"image": {"repoURL": "harbor.example.com/library/redis"}}]),
        ),
    ];
    for (name, subscriptions) in others {
        create_warehouse(&client, &namespace, name, subscriptions).await;
    }
    gateway
        .wait_indexed(&namespace, &["nginx-old", "redis"])
        .await;
    let path = receiver_path(&client, &namespace, "harbor").await;
    let url = gateway.url(&path);
    let started = Instant::now();

    let (status, body) = deliver(
        &url,
        Some(AUTH),
        "application/json",
        fixture("push-simple.json"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let events = eventually("the refresh's Event", REACTION, || async {
        let events = refresh_events(&client, &namespace).await;
        (!events.is_empty()).then_some(events)
    })
    .await;
    assert_eq!(
        events.keys().collect::<Vec<_>>(),
        ["nginx"],
        "only the refreshed one"
    );
    let event = &events["nginx"][0];
    let warehouse = Api::<Warehouse>::namespaced(client.clone(), &namespace)
        .get("nginx")
        .await
        .expect("nginx");
    let regarding = event.regarding.as_ref().expect("regarding");
    assert_eq!(regarding.kind.as_deref(), Some("Warehouse"));
    assert_eq!(
        regarding.uid,
        warehouse.uid(),
        "kubectl describe finds it by uid"
    );
    assert_eq!(event.type_.as_deref(), Some("Normal"));
    assert_eq!(
        event.reporting_controller.as_deref(),
        Some("kargo-webhook-gateway")
    );
    let note = event.note.as_deref().unwrap_or_default();
    assert_eq!(
        note,
        format!(
            "Refreshed for a push of harbor.example.com/library/nginx tag 1.27.1, received by \
             webhook receiver {namespace}/{namespace}#harbor"
        )
    );
    let token = path.rsplit('/').next().unwrap_or_default();
    assert!(!note.contains(token) && !note.contains(AUTH), "{note}");

    // A burst: every delivery refreshes nginx; its Events stay one per
    // window and count every refresh.
    let burst_started = Instant::now();
    let answers: Vec<(u16, serde_json::Value)> = futures::stream::iter(0..BURST)
        .map(|_| {
            deliver(
                &url,
                Some(AUTH),
                "application/json",
                fixture("push-simple.json"),
            )
        })
        .buffer_unordered(25)
        .collect()
        .await;
    let burst = burst_started.elapsed();
    let windows = started.elapsed().as_secs_f64() / WINDOW.as_secs_f64();
    let refreshed = answers
        .iter()
        .filter(|(status, body)| {
            *status == 200 && body["warehouses"] == json!([format!("{namespace}/nginx")])
        })
        .count();
    assert!(
        refreshed > BURST / 2,
        "{refreshed} of {BURST} answered 200: {:?}",
        answers.first()
    );
    let expected = i32::try_from(refreshed + 1).expect("small");
    let events = eventually(
        "every refresh counted in the Events' series",
        REACTION + WINDOW,
        || async {
            let events = refresh_events(&client, &namespace).await;
            (occurrences(events.get("nginx")?) == expected).then_some(events)
        },
    )
    .await;
    let nginx = &events["nginx"];
    assert!(
        nginx.len() as f64 <= windows.ceil() + 1.0 && nginx.len() <= 5,
        "{} Events for {refreshed} refreshes in {burst:?} (windows of {WINDOW:?})",
        nginx.len()
    );
    assert_eq!(events.keys().collect::<Vec<_>>(), ["nginx"], "{events:?}");
    assert!(
        nginx
            .iter()
            .any(|e| e.series.as_ref().is_some_and(|s| s.count > 1)),
        "a burst is counted in a series"
    );
}
