//! The Harbor guide end to end, against a real API server: a Secret and a
//! ProjectConfig give a published URL; deliveries to it refresh exactly the
//! Warehouses of that project that subscribe to the pushed repository and
//! whose rules accept the tag.

use std::collections::BTreeMap;

use kargo_webhook_e2e::{
    REACTION, RunningGateway, create_warehouse, deliver, ensure_namespace, eventually, fixture,
    fixture_names, project_status, put_project_config, put_secret, receiver_path, refresh_token,
};
use kargo_webhook_gateway::kargo::ClusterConfig;
use kargo_webhook_testenv::ControlPlane;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

const AUTH: &str = "Bearer e2e-harbor-secret";
const JSON: &str = "application/json";
const CLOUDEVENTS: &str = "application/cloudevents+json";

fn receivers(secret: &str) -> Value {
    json!([{"name": "harbor", "harbor": {"secretRef": {"name": secret}}}])
}

/// A project with the Harbor receiver of the guide; returns its namespace
/// and the receiver's URL on the test gateway.
async fn project(client: &kube::Client, prefix: &str) -> (String, String) {
    let gateway = RunningGateway::shared();
    let namespace = ControlPlane::shared().fresh_namespace(prefix).await;
    put_secret(
        client,
        &namespace,
        "harbor-webhook",
        &[("auth-header", AUTH)],
    )
    .await;
    put_project_config(client, &namespace, receivers("harbor-webhook")).await;
    let path = receiver_path(client, &namespace, "harbor").await;
    (namespace, gateway.url(&path))
}

/// The Warehouses every fixture case is checked against.
async fn warehouses(client: &kube::Client, namespace: &str) {
    let api = "registry.example.org:8443/team-a/backend/api";
    let nginx = "harbor.example.com/library/nginx";
    for (name, subscriptions) in [
        (
            "api-semver",
            json!([{"image": {"repoURL": api, "constraint": ">=2.0.0"}}]),
        ),
        (
            "api-old",
            json!([{"image": {"repoURL": api, "constraint": "<2.0.0"}}]),
        ),
        (
            "api-chart",
            json!([{"chart": {"repoURL": format!("oci://{api}")}}]),
        ),
        (
            "nginx",
            json!([{"image": {"repoURL": nginx, "constraint": "^1.27.0"}}]),
        ),
        (
            "nginx-443",
            json!([{"image": {"repoURL": "harbor.example.com:443/library/nginx", "constraint": "^1.27.0"}}]),
        ),
        (
            "nginx-8443",
            json!([{"image": {"repoURL": "harbor.example.com:8443/library/nginx", "constraint": "^1.27.0"}}]),
        ),
        (
            "nginx-lexical",
            json!([{"image": {"repoURL": format!("{nginx}:latest"), "imageSelectionStrategy": "Lexical", "allowTagsRegexes": ["^1\\."]}}]),
        ),
        (
            "podinfo",
            json!([{"chart": {"repoURL": "oci://harbor.example.com/charts/podinfo", "semverConstraint": "^0.9.0"}}]),
        ),
        (
            "podinfo-image",
            json!([{"image": {"repoURL": "harbor.example.com/charts/podinfo", "constraint": "^1.0.0"}}]),
        ),
        (
            "redis",
            json!([{"image": {"repoURL": "harbor.example.com/library/redis"}}]),
        ),
        (
            "git",
            json!([{"git": {"repoURL": "https://github.com/example/app.git"}}]),
        ),
    ] {
        create_warehouse(client, namespace, name, subscriptions).await;
    }
    RunningGateway::shared().wait_indexed(namespace, &ALL).await;
}

const ALL: [&str; 11] = [
    "api-chart",
    "api-old",
    "api-semver",
    "git",
    "nginx",
    "nginx-443",
    "nginx-8443",
    "nginx-lexical",
    "podinfo",
    "podinfo-image",
    "redis",
];

