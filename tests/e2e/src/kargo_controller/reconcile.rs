//! One reconcile of one ProjectConfig or ClusterConfig, as Kargo's
//! management controller does it: read the object, read each receiver's
//! Secret from the API server, compute `status.webhookReceivers` and the
//! `Ready` condition, and merge-patch the status subresource with what
//! changed (nothing when nothing did). Like Kargo, a pass whose receivers
//! all resolve writes twice at most: the receivers and conditions first,
//! then `observedGeneration`; a failing pass leaves `observedGeneration`
//! alone.

use std::time::Instant;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::{Value, json};

use super::formula::receiver_details;
use super::status::{Condition, KargoStatus, merge_patch, now_rfc3339};
use super::{ConfigRef, KARGO_FIELD_MANAGER, StatusWrite, WriteLog};

/// The annotation that asks Kargo to reconcile now; Kargo records the
/// handled value in `status.lastHandledRefresh`.
const REFRESH_ANNOTATION: &str = "kargo.akuity.io/refresh";

const READY: &str = "Ready";
const RECONCILING: &str = "Reconciling";

/// Each receiver type Kargo has: the spec field (also the URL path
/// segment), the one Secret key it reads, and the name Kargo's messages use.
const RECEIVER_TYPES: [(&str, &str, &str); 10] = [
    ("artifactory", "secret-token", "Artifactory"),
    ("azure", "secret", "Azure"),
    ("bitbucket", "secret", "Bitbucket"),
    ("dockerhub", "secret", "DockerHub"),
    ("generic", "secret", "Generic"),
    ("gitea", "secret", "Gitea"),
    ("github", "secret", "GitHub"),
    ("gitlab", "secret-token", "GitLab"),
    ("harbor", "auth-header", "Harbor"),
    ("quay", "secret", "Quay.io"),
];

/// The Secret key a receiver type reads, `None` for a type Kargo lacks.
pub fn secret_key(receiver_type: &str) -> Option<&'static str> {
    RECEIVER_TYPES
        .iter()
        .find(|(field, _, _)| *field == receiver_type)
        .map(|(_, key, _)| *key)
}

/// Where the stand-in publishes and where cluster Secrets live.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub base_url: String,
    pub system_resources_namespace: String,
}

/// How a reconcile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The object does not exist (or is being deleted): nothing to do.
    Absent,
    /// Every receiver resolved.
    Synced,
    /// Some receiver did not resolve; Kargo retries with a back-off.
    Failed,
}

/// The API resource of ProjectConfigs.
pub(super) fn project_configs() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", "ProjectConfig"),
        "projectconfigs",
    )
}

/// The API resource of ClusterConfigs.
pub(super) fn cluster_configs() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("kargo.akuity.io", "v1alpha1", "ClusterConfig"),
        "clusterconfigs",
    )
}

impl ConfigRef {
    pub(super) fn api(&self, client: &kube::Client) -> Api<DynamicObject> {
        match self {
            ConfigRef::Project { namespace, .. } => {
                Api::namespaced_with(client.clone(), namespace, &project_configs())
            }
            ConfigRef::Cluster { .. } => Api::all_with(client.clone(), &cluster_configs()),
        }
    }

    pub(super) fn name(&self) -> &str {
        match self {
            ConfigRef::Project { name, .. } | ConfigRef::Cluster { name } => name,
        }
    }

    /// The project in the URL hash: the namespace, or "" cluster-wide.
    fn project_name(&self) -> &str {
        match self {
            ConfigRef::Project { namespace, .. } => namespace,
            ConfigRef::Cluster { .. } => "",
        }
    }

    fn secrets_namespace<'a>(&'a self, settings: &'a Settings) -> &'a str {
        match self {
            ConfigRef::Project { namespace, .. } => namespace,
            ConfigRef::Cluster { .. } => &settings.system_resources_namespace,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ConfigRef::Project { .. } => "ProjectConfig",
            ConfigRef::Cluster { .. } => "ClusterConfig",
        }
    }
}

