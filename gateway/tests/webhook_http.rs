//! The webhook server over real HTTP, one test per row of the answer table:
//! routing, methods, body limits, credentials, bodies, ignored events,
//! refreshes, API failures, the answer deadline, the body memory budget and
//! the rate limits (a flood of wrong credentials never locks out the right
//! sender); and every Harbor fixture, as Harbor labels it.
//!
//! Kubernetes is replaced here by an in-memory patcher (see `support`) so
//! that each failure mode can be produced on demand; the end-to-end suite
//! under `tests/e2e` runs the same path against a real API server.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kargo_webhook_gateway::internals::{Rate, RateLimit, Subscriptions};
use kargo_webhook_gateway::kargo::WarehouseId;
use kargo_webhook_testenv::paths::repository_root;
use serde_json::{Value, json};
use support::{
    AUTH, Api, CLUSTER_AUTH, Gateway, NOT_JSON, Options, PULL, PUSH, PUSH_DIGEST_ONLY, start,
};
use tokio::io::AsyncWriteExt;

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

/// The production limits: failed attempts limited, authenticated
/// deliveries not (the operator may set a rate; see the tests below).
fn production_limits() -> RateLimit {
    kargo_webhook_gateway::config::Config::defaults().rate_limit()
}

/// Someone who learned the receiver URL floods it with wrong credentials
/// while Harbor delivers ten pushes a second: every one of Harbor's is
/// answered 200 and refreshes, and the flood gets 401 or 429, never 5xx.
/// Even with a delivery rate the operator set, the flood draws nothing
/// from it.
#[tokio::test]
async fn a_flood_of_wrong_credentials_never_locks_out_the_right_sender() {
    const ATTEMPTS: usize = 5_000;
    const ATTACKERS: usize = 8;
    const DELIVERIES: u32 = 100;
    let gateway = start(Options {
        rate: RateLimit {
            deliveries: Rate {
                per_second: 20.0,
                burst: 20.0,
            },
            ..production_limits()
        },
        ..Options::default()
    })
    .await;
    let attacked = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|attacker| {
            let url = gateway.url.clone();
            let attacked = Arc::clone(&attacked);
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut statuses = Vec::new();
                while attacked.fetch_add(1, Ordering::SeqCst) < ATTEMPTS {
                    let answer = client
                        .post(&url)
                        .header("authorization", format!("Bearer guess-{attacker}"))
                        .header("content-type", "application/json")
                        .body(PUSH)
                        .send()
                        .await
                        .map(|response| response.status().as_u16());
                    statuses.push(answer.map_err(|e| e.to_string()));
                }
                statuses
            })
        })
        .collect();
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let mut answers = Vec::new();
    for _ in 0..DELIVERIES {
        ticks.tick().await;
        answers.push(gateway.post(&gateway.url, Some(AUTH), PUSH).await);
    }
    let mut statuses = Vec::new();
    for attacker in attackers {
        statuses.extend(attacker.await.expect("attacker task"));
    }
    for (status, body) in &answers {
        assert_eq!(
            (*status, &body["warehouses"]),
            (200, &json!(["team-a/nginx-any", "team-a/nginx-semver"])),
            "{body}"
        );
    }
    // Each delivery waited for its answer: one patch per matched Warehouse
    // per delivery, none for the flood.
    assert_eq!(gateway.patched().len(), 2 * DELIVERIES as usize);
    assert_eq!(statuses.len(), ATTEMPTS);
    let unexpected: Vec<_> = statuses
        .iter()
        .filter(|status| !matches!(status, Ok(401 | 429)))
        .collect();
    assert!(unexpected.is_empty(), "the attacker got {unexpected:?}");
    assert!(
        statuses.contains(&Ok(429)),
        "the failed-attempt limit never engaged"
    );
}

/// An operator-set rate caps the right sender's own deliveries; failed
/// attempts before them take nothing from it.
#[tokio::test]
async fn the_right_sender_is_limited_only_by_its_own_rate() {
    let gateway = start(Options {
        rate: RateLimit {
            deliveries: Rate {
                per_second: 0.1,
                burst: 2.0,
            },
            failed_attempts: Rate::UNLIMITED,
        },
        ..Options::default()
    })
    .await;
    for guess in 0..50 {
        let wrong = format!("Bearer guess-{guess}");
        assert_eq!(gateway.post(&gateway.url, Some(&wrong), PUSH).await.0, 401);
    }
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);
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
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"error": "too many deliveries for this receiver; retry later"})
    );
    assert_eq!(
        gateway.patched().len(),
        4,
        "two deliveries, two Warehouses each"
    );
}

