//! `kargo-webhook-local`: the gateway on a local default. Starts a real
//! control plane on loopback, installs the CRDs and the Harbor guide's
//! sample resources, runs the gateway, prints the receiver URL and a
//! ready-to-paste delivery, sends one example delivery itself, and then
//! reports every Warehouse refresh until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kargo_webhook_e2e::{deliver, fixture, receiver_path, refresh_token};
use kargo_webhook_gateway::Gateway;
use kargo_webhook_gateway::config::{Config, LogFormat};
use kargo_webhook_gateway::kargo::{REFRESH_ANNOTATION, Warehouse};
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::Api;
use kube::runtime::watcher;

/// The sample project of `config/samples/`.
const PROJECT: &str = "kargo-demo";
const SECRET: &str = "harbor-webhook";
const RECEIVER: &str = "harbor";
const EXAMPLE: &str = "push-simple.json";

/// Runs the gateway against a local control plane with sample resources.
#[derive(Debug, Parser)]
#[command(name = "kargo-webhook-local", about)]
struct Args {
    /// Address of the webhook server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    webhook_address: SocketAddr,
    /// Address of the admin server.
    #[arg(long, default_value = "127.0.0.1:8081")]
    admin_address: SocketAddr,
    /// Gateway log level.
    #[arg(long, default_value = "info")]
    log_level: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    kargo_webhook_gateway::logging::init(LogFormat::Text, &args.log_level)
        .map_err(anyhow::Error::msg)?;

    say(
        "starting etcd and kube-apiserver (the first run builds them; see tests/controlplane/README.md)",
    );
    let control_plane = ControlPlane::start()
        .await
        .context("starting the local control plane")?;
    let applied = control_plane
        .apply_samples()
        .await
        .context("applying config/samples")?;
    say(&format!("applied {}", applied.join(", ")));

    let mut config = Config::defaults();
    config.webhook_address = args.webhook_address;
    config.admin_address = args.admin_address;
    config.external_url = format!("http://{}", args.webhook_address);
    config.leader_election = false;
    // There is no Kargo controller on this control plane to publish the
    // receiver URL: the gateway does, with the same formula.
    config.publish_status = true;
    let client = control_plane.admin_client();
    let gateway = Gateway::start(config, client.clone()).await?;

    let path = tokio::time::timeout(
        Duration::from_secs(30),
        receiver_path(&client, PROJECT, RECEIVER),
    )
    .await
    .context("the receiver URL did not appear in the ProjectConfig's status")?;
    let url = format!("http://{}{path}", gateway.webhook_address);
    let auth = sample_auth_header(&client).await?;
    let example = kargo_webhook_testenv::paths::repository_root()
        .join("tests/fixtures/harbor")
        .join(EXAMPLE);
    let example = example.canonicalize().unwrap_or(example);
    let kubeconfig = control_plane
        .kubeconfig_path(Identity::Admin)
        .display()
        .to_string();

    say("example delivery (Harbor push of harbor.example.com/library/nginx:1.27.1):");
    let before = refresh_token(&client, PROJECT, "nginx").await;
    let (status, body) = deliver(&url, Some(&auth), "application/json", fixture(EXAMPLE)).await;
    let after = refresh_token(&client, PROJECT, "nginx").await;
    if status != 200 || before == after {
        bail!("the example delivery did not refresh {PROJECT}/nginx: {status} {body}");
    }

    let summary = format!(
        "\n\
         The gateway is running.\n\
         \n\
         receiver URL (ProjectConfig {PROJECT}/{PROJECT}, status.webhookReceivers[0].url):\n  {url}\n\
         \n\
         example delivery sent: HTTP {status} {body}\n\
         Warehouse {PROJECT}/nginx annotation {REFRESH_ANNOTATION}:\n  before: {}\n  after:  {}\n\
         \n\
         send it again yourself:\n  \
         curl -sS -X POST '{url}' -H 'Authorization: {auth}' -H 'Content-Type: application/json' --data-binary @{}\n\
         \n\
         Kubernetes: export KUBECONFIG={kubeconfig}\n\
         metrics:    http://{}/metrics\n\
         \n\
         Refreshes are reported below. Ctrl-C stops everything.\n",
        before.as_deref().unwrap_or("(none)"),
        after.as_deref().unwrap_or("(none)"),
        example.display(),
        gateway.admin_address,
    );
    say(&summary);

    tokio::select! {
        () = report_refreshes(client) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    say("stopping");
    gateway.shutdown().await;
    control_plane.stop().context("stopping the control plane")?;
    Ok(())
}

#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
}

/// The sample Secret's `auth-header`, as Harbor would send it.
async fn sample_auth_header(client: &kube::Client) -> anyhow::Result<String> {
    let secret = Api::<Secret>::namespaced(client.clone(), PROJECT)
        .get(SECRET)
        .await
        .context("reading the sample Secret")?;
    let value = secret
        .data
        .and_then(|data| data.get("auth-header").cloned())
        .context("the sample Secret has no auth-header")?;
    String::from_utf8(value.0).context("auth-header is not UTF-8")
}

/// Prints each change of a sample Warehouse's refresh annotation.
async fn report_refreshes(client: kube::Client) {
    let api: Api<Warehouse> = Api::namespaced(client, PROJECT);
    let mut last = std::collections::HashMap::new();
    let mut events = watcher::watcher(api, watcher::Config::default()).boxed();
    while let Some(event) = events.next().await {
        let warehouse = match event {
            Ok(watcher::Event::Apply(w) | watcher::Event::InitApply(w)) => w,
            _ => continue,
        };
        let name = warehouse.metadata.name.clone().unwrap_or_default();
        let token = warehouse
            .metadata
            .annotations
            .and_then(|a| a.get(REFRESH_ANNOTATION).cloned());
        let previous = last.insert(name.clone(), token.clone());
        // The first sight of a Warehouse is its state, not a change.
        if let (Some(previous), Some(token)) = (previous, &token)
            && previous.as_ref() != Some(token)
        {
            say(&format!(
                "refreshed {PROJECT}/{name}: {REFRESH_ANNOTATION}={token}"
            ));
        }
    }
}