/// Reconciles `target` once and records each status write in `writes`.
pub(super) async fn reconcile(
    client: &kube::Client,
    settings: &Settings,
    target: &ConfigRef,
    writes: &WriteLog,
) -> kube::Result<Outcome> {
    let api = target.api(client);
    let Some(object) = api.get_opt(target.name()).await? else {
        return Ok(Outcome::Absent);
    };
    if object.metadata.deletion_timestamp.is_some() {
        return Ok(Outcome::Absent);
    }
    let generation = object.metadata.generation.unwrap_or(0);
    let mut persisted = KargoStatus::from_object_status(object.data.get("status"));
    let receivers = object
        .data
        .pointer("/spec/webhookReceivers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    let (mut status, synced) =
        sync_receivers(client, settings, target, &persisted, &receivers, generation).await;
    if synced {
        if let Some(updated) = patch_status(&api, target, &persisted, &status, writes).await? {
            persisted = updated;
        }
        status.observed_generation = generation;
    }
    if let Some(token) = object
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(REFRESH_ANNOTATION))
    {
        status.last_handled_refresh = token.clone();
    }
    patch_status(&api, target, &persisted, &status, writes).await?;
    Ok(if synced {
        Outcome::Synced
    } else {
        Outcome::Failed
    })
}

/// Kargo's `syncWebhookReceivers`: the new status, and whether every
/// receiver resolved. Receivers that do not resolve are left out of the
/// list and named in the `Ready` condition's message.
async fn sync_receivers(
    client: &kube::Client,
    settings: &Settings,
    target: &ConfigRef,
    current: &KargoStatus,
    receivers: &[Value],
    generation: i64,
) -> (KargoStatus, bool) {
    let now = now_rfc3339();
    let kind = target.kind();
    let synced = Condition::new(
        READY,
        true,
        "Synced",
        &format!("{kind} is synced and ready for use"),
        generation,
    );
    let mut status = current.clone();
    if receivers.is_empty() {
        status.webhook_receivers.clear();
        status.delete_condition(RECONCILING);
        status.set_condition(synced, &now);
        return (status, true);
    }
    let syncing = "Syncing WebhookReceivers";
    status.set_condition(
        Condition::new(RECONCILING, true, "SyncingWebhooks", syncing, generation),
        &now,
    );
    status.set_condition(
        Condition::new(READY, false, "SyncingWebhooks", syncing, generation),
        &now,
    );
    status.webhook_receivers.clear();
    let mut failures = Vec::new();
    for receiver in receivers {
        let name = receiver["name"].as_str().unwrap_or_default();
        match resolve(client, settings, target, receiver).await {
            Ok(details) => status.webhook_receivers.push(details.into()),
            Err(reason) => {
                failures.push(format!("error syncing WebhookReceiver {name:?}: {reason}"))
            }
        }
    }
    if failures.is_empty() {
        status.delete_condition(RECONCILING);
        status.set_condition(synced, &now);
        return (status, true);
    }
    // Kargo's two reconcilers spell this prefix differently.
    let prefix = match target {
        ConfigRef::Project { .. } => "Failed to sync WebhookReceivers: ",
        ConfigRef::Cluster { .. } => "Failed to sync webhook receivers: ",
    };
    status.set_condition(
        Condition::new(
            READY,
            false,
            "SyncWebhookReceiversFailed",
            &format!("{prefix}{}", aggregate(failures)),
            generation,
        ),
        &now,
    );
    (status, false)
}

