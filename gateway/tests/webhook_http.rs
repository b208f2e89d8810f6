//! The webhook server over real HTTP, one test per row of the answer table:
//! routing, methods, body limits, credentials, bodies, ignored events,
//! refreshes, API failures, the answer deadline and rate limiting.
//!
//! Kubernetes is replaced here by an in-memory patcher (see `support`) so
//! that each failure mode can be produced on demand; the end-to-end suite
//! under `tests/e2e` runs the same path against a real API server.

mod support;

use std::time::Duration;

use kargo_webhook_gateway::ratelimit::RateLimit;
use serde_json::json;
use support::{AUTH, Api, NOT_JSON, Options, PULL, PUSH, PUSH_DIGEST_ONLY, start};

#[tokio::test]
async fn unknown_token_and_wrong_provider_are_the_same_404() {
    let gateway = start(Options::default()).await;
    let token = gateway.url.rsplit('/').next().expect("token").to_owned();
    let unknown = format!("http://{}/harbor/{}", gateway.address, "0".repeat(64));
    let wrong_provider = format!("http://{}/quay/{token}", gateway.address);
    let a = gateway.post(&unknown, Some(AUTH), PUSH).await;
    let b = gateway.post(&wrong_provider, Some(AUTH), PUSH).await;
    assert_eq!(a, (404, json!({"error": "not found"})));
    assert_eq!(a, b);
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn path_variants_of_a_real_receiver_are_not_found() {
    let gateway = start(Options::default()).await;
    let url = &gateway.url;
    let (base, token) = url.rsplit_once('/').expect("token");
    for variant in [
        format!("{url}/"),
        format!("{url}?x=1"),
        format!("{base}/{}", token.to_uppercase()),
        format!("{base}//{token}"),
        format!("{}%2F{token}", base),
    ] {
        let (status, _) = gateway.post(&variant, Some(AUTH), PUSH).await;
        assert_eq!(status, 404, "{variant}");
    }
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn other_methods_get_405() {
    let gateway = start(Options::default()).await;
    let response = gateway.client.get(&gateway.url).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_with_or_without_content_length() {
    let gateway = start(Options {
        body_limit: 1024,
        ..Options::default()
    })
    .await;
    let big = vec![b' '; 4096];
    let declared = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .body(big.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(declared.status().as_u16(), 413);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..8).map(|_| Ok(vec![b' '; 512])).collect();
    let chunked = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("sent");
    assert_eq!(chunked.status().as_u16(), 413);
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_and_patch_nothing() {
    let gateway = start(Options::default()).await;
    assert_eq!(
        gateway.post(&gateway.url, None, PUSH).await,
        (401, json!({"error": "missing authorization"}))
    );
    assert_eq!(
        gateway.post(&gateway.url, Some("Bearer wrong"), PUSH).await,
        (401, json!({"error": "unauthorized"}))
    );
    // Authentication comes first: a bad body without credentials is a 401.
    assert_eq!(gateway.post(&gateway.url, None, NOT_JSON).await.0, 401);
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn malformed_bodies_get_400() {
    let gateway = start(Options::default()).await;
    assert_eq!(
        gateway.post(&gateway.url, Some(AUTH), NOT_JSON).await,
        (400, json!({"error": "invalid request body"}))
    );
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn ignored_events_get_200_and_patch_nothing() {
    let gateway = start(Options::default()).await;
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PULL).await;
    assert_eq!(status, 200);
    let msg = body["msg"].as_str().expect("msg");
    assert!(
        msg.starts_with("ignored: ") && msg.contains("PULL_ARTIFACT"),
        "{msg}"
    );
    let (status, body) = gateway
        .post(&gateway.url, Some(AUTH), PUSH_DIGEST_ONLY)
        .await;
    assert_eq!(status, 200);
    assert!(
        body["msg"].as_str().expect("msg").contains("names no tag"),
        "{body}"
    );
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn pushes_refresh_exactly_the_matching_warehouses_of_the_project() {
    let gateway = start(Options::default()).await;
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"msg": "refreshed 2 warehouse(s)", "warehouses": ["team-a/nginx-any", "team-a/nginx-semver"]})
        )
    );
    assert_eq!(
        gateway.patched(),
        ["team-a/nginx-any", "team-a/nginx-semver"]
    );
}

#[tokio::test]
async fn two_quick_pushes_write_two_distinct_tokens() {
    let gateway = start(Options::default()).await;
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);
    let tokens: Vec<String> = gateway
        .patcher
        .patched
        .lock()
        .expect("lock")
        .iter()
        .filter(|(w, _)| w == "team-a/nginx-semver")
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn api_failure_gets_503_with_retry_after() {
    let gateway = start(Options {
        api: Api::Failing,
        ..Options::default()
    })
    .await;
    let response = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .header("content-type", "application/json")
        .body(PUSH)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 503);
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse::<u64>()
            .expect("seconds")
            >= 1
    );
}

#[tokio::test]
async fn a_missed_deadline_gets_503_and_the_refresh_goes_on() {
    let gateway = start(Options {
        api: Api::Slow(Duration::from_millis(600)),
        deadline: Duration::from_millis(200),
        ..Options::default()
    })
    .await;
    let started = std::time::Instant::now();
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "answered at the deadline"
    );
    assert!(gateway.patched().is_empty());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        gateway.patched(),
        ["team-a/nginx-any", "team-a/nginx-semver"]
    );
}

#[tokio::test]
async fn too_many_deliveries_get_429_even_when_unauthenticated() {
    let gateway = start(Options {
        rate: RateLimit {
            rate: 0.5,
            burst: 2.0,
        },
        ..Options::default()
    })
    .await;
    assert_eq!(
        gateway
            .post(&gateway.url, Some("Bearer guess-1"), PUSH)
            .await
            .0,
        401
    );
    assert_eq!(
        gateway
            .post(&gateway.url, Some("Bearer guess-2"), PUSH)
            .await
            .0,
        401
    );
    let response = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .body(PUSH)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn a_warehouse_deleted_before_its_patch_is_reported_and_the_rest_refreshed() {
    // nginx-any is in the index but gone from the API server.
    let gateway = start(Options {
        existing: vec!["nginx-semver"],
        ..Options::default()
    })
    .await;
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(status, 200);
    assert_eq!(body["msg"], "refreshed 1 warehouse(s)");
    assert_eq!(body["warehouses"], json!(["team-a/nginx-semver"]));
    assert_eq!(body["gone"], json!(["team-a/nginx-any"]));
}
