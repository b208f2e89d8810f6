//! Helm for the tests: the `helm` binary (built by `tests/helm/build.sh` from
//! the release its `go.mod` pins, or taken from `KARGO_WEBHOOK_HELM_BIN`),
//! rendering the gateway's chart, and installing the chart's RBAC into a
//! control plane so that [`Identity::Gateway`] has exactly the chart's rights.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};

use crate::build_script;
use crate::control_plane::ControlPlane;
use crate::error::{Error, Result};
use crate::identity::{GATEWAY_NAMESPACE, GATEWAY_SERVICE_ACCOUNT, Identity};
use crate::manifests::{self, Manifest};
use crate::paths;

/// Environment variable naming a directory that holds `helm`; when set,
/// nothing is built.
pub const HELM_BIN_ENV: &str = "KARGO_WEBHOOK_HELM_BIN";

/// The release name (and namespace) [`apply_chart_rbac`] renders the chart
/// with: the one that names the ServiceAccount `kargo-webhook-gateway`.
pub const GATEWAY_RELEASE: &str = "kargo-webhook-gateway";

/// The values [`apply_chart_rbac`] renders the chart with. The harness's
/// gateway identity is a ServiceAccount of its own, not Kargo's
/// `kargo-external-webhooks-server` that Kargo's RoleBindings cover, so it
/// needs the chart's own Secret access; tests create project namespaces as
/// they go, hence the cluster-wide opt-in. Its gateways publish status, as
/// in a cluster without Kargo's management controller.
pub const GATEWAY_CHART_VALUES: &[(&str, &str)] = &[
    (
        "externalWebhooksServer.serviceAccount.name",
        GATEWAY_SERVICE_ACCOUNT,
    ),
    ("externalWebhooksServer.secretAccess.clusterWide", "true"),
    ("externalWebhooksServer.publishStatus", "true"),
];

/// The kinds [`apply_chart_rbac`] applies.
const RBAC_KINDS: [&str; 5] = [
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
];

/// How long the API server's authorizer gets to see newly applied RBAC.
const RBAC_EFFECTIVE_TIMEOUT: Duration = Duration::from_secs(15);

/// `charts/kargo-webhook-gateway/`: the gateway's Helm chart.
pub fn chart_dir() -> PathBuf {
    paths::repository_root().join("charts/kargo-webhook-gateway")
}

/// `tests/helm/build.sh`, which builds Helm.
pub fn helm_build_script() -> PathBuf {
    paths::repository_root().join("tests/helm/build.sh")
}

/// The `helm` binary: `$KARGO_WEBHOOK_HELM_BIN/helm` if that variable is
/// set, else the one `tests/helm/build.sh` builds (or finds in its cache;
/// its progress goes to this process's stderr). Looked up once per process.
pub fn helm_binary() -> Result<PathBuf> {
    static HELM: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    HELM.get_or_init(|| locate_or_build().map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::Helm)
}

fn locate_or_build() -> Result<PathBuf> {
    let dir = build_script::binary_dir(HELM_BIN_ENV, &helm_build_script()).map_err(Error::Helm)?;
    let helm = dir.join("helm");
    if build_script::is_executable(&helm) {
        Ok(helm)
    } else {
        Err(Error::Helm(format!(
            "{} is missing or not executable",
            helm.display()
        )))
    }
}