async fn tokens(client: &kube::Client, namespace: &str) -> BTreeMap<&'static str, Option<String>> {
    let mut tokens = BTreeMap::new();
    for name in ALL {
        tokens.insert(name, refresh_token(client, namespace, name).await);
    }
    tokens
}

fn refreshed(
    before: &BTreeMap<&str, Option<String>>,
    after: &BTreeMap<&str, Option<String>>,
) -> Vec<String> {
    ALL.iter()
        .filter(|name| after[*name].is_some() && after[*name] != before[*name])
        .map(|name| (*name).to_owned())
        .collect()
}

#[tokio::test]
async fn a_secret_and_a_project_config_publish_the_receiver_url() {
    let client = ControlPlane::shared().admin_client();
    let (namespace, _) = project(&client, "status").await;
    let status = project_status(&client, &namespace).await.expect("status");
    let receiver = &status["webhookReceivers"][0];
    assert_eq!(receiver["name"], "harbor");
    let path = receiver["path"].as_str().expect("path");
    assert!(
        path.starts_with("/harbor/") && path.len() == "/harbor/".len() + 64,
        "{path}"
    );
    assert_eq!(
        receiver["url"],
        format!("{}{path}", kargo_webhook_e2e::EXTERNAL_URL)
    );
    let ready = &status["conditions"][0];
    assert_eq!(
        (ready["type"].as_str(), ready["status"].as_str()),
        (Some("Ready"), Some("True"))
    );
    assert_eq!(ready["reason"], "ReceiversReady");
}

/// What the plain `harbor.example.com/library/nginx:1.27.1` push refreshes;
/// Harbor's other spellings of that repository refresh exactly the same.
const PLAIN_NGINX: &[&str] = &["nginx", "nginx-443", "nginx-lexical"];

/// push-simple.json with its repository on `harbor.example.com:8443`:
/// another registry.
fn push_to_port_8443() -> Vec<u8> {
    let push = String::from_utf8(fixture("push-simple.json")).expect("UTF-8 fixture");
    let plain = "\"harbor.example.com/library/nginx:1.27.1\"";
    assert!(push.contains(plain), "push-simple.json names {plain}");
    push.replace(plain, "\"harbor.example.com:8443/library/nginx:1.27.1\"")
        .into_bytes()
}

