//! Every provider end to end, against a real API server: one ProjectConfig
//! with a receiver of each type, signed deliveries of the providers' own
//! fixtures, and for each one a Warehouse that must be refreshed, one of the
//! same repository whose rule must turn the push down, and a copy of the
//! first in a foreign project that must stay untouched. A closed pull request
//! refreshes the running Promotion waiting on it, and no other.

use std::collections::BTreeMap;

use kargo_webhook_e2e::{
    REACTION, RunningGateway, create_warehouse, deliver_with, eventually, put_project_config,
    put_secret, receiver_path, refresh_token,
};
use kargo_webhook_gateway::kargo::{Promotion, REFRESH_ANNOTATION};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_testenv::ControlPlane;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const AUTH_HEADER: &str = "Bearer e2e-providers";
const SECRET: &str = "e2e-providers-secret";
const SECRET_TOKEN: &str = "e2e-providers-token";

/// One delivery and the Warehouses it is checked against.
struct Case {
    /// The receiver (named after its type) and the fixture.
    receiver: &'static str,
    fixture: &'static str,
    /// Headers besides the signature, which [`sign`] adds.
    headers: &'static [(&'static str, &'static str)],
    /// Subscriptions of the Warehouse the delivery must refresh.
    refreshed: Value,
    /// Subscriptions of one it must not (same repository, another rule).
    untouched: Value,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            receiver: "harbor",
            fixture: "harbor/push-simple.json",
            headers: &[("authorization", AUTH_HEADER)],
            refreshed: json!([{"image": {"repoURL": "harbor.example.com/library/nginx"}}]),
            untouched: json!([{"image": {"repoURL": "harbor.example.com/library/nginx", "constraint": "^2.0.0"}}]),
        },
        Case {
            receiver: "github",
            fixture: "github/push-branch.json",
            headers: &[("x-github-event", "push")],
            refreshed: json!([{"git": {"repoURL": "git@github.com:example-org/guestbook.git", "includePaths": ["glob:deploy/**"]}}]),
            untouched: json!([{"git": {"repoURL": "https://github.com/example-org/guestbook", "includePaths": ["apps"]}}]),
        },
        Case {
            receiver: "github",
            fixture: "github/package-published-container.json",
            headers: &[("x-github-event", "package")],
            refreshed: json!([{"image": {"repoURL": "ghcr.io/example-org/guestbook", "constraint": "^1.0.0"}}]),
            untouched: json!([{"image": {"repoURL": "ghcr.io/example-org/guestbook", "constraint": "^2.0.0"}}]),
        },
        Case {
            receiver: "gitea",
            fixture: "gitea/push-branch.json",
            headers: &[("x-gitea-event", "push")],
            refreshed: json!([{"git": {"repoURL": "https://gitea.example.com/platform/guestbook"}}]),
            untouched: json!([{"git": {"repoURL": "https://gitea.example.com/platform/guestbook.git", "commitSelectionStrategy": "SemVer"}}]),
        },
        Case {
            receiver: "gitlab",
            fixture: "gitlab/push.json",
            headers: &[
                ("x-gitlab-event", "Push Hook"),
                ("x-gitlab-token", SECRET_TOKEN),
            ],
            refreshed: json!([{"git": {"repoURL": "https://gitlab.example.com/platform/app-config", "includePaths": ["envs/prod/api"]}}]),
            untouched: json!([{"git": {"repoURL": "https://gitlab.example.com/platform/app-config", "includePaths": ["envs/staging"]}}]),
        },
        Case {
            receiver: "bitbucket",
            fixture: "bitbucket/cloud-repo-push-branch.json",
            headers: &[("x-event-key", "repo:push")],
            refreshed: json!([{"git": {"repoURL": "https://bitbucket.org/acme/app-config.git"}}]),
            untouched: json!([{"git": {"repoURL": "https://bitbucket.org/acme/app-config", "branch": "release"}}]),
        },
        Case {
            receiver: "azure",
            fixture: "azure/devops-git-push.json",
            headers: &[("user-agent", "VSServices/16.255.35115.1")],
            refreshed: json!([{"git": {"repoURL": "https://dev.azure.com/contoso/Payments/_git/payments-api"}}]),
            untouched: json!([{"git": {"repoURL": "https://dev.azure.com/contoso/Payments/_git/payments-api", "branch": "release"}}]),
        },
        Case {
            receiver: "azure",
            fixture: "azure/acr-push.json",
            headers: &[("user-agent", "AzureContainerRegistry/1.0")],
            refreshed: json!([{"image": {"repoURL": "contosoprod.azurecr.io/payments/api", "constraint": ">=2.0.0"}}]),
            // An image push is no chart push.
            untouched: json!([{"chart": {"repoURL": "oci://contosoprod.azurecr.io/payments/api"}}]),
        },
        Case {
            receiver: "artifactory",
            fixture: "artifactory/docker-pushed.json",
            headers: &[],
            refreshed: json!([{"image": {"repoURL": "contoso.jfrog.io/docker-local/payments/api"}}]),
            untouched: json!([{"image": {"repoURL": "contoso.jfrog.io/docker-local/payments/api", "constraint": "<2.0.0"}}]),
        },
        Case {
            receiver: "dockerhub",
            fixture: "dockerhub/push-organization.json",
            headers: &[],
            refreshed: json!([{"image": {"repoURL": "acme-corp/payments-api"}}]),
            untouched: json!([{"image": {"repoURL": "docker.io/acme-corp/payments-api", "imageSelectionStrategy": "Lexical", "allowTagsRegexes": ["^release-"]}}]),
        },
        Case {
            receiver: "quay",
            fixture: "quay/push.json",
            headers: &[],
            refreshed: json!([{"image": {"repoURL": "quay.io/acme/payments-api"}}]),
            untouched: json!([{"image": {"repoURL": "quay.io/acme/payments-api", "imageSelectionStrategy": "Digest", "constraint": "stable"}}]),
        },
    ]
}