/// Beyond the failed-attempt limit a wrong sender gets 429 instead of 401,
/// with the connection closed either way; the right sender is not affected.
#[tokio::test]
async fn failed_attempts_beyond_their_limit_get_429() {
    let gateway = start(Options {
        rate: RateLimit {
            deliveries: Rate::UNLIMITED,
            failed_attempts: Rate {
                per_second: 0.1,
                burst: 2.0,
            },
        },
        ..Options::default()
    })
    .await;
    let mut answers = Vec::new();
    for guess in 0..4 {
        let response = gateway
            .client
            .post(&gateway.url)
            .header("authorization", format!("Bearer guess-{guess}"))
            .body(PUSH)
            .send()
            .await
            .expect("sent");
        answers.push((
            response.status().as_u16(),
            response.headers().contains_key("retry-after"),
            response.headers()["connection"].clone(),
        ));
    }
    let statuses: Vec<(u16, bool)> = answers.iter().map(|(s, r, _)| (*s, *r)).collect();
    assert_eq!(
        statuses,
        [(401, false), (401, false), (429, true), (429, true)]
    );
    assert!(
        answers
            .iter()
            .all(|(_, _, connection)| connection == "close")
    );
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);
    let (status, body) = gateway.post(&gateway.url, None, PUSH).await;
    assert_eq!(
        (status, body),
        (
            429,
            json!({"error": "too many failed attempts for this receiver; retry later"})
        )
    );
}

/// A ClusterConfig receiver refreshes Warehouses of every project; its
/// sender learns how many, not which.
#[tokio::test]
async fn a_cluster_receivers_answer_gives_counts_not_names() {
    let gateway = start(Options::default()).await;
    let (status, body) = gateway
        .post(&gateway.cluster_url, Some(CLUSTER_AUTH), PUSH)
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"msg": "refreshed 3 warehouse(s)"}))
    );
    assert_eq!(
        gateway.patched(),
        [
            "team-a/nginx-any",
            "team-a/nginx-semver",
            "team-b/nginx-elsewhere"
        ]
    );
    // The project's own receiver still names its project's Warehouses.
    let (_, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(
        body["warehouses"],
        json!(["team-a/nginx-any", "team-a/nginx-semver"])
    );
}

/// Waits (bounded) until `probe` holds.
async fn until(what: &str, mut probe: impl FnMut() -> bool) {
    for _ in 0..500 {
        if probe() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never: {what}");
}

/// A push padded with whitespace (still one JSON document) to `size` bytes.
fn padded_push(size: usize) -> Vec<u8> {
    let mut body = PUSH.to_vec();
    body.resize(size, b' ');
    body
}

/// The bodies held at once share one memory budget: a body that finds no
/// room within a short wait gets 503 with `Retry-After`; smaller ones that
/// fit go on; once memory is given back, the large one fits again.
#[tokio::test]
async fn bodies_beyond_the_memory_budget_get_503_with_retry_after() {
    const HELD: usize = 60 * 1024;
    let gateway = start(Options {
        body_limit: 64 * 1024,
        body_memory_budget: 100 * 1024,
        ..Options::default()
    })
    .await;
    // A sender with the right credentials declares 60 KiB and sends a
    // little: its buffer's share is reserved as it starts to arrive.
    let mut holder = tokio::net::TcpStream::connect(gateway.address)
        .await
        .expect("connect");
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: gateway\r\nauthorization: {AUTH}\r\n\
         content-type: application/json\r\ncontent-length: {HELD}\r\n\r\n",
        gateway.path
    );
    holder
        .write_all(&[head.as_bytes(), &PUSH[..10]].concat())
        .await
        .expect("head sent");
    let held = || gateway.metrics.request_body_bytes.get();
    until("the holder's share is reserved", || held() == HELD as i64).await;

    let response = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .header("content-type", "application/json")
        .body(padded_push(HELD))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"error": "too many request bodies held at once; retry later"})
    );
    // What fits in the rest is served meanwhile.
    assert_eq!(gateway.post(&gateway.url, Some(AUTH), PUSH).await.0, 200);

    drop(holder);
    until("the holder's share is given back", || held() == 0).await;
    let (status, _) = deliver(&gateway, "application/json", padded_push(HELD)).await;
    assert_eq!(status, 200);
    assert_eq!(held(), 0, "nothing stays held after the answers");
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

/// The files of `tests/fixtures/harbor/`, each with the content type Harbor
/// sends it with (`cloudevents-` files are CloudEvents).
fn harbor_fixtures() -> Vec<(String, &'static str, Vec<u8>)> {
    let dir = repository_root().join("tests/fixtures/harbor");
    let mut fixtures: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.file_name().is_some_and(|name| name != "README.md"))
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .expect("UTF-8 name")
                .to_owned();
            let body = std::fs::read(&path).expect("fixture");
            (name.clone(), content_type(&name), body)
        })
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 20, "{} fixtures", fixtures.len());
    fixtures
}

fn content_type(name: &str) -> &'static str {
    if name.starts_with("cloudevents-") {
        "application/cloudevents+json"
    } else {
        "application/json"
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = repository_root().join("tests/fixtures/harbor").join(name);
    std::fs::read(path).expect("fixture")
}