/// Renders the chart with `helm template <release> --namespace <namespace>`
/// and one `--set key=value` per entry of `set` (Helm's `--set` syntax:
/// escape commas and dots in values with `\`). Each document's
/// [`Manifest::path`] is its template, e.g.
/// `kargo-webhook-gateway/templates/deployment.yaml`.
///
/// Blocking: it runs Helm (building it first if needed).
pub fn render_chart(release: &str, namespace: &str, set: &[(&str, &str)]) -> Result<Vec<Manifest>> {
    let mut command = Command::new(helm_binary()?);
    command
        .arg("template")
        .arg(release)
        .arg(chart_dir())
        .arg("--namespace")
        .arg(namespace);
    for (key, value) in set {
        command.arg("--set").arg(format!("{key}={value}"));
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io("running helm template", e))?;
    if !output.status.success() {
        return Err(Error::Helm(format!(
            "helm template {release} exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|e| Error::Helm(format!("helm template printed invalid UTF-8: {e}")))?;
    let mut rendered = Vec::new();
    for (source, document) in split_by_source(&text) {
        rendered.extend(manifests::parse_manifests(document, Path::new(source))?);
    }
    Ok(rendered)
}

/// Splits `helm template` output into its documents, each with the template
/// named by its `# Source:` comment (`helm template` when there is none).
fn split_by_source(text: &str) -> Vec<(&str, &str)> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            documents.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push(&text[start..]);
    documents
        .into_iter()
        .filter(|document| !document.trim().is_empty())
        .map(|document| {
            let source = document
                .lines()
                .find_map(|line| line.strip_prefix("# Source: "))
                .map_or("helm template", str::trim);
            (source, document)
        })
        .collect()
}

/// Renders the chart as release `kargo-webhook-gateway` in namespace
/// `kargo-webhook-gateway` with [`GATEWAY_CHART_VALUES`], creates that
/// namespace if missing, and
/// server-side applies (as the admin) only its ServiceAccount, ClusterRole,
/// ClusterRoleBinding, Role and RoleBinding: [`Identity::Gateway`] then has
/// exactly the rights the chart gives the gateway. Returns once the API
/// server's authorizer grants every applied rule to that identity.
///
/// Safe to call again and from several tests at once (applying is
/// idempotent).
pub async fn apply_chart_rbac(control_plane: &ControlPlane) -> Result<()> {
    let rendered = tokio::task::spawn_blocking(|| {
        render_chart(GATEWAY_RELEASE, GATEWAY_NAMESPACE, GATEWAY_CHART_VALUES)
    })
    .await
    .map_err(|e| Error::Helm(format!("the render task failed: {e}")))??;
    let rbac: Vec<Manifest> = rendered
        .into_iter()
        .filter(|manifest| RBAC_KINDS.contains(&kind_of(manifest)))
        .collect();
    check_service_account(&rbac)?;

    let admin = control_plane.client(Identity::Admin)?;
    create_namespace_if_missing(&admin, GATEWAY_NAMESPACE).await?;
    manifests::apply_objects(&admin, rbac.clone()).await?;

    let gateway = control_plane.client(Identity::Gateway)?;
    for check in access_checks(&rbac) {
        wait_until_allowed(&gateway, check).await?;
    }
    Ok(())
}

fn kind_of(manifest: &Manifest) -> &str {
    manifest.object["kind"].as_str().unwrap_or_default()
}

/// The harness's gateway identity is `kargo-webhook-gateway` in namespace
/// `kargo-webhook-gateway`: the chart must bind its rules to that account.
fn check_service_account(rbac: &[Manifest]) -> Result<()> {
    let named = |manifest: &&Manifest| {
        kind_of(manifest) == "ServiceAccount"
            && manifest.object["metadata"]["name"] == GATEWAY_SERVICE_ACCOUNT
            && manifest.object["metadata"]["namespace"] == GATEWAY_NAMESPACE
    };
    if rbac.iter().any(|manifest| named(&manifest)) {
        Ok(())
    } else {
        Err(Error::Helm(format!(
            "the chart rendered as release {GATEWAY_RELEASE} has no ServiceAccount \
             {GATEWAY_NAMESPACE}/{GATEWAY_SERVICE_ACCOUNT}"
        )))
    }
}

async fn create_namespace_if_missing(client: &kube::Client, name: &str) -> Result<()> {
    let namespace = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_owned()),
            ..Default::default()
        },
        ..Default::default()
    };
    match Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(Error::kube(format!("creating namespace {name}"), e)),
    }
}

/// One request the gateway identity must be allowed to make.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AccessCheck {
    namespace: Option<String>,
    group: String,
    resource: String,
    subresource: Option<String>,
    name: Option<String>,
    verb: String,
}