/// The body-signature header each signing provider expects.
fn sign(receiver: &str, body: &[u8]) -> Vec<(String, String)> {
    let hex = hex_hmac_sha256(SECRET.as_bytes(), body);
    match receiver {
        "github" | "gitea" => vec![("x-hub-signature-256".into(), format!("sha256={hex}"))],
        "bitbucket" => vec![("x-hub-signature".into(), format!("sha256={hex}"))],
        "artifactory" => vec![(
            "x-jfrog-event-auth".into(),
            hex_hmac_sha256(SECRET_TOKEN.as_bytes(), body),
        )],
        _ => Vec::new(),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = kargo_webhook_testenv::paths::repository_root()
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn receivers() -> Value {
    let types = [
        "harbor",
        "github",
        "gitea",
        "gitlab",
        "bitbucket",
        "azure",
        "artifactory",
        "dockerhub",
        "quay",
    ];
    let secret_ref = json!({"secretRef": {"name": "webhooks"}});
    Value::Array(
        types
            .iter()
            .map(|kind| json!({"name": kind, *kind: secret_ref}))
            .collect(),
    )
}

const PULL_REQUEST: &str = "https://github.com/Example-Org/Guestbook/pull/42";

/// A Promotion that runs and waits on `url` in a `git-wait-for-pr` step
/// (or has finished, when `phase` says so).
async fn promotion(client: &kube::Client, namespace: &str, name: &str, phase: &str, url: &str) {
    // Untyped: the gateway's Promotion type reads only what it needs.
    let resource = ApiResource::erase::<Promotion>(&());
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "Promotion",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"stage": "prod", "freight": "abc123", "steps": [
            {"uses": "git-open-pr", "as": "open-pr"},
            {"uses": "git-wait-for-pr", "as": "wait-for-pr"},
        ]},
    }))
    .expect("a Promotion");
    api.create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("creating Promotion {namespace}/{name}: {e}"));
    let status = json!({"status": {"phase": phase, "currentStep": 1, "state": {
        "open-pr": {"pr": {"url": url}},
        "wait-for-pr": {"pr": {"url": url}},
    }}});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap_or_else(|e| panic!("status of Promotion {namespace}/{name}: {e}"));
}

