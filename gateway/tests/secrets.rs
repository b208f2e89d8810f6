//! Secrets stay secret, on the real binary against a real control plane:
//! nothing the gateway logs (text and JSON, at debug and at trace for every
//! crate) carries a secret value, a receiver token or path, an
//! `Authorization` value or a body; no answer echoes the `Authorization`
//! header or the body; wrong credentials, however many, never patch and
//! never cost the right sender anything; and a Secret value no sender can
//! present makes the receiver not ready with its own reason.

mod real_binary;

use std::time::Duration;

use k8s_openapi::ByteString;
use kargo_webhook_gateway::internals::{PathInputs, UrlLayout};
use kargo_webhook_gateway::kargo::ProjectConfig;
use kargo_webhook_testenv::ControlPlane;
use kube::api::Api;
use real_binary::{
    Answer, GatewayProcess, REACTION, create_warehouse, eventually, fixture, post, published_path,
    put_project_config, put_secret, refresh_token, wait_served,
};

const BASE_PATH: &str = "/webhooks";
const EXTERNAL_URL: &str = "http://gateway.secrets.test";
const NGINX: &str = "harbor.example.com/library/nginx";

/// A value no log line or answer may contain.
fn marker(what: &str) -> String {
    format!("{what}-{}", uuid::Uuid::new_v4().simple())
}

/// The gateway's arguments for these tests: one base path and external URL
/// for all of them, so that gateways running side by side publish the same
/// status; no Lease (each test runs its own gateway); no Kargo controller
/// here, so the gateway publishes the receiver URLs itself.
fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--base-path",
        BASE_PATH,
        "--external-url",
        EXTERNAL_URL,
        "--leader-election",
        "false",
        "--publish-status",
        "true",
    ];
    args.extend_from_slice(extra);
    args
}

/// A project with a Harbor receiver whose `auth-header` is `auth`, and a
/// Warehouse `nginx` it refreshes; returns the namespace and the path.
async fn project(client: &kube::Client, prefix: &str, auth: &str) -> (String, String) {
    let namespace = ControlPlane::shared().fresh_namespace(prefix).await;
    put_secret(client, &namespace, "harbor-webhook", auth).await;
    put_project_config(client, &namespace, "harbor-webhook").await;
    create_warehouse(client, &namespace, "nginx", NGINX).await;
    let path = published_path(client, &namespace, None).await;
    (namespace, path)
}

/// The path's receiver token: its last segment.
fn token_of(path: &str) -> &str {
    path.rsplit('/').next().expect("a path segment")
}

/// push-simple.json with a marker in a body field, to prove bodies are
/// never logged or echoed.
fn push_with(marker: &str) -> Vec<u8> {
    let mut push: serde_json::Value =
        serde_json::from_slice(&fixture("push-simple.json")).expect("fixture is JSON");
    push["operator"] = marker.into();
    serde_json::to_vec(&push).expect("JSON")
}

fn base64(value: &str) -> String {
    serde_json::to_value(ByteString(value.as_bytes().to_vec()))
        .expect("base64")
        .as_str()
        .expect("a string")
        .to_owned()
}

