//! Compacting etcd's history through its JSON gateway, so that a watch
//! resuming from an old resource version must start over with a list
//! (410 Gone).

use serde_json::{Value, json};

/// Compacts etcd at its current revision (physically: the history before it
/// is gone) and returns that revision.
///
/// # Panics
/// If etcd does not answer as expected.
pub async fn compact_etcd(etcd_url: &str) -> i64 {
    let client = reqwest::Client::new();
    // A range read answers with the store's current revision in its header;
    // the key does not matter ("\0", base64).
    let range: Value = post(&client, etcd_url, "/v3/kv/range", json!({"key": "AA=="})).await;
    // int64 fields come as strings in etcd's JSON.
    let revision: i64 = range["header"]["revision"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no revision in etcd's answer: {range}"));
    post(
        &client,
        etcd_url,
        "/v3/kv/compaction",
        json!({"revision": revision.to_string(), "physical": true}),
    )
    .await;
    revision
}

async fn post(client: &reqwest::Client, etcd_url: &str, path: &str, body: Value) -> Value {
    let response = client
        .post(format!("{etcd_url}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path} to etcd: {e}"));
    let status = response.status();
    let answer: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("reading etcd's answer to {path}: {e}"));
    assert!(
        status.is_success(),
        "etcd answered {path} with {status}: {answer}"
    );
    answer
}