/// What is delivered (a fixture's name, or a description), its content
/// type and body, the status it must get, and the Warehouses it refreshes.
type Case = (String, &'static str, Vec<u8>, u16, &'static [&'static str]);

#[tokio::test]
async fn each_fixture_refreshes_exactly_the_matching_warehouses_of_the_project() {
    let client = ControlPlane::shared().admin_client();
    let api = &["api-chart", "api-semver"][..];
    let nothing = &[][..];
    let mut cases: Vec<Case> = [
        ("push-simple.json", JSON, 200, PLAIN_NGINX),
        ("push-tag.json", JSON, 200, api),
        ("cloudevents-push-tag.json", CLOUDEVENTS, 200, api),
        ("push-chart.json", JSON, 200, &["podinfo"][..]),
        ("push-replicated.json", JSON, 200, api),
        (
            "push-multiple-resources.json",
            JSON,
            200,
            &[
                "api-chart",
                "api-semver",
                "nginx",
                "nginx-443",
                "nginx-lexical",
            ][..],
        ),
        // Harbor's external URL ending in `/`, or naming port 443.
        ("push-ext-url-trailing-slash.json", JSON, 200, PLAIN_NGINX),
        (
            "cloudevents-push-ext-url-trailing-slash.json",
            CLOUDEVENTS,
            200,
            PLAIN_NGINX,
        ),
        ("push-ext-url-default-port.json", JSON, 200, PLAIN_NGINX),
        (
            "cloudevents-push-ext-url-default-port.json",
            CLOUDEVENTS,
            200,
            PLAIN_NGINX,
        ),
        ("push-digest-only.json", JSON, 200, nothing),
        ("push-empty-resources.json", JSON, 200, nothing),
        ("push-no-resources.json", JSON, 200, nothing),
        ("pull.json", JSON, 200, nothing),
        ("cloudevents-pull.json", CLOUDEVENTS, 200, nothing),
        ("delete.json", JSON, 200, nothing),
        ("scanning-completed.json", JSON, 200, nothing),
        ("replication.json", JSON, 200, nothing),
        ("quota-exceed.json", JSON, 200, nothing),
        ("not-json.txt", JSON, 400, nothing),
        // The same push without a content type is recognized by its shape.
        ("push-simple.json", "", 200, PLAIN_NGINX),
    ]
    .into_iter()
    .map(|(file, content_type, status, expected)| {
        (
            file.to_owned(),
            content_type,
            fixture(file),
            status,
            expected,
        )
    })
    .collect();
    let covered: std::collections::BTreeSet<String> =
        cases.iter().map(|(file, ..)| file.clone()).collect();
    assert_eq!(covered, fixture_names(), "a fixture without a case");
    // Another port is another registry, both ways.
    cases.push((
        "push-simple.json on harbor.example.com:8443".to_owned(),
        JSON,
        push_to_port_8443(),
        200,
        &["nginx-8443"],
    ));

    // Warehouses of another project that would match every push.
    let elsewhere = ControlPlane::shared().fresh_namespace("elsewhere").await;
    warehouses(&client, &elsewhere).await;

    for (what, content_type, body, status, expected) in cases {
        let (namespace, url) = project(&client, "fixture").await;
        warehouses(&client, &namespace).await;
        let before = tokens(&client, &namespace).await;
        let (answer, body) = deliver(&url, Some(AUTH), content_type, body).await;
        assert_eq!(answer, status, "{what}: {body}");
        let after = tokens(&client, &namespace).await;
        assert_eq!(refreshed(&before, &after), expected, "{what}: {body}");
        if status == 200 && !expected.is_empty() {
            let listed: Vec<String> = expected
                .iter()
                .map(|w| format!("{namespace}/{w}"))
                .collect();
            assert_eq!(body["warehouses"], json!(listed), "{what}");
            assert_eq!(
                body["msg"],
                format!("refreshed {} warehouse(s)", expected.len())
            );
        }
    }
    let untouched = tokens(&client, &elsewhere).await;
    assert!(
        untouched.values().all(Option::is_none),
        "another project's Warehouses were refreshed: {untouched:?}"
    );
}

#[tokio::test]
async fn wrong_or_missing_credentials_and_bad_bodies_patch_nothing() {
    let client = ControlPlane::shared().admin_client();
    let (namespace, url) = project(&client, "refused").await;
    warehouses(&client, &namespace).await;
    let push = fixture("push-simple.json");
    assert_eq!(
        deliver(&url, None, JSON, push.clone()).await,
        (401, json!({"error": "missing authorization"}))
    );
    assert_eq!(
        deliver(&url, Some("Bearer e2e-harbor-secreT"), JSON, push.clone()).await,
        (401, json!({"error": "unauthorized"}))
    );
    assert_eq!(
        deliver(&url, Some(AUTH), JSON, b"{\"type\":".to_vec()).await,
        (400, json!({"error": "invalid request body"}))
    );
    let after = tokens(&client, &namespace).await;
    assert!(after.values().all(Option::is_none), "{after:?}");
}

#[tokio::test]
async fn a_rotated_secret_moves_the_url_and_the_old_one_answers_404() {
    let client = ControlPlane::shared().admin_client();
    let gateway = RunningGateway::shared();
    let (namespace, old_url) = project(&client, "rotate").await;
    warehouses(&client, &namespace).await;
    let old_path = receiver_path(&client, &namespace, "harbor").await;
    let new_auth = "Bearer rotated-secret";
    put_secret(
        &client,
        &namespace,
        "harbor-webhook",
        &[("auth-header", new_auth)],
    )
    .await;
    let new_path = eventually("the rotated URL in status", REACTION, || async {
        let path = receiver_path(&client, &namespace, "harbor").await;
        (path != old_path).then_some(path)
    })
    .await;
    let push = fixture("push-simple.json");
    // The old URL stops working as soon as the table is rebuilt.
    let (status, body) = deliver(&old_url, Some(AUTH), JSON, push.clone()).await;
    assert_eq!((status, body), (404, json!({"error": "not found"})));
    let (status, body) = deliver(&gateway.url(&new_path), Some(new_auth), JSON, push).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["warehouses"].as_array().map(Vec::len),
        Some(PLAIN_NGINX.len())
    );
}

#[tokio::test]
async fn a_missing_secret_makes_ready_false_and_leaves_siblings_working() {
    let client = ControlPlane::shared().admin_client();
    // The gateway publishes the status this test reads.
    RunningGateway::shared();
    let namespace = ControlPlane::shared().fresh_namespace("missing").await;
    put_secret(
        &client,
        &namespace,
        "harbor-webhook",
        &[("auth-header", AUTH)],
    )
    .await;
    put_secret(&client, &namespace, "no-key", &[("token", "x")]).await;
    put_project_config(
        &client,
        &namespace,
        json!([
            {"name": "good", "harbor": {"secretRef": {"name": "harbor-webhook"}}},
            {"name": "gone", "harbor": {"secretRef": {"name": "does-not-exist"}}},
            {"name": "nokey", "harbor": {"secretRef": {"name": "no-key"}}},
            {"name": "github", "github": {"secretRef": {"name": "harbor-webhook"}}},
        ]),
    )
    .await;
    let status = eventually("Ready=False", REACTION, || async {
        let status = project_status(&client, &namespace).await?;
        (status["conditions"][0]["status"] == "False").then_some(status)
    })
    .await;
    let ready = &status["conditions"][0];
    assert_eq!(ready["reason"], "SecretNotFound");
    let message = ready["message"].as_str().expect("message");
    assert!(
        message.contains(&format!(
            "receiver \"gone\": Secret {namespace}/does-not-exist not found"
        )),
        "{message}"
    );
    assert!(
        message.contains("receiver \"nokey\": Secret no-key has no key \"auth-header\""),
        "{message}"
    );
    assert!(
        message.contains("receiver \"github\": Secret harbor-webhook has no key \"secret\""),
        "{message}"
    );
    assert!(!message.contains(AUTH));
    let listed: Vec<&str> = status["webhookReceivers"]
        .as_array()
        .expect("receivers")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(listed, ["good"]);

    let (status, body) = push_to_a_new_nginx_warehouse(&client, &namespace, "good").await;
    assert_eq!(
        (status, body["warehouses"].clone()),
        (200, json!([format!("{namespace}/nginx")]))
    );

    // Creating the missing Secret repairs the receiver within seconds.
    put_secret(
        &client,
        &namespace,
        "does-not-exist",
        &[("auth-header", "Bearer later")],
    )
    .await;
    receiver_path(&client, &namespace, "gone").await;
}

#[tokio::test]
async fn a_cluster_config_receiver_refreshes_across_namespaces() {
    let client = ControlPlane::shared().admin_client();
    let gateway = RunningGateway::shared();
    ensure_namespace(&client, "kargo-system-resources").await;
    put_secret(
        &client,
        "kargo-system-resources",
        "cluster-harbor",
        &[("auth-header", AUTH)],
    )
    .await;
    let api: Api<ClusterConfig> = Api::all(client.clone());
    let config: ClusterConfig = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "ClusterConfig",
        "metadata": {"name": "cluster"},
        "spec": {"webhookReceivers": receivers("cluster-harbor")},
    }))
    .expect("cluster config");
    api.patch(
        "cluster",
        &PatchParams::apply("kargo-webhook-e2e").force(),
        &Patch::Apply(&config),
    )
    .await
    .expect("apply ClusterConfig");
    let path = eventually("the ClusterConfig receiver's path", REACTION, || async {
        let status = api.get_opt("cluster").await.ok()??.status?;
        status.webhook_receivers.first().map(|r| r.path.clone())
    })
    .await;
    let first = ControlPlane::shared().fresh_namespace("cluster-a").await;
    let second = ControlPlane::shared().fresh_namespace("cluster-b").await;
    // A repository no other test subscribes to: a cluster receiver
    // refreshes every namespace, those of tests running alongside included.
    let repository = "harbor.example.com/cluster-wide/nginx";
    let nginx = json!([{"image": {"repoURL": repository}}]);
    create_warehouse(&client, &first, "nginx", nginx.clone()).await;
    create_warehouse(&client, &second, "nginx", nginx).await;
    gateway.wait_indexed(&first, &["nginx"]).await;
    gateway.wait_indexed(&second, &["nginx"]).await;
    let push = String::from_utf8(fixture("push-simple.json"))
        .expect("UTF-8 fixture")
        .replace("harbor.example.com/library/nginx", repository)
        .replace("library/nginx", "cluster-wide/nginx");
    let (status, body) = deliver(&gateway.url(&path), Some(AUTH), JSON, push.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    // Only these two subscribe to the repository. A cluster receiver's
    // answer counts them and names none: they are other namespaces'.
    assert_eq!(body["msg"], "refreshed 2 warehouse(s)", "{body}");
    assert_eq!(body.get("warehouses"), None, "{body}");
    assert!(refresh_token(&client, &first, "nginx").await.is_some());
    assert!(refresh_token(&client, &second, "nginx").await.is_some());
}