/// Runs the whole flow once with the given log settings and returns every
/// line the gateway wrote, with the values none of them may contain.
async fn logged_flow(format: &str, level: &str) -> (String, Vec<(String, String)>) {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let secret = marker("Bearer log-secret");
    let rotated = marker("Bearer rotated-secret");
    let wrong = marker("Bearer wrong-guess");
    let body_marker = marker("body-field");
    let mut gateway = GatewayProcess::start(
        control_plane,
        &args(&["--log-format", format, "--log-level", level]),
    );
    let (namespace, path) = project(&client, "secrets-logs", &secret).await;
    let url = gateway.url(&path);
    let json = ("content-type", "application/json");
    let refreshed = eventually("a refreshing delivery", REACTION, || async {
        let answer = post(
            &url,
            &[("authorization", &secret), json],
            push_with(&body_marker),
        )
        .await;
        (answer.status == 200 && answer.json()["warehouses"].as_array()?.len() == 1)
            .then_some(answer)
    })
    .await;
    assert_eq!(refreshed.status, 200);
    let refused = [
        post(
            &url,
            &[("authorization", &wrong), json],
            push_with(&body_marker),
        )
        .await,
        post(&url, &[json], push_with(&body_marker)).await,
        post(
            &url,
            &[("authorization", &secret), json],
            format!("{{\"type\": \"{body_marker}").into_bytes(),
        )
        .await,
        // The right token without the base path, and behind another
        // provider's segment: not a receiver URL.
        post(
            &gateway.url(&path.replacen(BASE_PATH, "", 1)),
            &[("authorization", &secret), json],
            push_with(&body_marker),
        )
        .await,
        post(
            &gateway.url(&path.replace("/harbor/", "/quay/")),
            &[("authorization", &secret), json],
            push_with(&body_marker),
        )
        .await,
    ];
    let statuses: Vec<u16> = refused.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [401, 401, 400, 404, 404], "{refused:?}");

    // Rotation: a new token; the old URL stops working.
    put_secret(&client, &namespace, "harbor-webhook", &rotated).await;
    let rotated_path = published_path(&client, &namespace, Some(&path)).await;
    let answer = post(
        &gateway.url(&rotated_path),
        &[("authorization", &rotated), json],
        push_with(&body_marker),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = post(
        &url,
        &[("authorization", &secret), json],
        fixture("push-simple.json"),
    )
    .await;
    assert_eq!(answer.status, 404, "{answer:?}");

    gateway.terminate();
    let exit = gateway.wait_exit(Duration::from_secs(20)).await;
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}");
    let logs = gateway.all_logs().join("\n");

    let mut forbidden = Vec::new();
    for (what, value) in [
        ("secret", &secret),
        ("rotated secret", &rotated),
        ("wrong guess", &wrong),
    ] {
        let bare = value.trim_start_matches("Bearer ");
        forbidden.push((format!("{what} (Authorization value)"), value.clone()));
        forbidden.push((format!("{what} without its scheme"), bare.to_owned()));
        forbidden.push((format!("{what} in base64"), base64(value)));
    }
    for (what, path) in [("token", &path), ("rotated token", &rotated_path)] {
        let token = token_of(path);
        forbidden.push((what.to_owned(), token.to_owned()));
        forbidden.push((format!("{what} path"), path.clone()));
        forbidden.push((
            format!("{what} path without the base path"),
            path.replacen(BASE_PATH, "", 1),
        ));
        forbidden.push((format!("{what} URL"), format!("{EXTERNAL_URL}{path}")));
    }
    forbidden.push(("body field".to_owned(), body_marker));
    (logs, forbidden)
}

fn assert_nothing_secret(logs: &str, forbidden: &[(String, String)], run: &str) {
    for (what, value) in forbidden {
        if let Some(line) = logs.lines().find(|line| line.contains(value.as_str())) {
            panic!("{run}: the {what} appears in a log line:\n{line}");
        }
    }
}

#[tokio::test]
async fn nothing_secret_reaches_the_logs_in_any_format_at_any_level() {
    let (text, forbidden) = logged_flow("text", "debug").await;
    assert_nothing_secret(&text, &forbidden, "text, debug");
    // The logs are real: deliveries of every kind and receivers are there.
    for expected in [
        "outcome",
        "refreshed",
        "wrong_credentials",
        "missing_credentials",
        "malformed_body",
        "not_found",
        "receiver ready",
        "watch listed",
        // One line per candidate subscription, with its rule's reason.
        "SemVer; 1.27.1 is a semantic version (no constraint)",
    ] {
        assert!(
            text.contains(expected),
            "text, debug: no {expected:?} in:\n{text}"
        );
    }

    let (json, forbidden) = logged_flow("json", "trace").await;
    assert_nothing_secret(&json, &forbidden, "json, trace");
    assert!(
        json.lines()
            .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()),
        "a JSON log line is not JSON"
    );
    // Trace for every crate: the Kubernetes client's and the HTTP
    // server's own lines are there too.
    for expected in [
        "\"refreshed\"",
        "\"wrong_credentials\"",
        "requesting",
        "\"TRACE\"",
    ] {
        assert!(json.contains(expected), "json, trace: no {expected:?}");
    }
}

/// Every answer's status line, headers and body, for searching.
fn whole(answer: &Answer) -> String {
    format!("{}\n{}\n{}", answer.status, answer.headers, answer.body)
}