/// Kargo's `NewReceiver` + `getDetails` for one spec entry, or the reason
/// it fails (never holding a secret value).
async fn resolve(
    client: &kube::Client,
    settings: &Settings,
    target: &ConfigRef,
    receiver: &Value,
) -> Result<super::formula::ReceiverDetails, String> {
    let name = receiver["name"].as_str().unwrap_or_default();
    let (receiver_type, key, display) = RECEIVER_TYPES
        .iter()
        .find(|(field, _, _)| receiver[*field].is_object())
        .ok_or_else(|| {
            "error getting receiver factory: no receiver type is configured".to_owned()
        })?;
    let secret_name = receiver[*receiver_type]["secretRef"]["name"]
        .as_str()
        .unwrap_or_default();
    let namespace = target.secrets_namespace(settings);
    let context = format!("Secret {secret_name:?} in namespace {namespace:?}");
    if secret_name.is_empty() {
        return Err(format!(
            "error getting {context}: resource name may not be empty"
        ));
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let secret = match secrets.get_opt(secret_name).await {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            return Err(format!(
                "error getting {context}: secrets {secret_name:?} not found"
            ));
        }
        Err(error) => return Err(format!("error getting {context}: {error}")),
    };
    let value = secret
        .data
        .as_ref()
        .and_then(|data| data.get(*key))
        .ok_or_else(|| {
            format!(
                "error extracting secret values from {context}: missing data key {key:?} for {display} WebhookReceiver"
            )
        })?;
    Ok(receiver_details(
        &settings.base_url,
        target.project_name(),
        receiver_type,
        name,
        &value.0,
    ))
}

/// `kerrors.NewAggregate(errs).Error()`: one message alone, several in
/// brackets, duplicates once.
fn aggregate(mut messages: Vec<String>) -> String {
    let mut seen = std::collections::HashSet::new();
    messages.retain(|message| seen.insert(message.clone()));
    if messages.len() == 1 {
        messages.remove(0)
    } else {
        format!("[{}]", messages.join(", "))
    }
}

/// Kargo's `PatchStatus`: a JSON merge patch of what changed between
/// `persisted` and `desired`, through the status subresource, and no
/// request at all when nothing did. Returns the status the server holds
/// after a write.
async fn patch_status(
    api: &Api<DynamicObject>,
    target: &ConfigRef,
    persisted: &KargoStatus,
    desired: &KargoStatus,
    writes: &WriteLog,
) -> kube::Result<Option<KargoStatus>> {
    let Some(patch) = merge_patch(&persisted.to_json(), &desired.to_json()) else {
        return Ok(None);
    };
    let params = PatchParams {
        field_manager: Some(KARGO_FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    };
    let updated = api
        .patch_status(
            target.name(),
            &params,
            &Patch::Merge(json!({"status": patch})),
        )
        .await?;
    let status = updated.data.get("status").cloned().unwrap_or(Value::Null);
    let written = KargoStatus::from_object_status(Some(&status));
    tracing::info!(
        kind = target.kind(),
        object = %target,
        receivers = written.webhook_receivers.len(),
        ready = written.condition(READY).map_or("", |c| c.reason.as_str()),
        "stand-in Kargo controller wrote status"
    );
    writes.record(StatusWrite {
        object: target.clone(),
        resource_version: updated.metadata.resource_version.unwrap_or_default(),
        at: Instant::now(),
        status,
    });
    Ok(Some(written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_per_type() {
        assert_eq!(secret_key("harbor"), Some("auth-header"));
        assert_eq!(secret_key("gitlab"), Some("secret-token"));
        assert_eq!(secret_key("artifactory"), Some("secret-token"));
        for other in [
            "github",
            "quay",
            "dockerhub",
            "azure",
            "bitbucket",
            "gitea",
            "generic",
        ] {
            assert_eq!(secret_key(other), Some("secret"), "{other}");
        }
        assert_eq!(secret_key("nexus"), None);
    }

    #[test]
    fn aggregate_matches_kargo() {
        assert_eq!(aggregate(vec!["a".into()]), "a");
        assert_eq!(
            aggregate(vec!["a".into(), "b".into(), "a".into()]),
            "[a, b]"
        );
    }
}