#[tokio::test]
async fn two_quick_pushes_write_two_distinct_refresh_tokens() {
    let client = ControlPlane::shared().admin_client();
    let (namespace, url) = project(&client, "twice").await;
    create_warehouse(
        &client,
        &namespace,
        "nginx",
        json!([{"image": {"repoURL": "harbor.example.com/library/nginx"}}]),
    )
    .await;
    RunningGateway::shared()
        .wait_indexed(&namespace, &["nginx"])
        .await;
    assert_eq!(
        deliver(&url, Some(AUTH), JSON, fixture("push-simple.json"))
            .await
            .0,
        200
    );
    let first = refresh_token(&client, &namespace, "nginx")
        .await
        .expect("first token");
    assert_eq!(
        deliver(&url, Some(AUTH), JSON, fixture("push-simple.json"))
            .await
            .0,
        200
    );
    let second = refresh_token(&client, &namespace, "nginx")
        .await
        .expect("second token");
    // Kargo's own one-second timestamps would collide here.
    assert_ne!(first, second);
}

/// Creates Warehouse `nginx` in `namespace`, waits until the gateway has
/// indexed it, and sends the plain nginx push to `receiver`'s path there.
async fn push_to_a_new_nginx_warehouse(
    client: &kube::Client,
    namespace: &str,
    receiver: &str,
) -> (u16, Value) {
    let gateway = RunningGateway::shared();
    create_warehouse(
        client,
        namespace,
        "nginx",
        json!([{"image": {"repoURL": "harbor.example.com/library/nginx"}}]),
    )
    .await;
    gateway.wait_indexed(namespace, &["nginx"]).await;
    let path = receiver_path(client, namespace, receiver).await;
    deliver(
        &gateway.url(&path),
        Some(AUTH),
        JSON,
        fixture("push-simple.json"),
    )
    .await
}

#[tokio::test]
async fn a_secret_without_kargos_label_works_as_with_kargos_own_server() {
    // Kargo's server reads a receiver's Secret by name, whatever its
    // labels; so does the gateway by default.
    let client = ControlPlane::shared().admin_client();
    RunningGateway::shared();
    let namespace = ControlPlane::shared().fresh_namespace("unlabelled").await;
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "plain", "namespace": namespace},
        "stringData": {"auth-header": AUTH},
    }))
    .expect("secret");
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), &namespace)
        .create(&kube::api::PostParams::default(), &secret)
        .await
        .expect("create the Secret");
    put_project_config(&client, &namespace, receivers("plain")).await;
    let (status, body) = push_to_a_new_nginx_warehouse(&client, &namespace, "harbor").await;
    assert_eq!(status, 200, "{body}");
    assert!(refresh_token(&client, &namespace, "nginx").await.is_some());
}