#[tokio::test]
async fn answers_never_echo_the_authorization_header_or_the_body() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let secret = marker("Bearer echo-secret");
    let auth_marker = marker("Bearer auth-marker");
    let body_marker = marker("body-marker");
    let gateway = GatewayProcess::start(
        control_plane,
        &args(&[
            "--body-limit",
            "2048",
            "--failed-attempt-rate",
            "0.5",
            "--failed-attempt-burst",
            "8",
        ]),
    );
    let (_, path) = project(&client, "secrets-echo", &secret).await;
    let url = gateway.url(&path);
    wait_served(&url).await;
    let json = ("content-type", "application/json");
    let big = [push_with(&body_marker), vec![b' '; 4096]].concat();
    let client = reqwest::Client::new();
    let get = client
        .get(&url)
        .header("authorization", &auth_marker)
        .body(push_with(&body_marker))
        .send()
        .await
        .expect("GET");
    let get = Answer {
        status: get.status().as_u16(),
        headers: format!("{:?}", get.headers()),
        body: get.text().await.unwrap_or_default(),
        took: Duration::ZERO,
    };
    let mut answers = vec![
        (
            401,
            post(
                &url,
                &[("authorization", &auth_marker), json],
                push_with(&body_marker),
            )
            .await,
        ),
        (
            400,
            post(
                &url,
                &[("authorization", &secret), json],
                format!("{{\"operator\": \"{body_marker}\"").into_bytes(),
            )
            .await,
        ),
        (
            404,
            post(
                &gateway.url(&format!("{BASE_PATH}/harbor/{}", "0".repeat(64))),
                &[("authorization", &auth_marker), json],
                push_with(&body_marker),
            )
            .await,
        ),
        (405, get),
        (
            413,
            post(&url, &[("authorization", &secret), json], big).await,
        ),
        (
            415,
            post(
                &url,
                &[("authorization", &secret), ("content-type", "text/html")],
                format!("<p>{body_marker}</p>").into_bytes(),
            )
            .await,
        ),
    ];
    // Exhaust the failed-attempt limit with wrong credentials until a 429
    // comes.
    let limited = eventually("a 429", REACTION, || async {
        let answer = post(
            &url,
            &[("authorization", &auth_marker), json],
            push_with(&body_marker),
        )
        .await;
        (answer.status == 429).then_some(answer)
    })
    .await;
    answers.push((429, limited));
    for (expected, answer) in &answers {
        assert_eq!(answer.status, *expected, "{answer:?}");
        let all = whole(answer);
        for (what, value) in [
            ("Authorization header", auth_marker.as_str()),
            (
                "Authorization header without its scheme",
                auth_marker.trim_start_matches("Bearer "),
            ),
            ("secret", secret.as_str()),
            ("body", body_marker.as_str()),
            ("token", token_of(&path)),
        ] {
            assert!(
                !all.contains(value),
                "the {expected} answer echoes the {what}:\n{all}"
            );
        }
    }
}

