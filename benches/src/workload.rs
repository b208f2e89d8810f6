//! The Kubernetes objects the cases create: a project with a Harbor
//! receiver, and Warehouses shaped like a real fleet's.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use kargo_webhook_e2e::{ensure_namespace, put_project_config, put_secret};
use kargo_webhook_gateway::kargo::Warehouse;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

/// The receiver every case's project declares.
pub const RECEIVER: &str = "harbor";
/// The Secret holding its auth header.
pub const SECRET: &str = "harbor-webhook";
/// Concurrent creates while filling the API server.
const CREATE_CONCURRENCY: usize = 32;

/// A project namespace with a Secret and a ProjectConfig declaring one
/// Harbor receiver; returns the `Authorization` value it expects.
pub async fn project(client: &kube::Client, namespace: &str) -> String {
    ensure_namespace(client, namespace).await;
    // Each run has a control plane of its own: a fixed value will do.
    let auth = "Bearer kargo-webhook-bench".to_owned();
    put_secret(client, namespace, SECRET, &[("auth-header", &auth)]).await;
    put_project_config(
        client,
        namespace,
        json!([{"name": RECEIVER, "harbor": {"secretRef": {"name": SECRET}}}]),
    )
    .await;
    auth
}

/// The three subscriptions of fleet Warehouse `index` in project `team`:
/// an image (three in four by SemVer constraint, one in four by a
/// `Lexical` allow-regex), a Helm chart and a Git repository. Twenty
/// services per project, so each repository has several subscribers.
pub fn fleet_subscriptions(team: usize, index: usize) -> Value {
    let service = index % 20;
    let image = format!("registry.example.org/team-{team}/service-{service}");
    let image_subscription = if index.is_multiple_of(4) {
        json!({"image": {
            "repoURL": image,
            "imageSelectionStrategy": "Lexical",
            "allowTagsRegexes": ["^main-[0-9a-f]{7}$"],
        }})
    } else {
        json!({"image": {"repoURL": image, "constraint": "^1.0.0"}})
    };
    json!([
        image_subscription,
        {"chart": {
            "repoURL": format!("oci://registry.example.org/team-{team}/charts/service-{service}"),
            "semverConstraint": ">=1.0.0 <2.0.0",
        }},
        {"git": {"repoURL": format!("https://git.example.org/team-{team}/service-{service}.git")}},
    ])
}

/// A Warehouse object.
pub fn warehouse(namespace: &str, name: &str, subscriptions: Value) -> anyhow::Result<Warehouse> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "kargo.akuity.io/v1alpha1",
        "kind": "Warehouse",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"subscriptions": subscriptions},
    }))?)
}

/// Creates `objects` concurrently.
pub async fn create_all(client: &kube::Client, objects: Vec<Warehouse>) -> anyhow::Result<()> {
    let client = Arc::new(client.clone());
    futures::stream::iter(objects)
        .map(|warehouse| {
            let client = Arc::clone(&client);
            async move {
                let namespace = warehouse.metadata.namespace.clone().unwrap_or_default();
                let api: Api<Warehouse> = Api::namespaced((*client).clone(), &namespace);
                api.create(&PostParams::default(), &warehouse).await
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}