async fn promotion_token(client: &kube::Client, namespace: &str, name: &str) -> Option<String> {
    let api: Api<Promotion> = Api::namespaced(client.clone(), namespace);
    let object = api.get(name).await.expect("the Promotion");
    object
        .metadata
        .annotations?
        .get(REFRESH_ANNOTATION)
        .cloned()
}

#[tokio::test]
async fn each_provider_refreshes_exactly_what_its_delivery_concerns() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let gateway = RunningGateway::shared();
    let project = control_plane.fresh_namespace("providers").await;
    let foreign = control_plane.fresh_namespace("providers-foreign").await;
    put_secret(
        &client,
        &project,
        "webhooks",
        &[
            ("auth-header", AUTH_HEADER),
            ("secret", SECRET),
            ("secret-token", SECRET_TOKEN),
        ],
    )
    .await;
    put_project_config(&client, &project, receivers()).await;

    let cases = cases();
    let mut names = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let refreshed = format!("{}-{i}-refreshed", case.receiver);
        let untouched = format!("{}-{i}-untouched", case.receiver);
        create_warehouse(&client, &project, &refreshed, case.refreshed.clone()).await;
        create_warehouse(&client, &project, &untouched, case.untouched.clone()).await;
        create_warehouse(&client, &foreign, &refreshed, case.refreshed.clone()).await;
        names.push((refreshed, untouched));
    }
    let all: Vec<&str> = names
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    gateway.wait_indexed(&project, &all).await;
    promotion(&client, &project, "waiting", "Running", PULL_REQUEST).await;
    promotion(&client, &project, "finished", "Succeeded", PULL_REQUEST).await;
    promotion(&client, &foreign, "waiting", "Running", PULL_REQUEST).await;

    let mut paths = BTreeMap::new();
    for case in &cases {
        if !paths.contains_key(case.receiver) {
            let path = receiver_path(&client, &project, case.receiver).await;
            gateway.wait_served(&path).await;
            paths.insert(case.receiver, path);
        }
    }

    for (case, (refreshed, untouched)) in cases.iter().zip(&names) {
        let body = fixture(case.fixture);
        let mut headers: Vec<(String, String)> = case
            .headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        headers.extend(sign(case.receiver, &body));
        let (status, answer) =
            deliver_with(&gateway.url(&paths[case.receiver]), &headers, body).await;
        assert_eq!(status, 200, "{}: {answer}", case.fixture);
        let named: Vec<&str> = answer["warehouses"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: names no Warehouses: {answer}", case.fixture))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            named,
            [format!("{project}/{refreshed}")],
            "{}: {answer}",
            case.fixture
        );
        assert!(
            refresh_token(&client, &project, refreshed).await.is_some(),
            "{}: {refreshed} was not refreshed",
            case.fixture
        );
        assert_eq!(
            refresh_token(&client, &project, untouched).await,
            None,
            "{}: {untouched} was refreshed",
            case.fixture
        );
        assert_eq!(
            refresh_token(&client, &foreign, refreshed).await,
            None,
            "{}: the foreign project's {refreshed} was refreshed",
            case.fixture
        );
    }

    // A closed pull request refreshes the Promotion waiting on it; once the
    // watch has indexed it, that is.
    let body = fixture("github/pull-request-closed.json");
    let mut headers = vec![("x-github-event".to_owned(), "pull_request".to_owned())];
    headers.extend(sign("github", &body));
    let url = gateway.url(&paths["github"]);
    let answer = eventually("the waiting Promotion refreshed", REACTION, || {
        let (url, headers, body) = (url.clone(), headers.clone(), body.clone());
        async move {
            let (status, answer) = deliver_with(&url, &headers, body).await;
            assert_eq!(status, 200, "{answer}");
            (answer["promotions"].as_array()?.len() == 1).then_some(answer)
        }
    })
    .await;
    assert_eq!(answer["promotions"], json!([format!("{project}/waiting")]));
    assert!(
        promotion_token(&client, &project, "waiting")
            .await
            .is_some()
    );
    assert_eq!(promotion_token(&client, &project, "finished").await, None);
    assert_eq!(promotion_token(&client, &foreign, "waiting").await, None);
}