#[tokio::test]
async fn wrong_credentials_never_patch_and_never_limit_the_right_sender() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let secret = marker("Bearer guessed-secret");
    let json = ("content-type", "application/json");

    // No limit: 200 wrong guesses, all refused, nothing patched.
    let unlimited = GatewayProcess::start(control_plane, &args(&["--failed-attempt-rate", "0"]));
    let (namespace, path) = project(&client, "secrets-guess", &secret).await;
    let url = unlimited.url(&path);
    wait_served(&url).await;
    for guess in guesses(&secret, 200) {
        let answer = post(
            &url,
            &[("authorization", &guess), json],
            fixture("push-simple.json"),
        )
        .await;
        assert_eq!(answer.status, 401, "guess {guess:?}: {answer:?}");
    }
    assert_eq!(refresh_token(&client, &namespace, "nginx").await, None);
    // The right value does patch: the guesses were refused for their value.
    let answer = post(
        &url,
        &[("authorization", &secret), json],
        fixture("push-simple.json"),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(refresh_token(&client, &namespace, "nginx").await.is_some());
    drop(unlimited);

    // With a limit, failed attempts use it up: 429 appears for them, and
    // the right value is served all the same, even under a delivery rate
    // the operator set.
    let limited = GatewayProcess::start(
        control_plane,
        &args(&[
            "--failed-attempt-rate",
            "1",
            "--failed-attempt-burst",
            "20",
            "--receiver-rate",
            "1",
            "--receiver-burst",
            "2",
        ]),
    );
    let (namespace, path) = project(&client, "secrets-limit", &secret).await;
    let url = limited.url(&path);
    wait_served(&url).await;
    let mut statuses = Vec::new();
    for guess in guesses(&secret, 40) {
        let answer = post(
            &url,
            &[("authorization", &guess), json],
            fixture("push-simple.json"),
        )
        .await;
        statuses.push(answer.status);
    }
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&429),
        "no 429 among failed attempts: {statuses:?}"
    );
    let answer = post(
        &url,
        &[("authorization", &secret), json],
        fixture("push-simple.json"),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.json()["warehouses"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(refresh_token(&client, &namespace, "nginx").await.is_some());
}

/// The `Ready` condition of a ProjectConfig's status, once it is `False`:
/// `(reason, message)`.
async fn not_ready(client: &kube::Client, namespace: &str) -> (String, String) {
    let api: Api<ProjectConfig> = Api::namespaced(client.clone(), namespace);
    eventually("the receiver reported not ready", REACTION, || async {
        let config = api.get_opt(namespace).await.ok()??;
        let status = serde_json::to_value(config.status?).ok()?;
        let ready = status["conditions"]
            .as_array()?
            .iter()
            .find(|c| c["type"] == "Ready" && c["status"] == "False")?
            .clone();
        Some((
            ready["reason"].as_str()?.to_owned(),
            ready["message"].as_str()?.to_owned(),
        ))
    })
    .await
}

/// An `auth-header` with the newline `kubectl create secret --from-file`
/// keeps, a leading space, or nothing at all can never be presented in a
/// header: the receiver is reported not ready with its own reason (here in
/// the status the gateway publishes; otherwise as an Event) instead of
/// answering 401 to everything, and no URL of it accepts anything, an empty
/// `Authorization` included.
#[tokio::test]
async fn secret_values_no_sender_can_present_make_the_receiver_not_ready() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let gateway = GatewayProcess::start(control_plane, &args(&[]));
    let layout = UrlLayout::new(EXTERNAL_URL, BASE_PATH).expect("a valid layout");
    for (value, shown) in [
        ("Bearer from-file-secret\n", "trailing newline"),
        (" Bearer leading-space-secret", "leading space"),
        ("", "empty"),
    ] {
        let namespace = ControlPlane::shared()
            .fresh_namespace("secrets-shape")
            .await;
        put_secret(&client, &namespace, "harbor-webhook", value).await;
        put_project_config(&client, &namespace, "harbor-webhook").await;
        let (reason, message) = not_ready(&client, &namespace).await;
        assert_eq!(reason, "SecretValueUnusable", "{shown}: {message}");
        assert!(message.contains("auth-header"), "{shown}: {message}");
        let bare = value.trim();
        assert!(
            bare.is_empty() || !message.contains(bare),
            "{shown}: the message shows the value: {message}"
        );
        // Kargo's controller would publish the URL of this value; the
        // gateway serves nothing there, whatever is presented.
        let path = layout.path(&PathInputs {
            project: &namespace,
            receiver_type: "harbor",
            receiver_name: "harbor",
            secret_values: &[value.as_bytes()],
        });
        for presented in [value.trim(), ""] {
            let answer = post(
                &gateway.url(path.as_str()),
                &[
                    ("authorization", presented),
                    ("content-type", "application/json"),
                ],
                fixture("push-simple.json"),
            )
            .await;
            assert_eq!(answer.status, 404, "{shown}, {presented:?}: {answer:?}");
        }
    }
    let logs = gateway.logs().join("\n");
    assert!(logs.contains("SecretValueUnusable"), "not in the log");
}

/// `count` wrong `Authorization` values: random ones, near misses of
/// `secret` (one character changed, case, whitespace, scheme), empty and
/// long ones.
fn guesses(secret: &str, count: usize) -> Vec<String> {
    let bare = secret.trim_start_matches("Bearer ");
    let mut guesses = vec![
        String::new(),
        " ".to_owned(),
        bare.to_owned(),
        format!("Basic {bare}"),
        format!("bearer {bare}"),
        format!("Bearer  {bare}"),
        // (Whitespace around a header value is not part of it in HTTP.)
        format!("{secret}\t{secret}"),
        format!("{secret}x"),
        secret[..secret.len() - 1].to_owned(),
        secret.to_uppercase(),
        format!("Bearer {}", "a".repeat(1000)),
    ];
    // One character changed, at every position.
    for position in 0..secret.len() {
        let mut bytes = secret.as_bytes().to_vec();
        bytes[position] = if bytes[position] == b'z' { b'y' } else { b'z' };
        guesses.push(String::from_utf8(bytes).expect("ASCII"));
    }
    while guesses.len() < count {
        guesses.push(format!("Bearer {}", uuid::Uuid::new_v4().simple()));
    }
    guesses.truncate(count);
    guesses
}