/// One check per verb, resource and group of every rule of the applied
/// ClusterRoles (cluster-wide) and Roles (in their namespace).
fn access_checks(rbac: &[Manifest]) -> Vec<AccessCheck> {
    let strings = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut checks = Vec::new();
    for manifest in rbac {
        let namespace = match kind_of(manifest) {
            "ClusterRole" => None,
            "Role" => manifest.object["metadata"]["namespace"]
                .as_str()
                .map(str::to_owned),
            _ => continue,
        };
        for rule in manifest.object["rules"].as_array().into_iter().flatten() {
            let names = strings(&rule["resourceNames"]);
            for group in strings(&rule["apiGroups"]) {
                for resource in strings(&rule["resources"]) {
                    let (resource, subresource) = match resource.split_once('/') {
                        Some((resource, sub)) => (resource.to_owned(), Some(sub.to_owned())),
                        None => (resource, None),
                    };
                    for verb in strings(&rule["verbs"]) {
                        checks.push(AccessCheck {
                            namespace: namespace.clone(),
                            group: group.clone(),
                            resource: resource.clone(),
                            subresource: subresource.clone(),
                            name: names.first().cloned(),
                            verb,
                        });
                    }
                }
            }
        }
    }
    checks
}

/// Asks the API server, as the gateway, until `check` is allowed: RBAC
/// objects reach the authorizer through a watch, a moment after they are
/// written.
async fn wait_until_allowed(gateway: &kube::Client, check: AccessCheck) -> Result<()> {
    let api: Api<SelfSubjectAccessReview> = Api::all(gateway.clone());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: check.namespace.clone(),
                group: Some(check.group.clone()),
                resource: Some(check.resource.clone()),
                subresource: check.subresource.clone(),
                name: check.name.clone(),
                verb: Some(check.verb.clone()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let started = Instant::now();
    loop {
        let answer = api
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| Error::kube("asking for a SelfSubjectAccessReview as the gateway", e))?;
        if answer.status.is_some_and(|status| status.allowed) {
            return Ok(());
        }
        if started.elapsed() > RBAC_EFFECTIVE_TIMEOUT {
            return Err(Error::Wait(format!(
                "the chart's RBAC was applied but the gateway is still not allowed {check:?} \
                 after {} s",
                RBAC_EFFECTIVE_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RENDERED: &str = "---\n# Source: chart/templates/a.yaml\nkind: A\n---\n\
        # Source: chart/templates/b.yaml\nkind: B\nlist:\n  - x\n---\n";

    #[test]
    fn helm_output_splits_into_documents_with_their_templates() {
        let documents = split_by_source(RENDERED);
        assert_eq!(
            documents,
            vec![
                (
                    "chart/templates/a.yaml",
                    "# Source: chart/templates/a.yaml\nkind: A\n"
                ),
                (
                    "chart/templates/b.yaml",
                    "# Source: chart/templates/b.yaml\nkind: B\nlist:\n  - x\n"
                ),
            ]
        );
    }

    #[test]
    fn every_verb_of_every_rule_becomes_a_check() {
        let role = Manifest {
            path: PathBuf::from("role.yaml"),
            object: serde_json::json!({
                "kind": "Role",
                "metadata": {"name": "r", "namespace": "ns"},
                "rules": [
                    {"apiGroups": ["g"], "resources": ["things/status"], "verbs": ["get", "patch"]},
                    {"apiGroups": [""], "resources": ["leases"], "resourceNames": ["l"], "verbs": ["update"]},
                ],
            }),
        };
        let checks = access_checks(&[role]);
        let summary: Vec<String> = checks
            .iter()
            .map(|c| {
                format!(
                    "{:?} {}/{}/{:?} {:?} {}",
                    c.namespace, c.group, c.resource, c.subresource, c.name, c.verb
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "Some(\"ns\") g/things/Some(\"status\") None get",
                "Some(\"ns\") g/things/Some(\"status\") None patch",
                "Some(\"ns\") /leases/None Some(\"l\") update",
            ]
        );
    }
}