/// POSTs `body` as Harbor does, with the receiver's `Authorization`.
async fn deliver(gateway: &Gateway, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = gateway
        .client
        .post(&gateway.url)
        .header("authorization", AUTH)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Harbor retries every answer outside 2xx and then drops the event: every
/// body Harbor sends is answered 2xx (refreshed, or ignored when it
/// announces nothing new: other event types, a push by digest only, a push
/// without resources); only the synthetic truncated body is refused.
#[tokio::test]
async fn every_fixture_gets_2xx_except_the_truncated_body() {
    const IGNORED: [&str; 9] = [
        "cloudevents-pull.json",
        "delete.json",
        "pull.json",
        "push-digest-only.json",
        "push-empty-resources.json",
        "push-no-resources.json",
        "quota-exceed.json",
        "replication.json",
        "scanning-completed.json",
    ];
    let gateway = start(Options::default()).await;
    for (name, content_type, body) in harbor_fixtures() {
        let (status, answer) = deliver(&gateway, content_type, body).await;
        if name == "not-json.txt" {
            assert_eq!(status, 400, "{name}: {answer}");
            continue;
        }
        assert_eq!(status, 200, "{name}: {answer}");
        let msg = answer["msg"].as_str().expect("msg");
        let expected = if IGNORED.contains(&name.as_str()) {
            "ignored: "
        } else {
            "refreshed "
        };
        assert!(msg.starts_with(expected), "{name}: {answer}");
    }
}

/// The Warehouses of `start` plus two that spell the registry's port.
async fn with_port_subscriptions() -> Gateway {
    let gateway = start(Options {
        existing: vec![
            "nginx-semver",
            "nginx-any",
            "nginx-old",
            "nginx-elsewhere",
            "nginx-443",
            "nginx-8443",
        ],
        ..Options::default()
    })
    .await;
    {
        let mut index = gateway.index.write().expect("lock");
        for (name, repo) in [
            ("nginx-443", "harbor.example.com:443/library/nginx"),
            ("nginx-8443", "harbor.example.com:8443/library/nginx"),
        ] {
            let spec = json!([{"image": {"repoURL": repo, "constraint": "^1.27"}}]);
            index.apply(
                WarehouseId::new("team-a", name),
                Subscriptions::from_spec(spec.as_array().expect("array")),
            );
        }
    }
    gateway
}

/// The Warehouses one delivery refreshed, from the answer and from the
/// patches that landed, which must agree.
async fn refreshed_by(gateway: &Gateway, content_type: &str, body: Vec<u8>) -> Vec<String> {
    let before = gateway.patcher.patched.lock().expect("lock").len();
    let (status, answer) = deliver(gateway, content_type, body).await;
    assert_eq!(status, 200, "{answer}");
    let mut patched: Vec<String> = gateway.patcher.patched.lock().expect("lock")[before..]
        .iter()
        .map(|(warehouse, _)| warehouse.clone())
        .collect();
    patched.sort();
    let listed: Vec<String> = answer["warehouses"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(listed, patched, "{answer}");
    patched
}

/// Harbor's `resource_url` for an `external_url` ending in `/`
/// (`host//project/repo:tag`) or naming the default port
/// (`host:443/project/repo:tag`), in either format, refreshes exactly what
/// the plain push refreshes; among them a subscription written with `:443`.
#[tokio::test]
async fn harbors_external_url_spellings_refresh_what_the_plain_push_refreshes() {
    let gateway = with_port_subscriptions().await;
    let plain = refreshed_by(&gateway, "application/json", PUSH.to_vec()).await;
    assert_eq!(
        plain,
        [
            "team-a/nginx-443",
            "team-a/nginx-any",
            "team-a/nginx-semver"
        ]
    );
    for name in [
        "push-ext-url-trailing-slash.json",
        "cloudevents-push-ext-url-trailing-slash.json",
        "push-ext-url-default-port.json",
        "cloudevents-push-ext-url-default-port.json",
    ] {
        let refreshed = refreshed_by(&gateway, content_type(name), fixture(name)).await;
        assert_eq!(refreshed, plain, "{name}");
    }
}

/// Another port is another registry, both ways.
#[tokio::test]
async fn a_push_to_another_port_refreshes_only_that_registrys_subscriptions() {
    let gateway = with_port_subscriptions().await;
    let text = std::str::from_utf8(PUSH).expect("UTF-8 fixture");
    let plain_url = "\"harbor.example.com/library/nginx:1.27.1\"";
    assert!(text.contains(plain_url));
    let on_8443 = text.replace(
        plain_url,
        "\"harbor.example.com:8443/library/nginx:1.27.1\"",
    );
    assert_eq!(
        refreshed_by(&gateway, "application/json", on_8443.into_bytes()).await,
        ["team-a/nginx-8443"]
    );
}
