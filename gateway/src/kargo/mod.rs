//! The Kargo resources the gateway reads and writes, typed only as far as
//! the gateway needs them.
//!
//! These types are for reading and for status patches. A Warehouse is never
//! written back whole: the refresher sends a metadata-only merge patch.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

mod identity;

pub use identity::{
    ObjectId, Owner, PromotionId, PromotionKind, WarehouseId, WarehouseKind, WarehouseScope,
};

/// The API group of every Kargo resource.
pub const GROUP: &str = "kargo.akuity.io";
/// The annotation whose change makes Kargo rediscover a Warehouse.
pub const REFRESH_ANNOTATION: &str = "kargo.akuity.io/refresh";

/// `ProjectConfig.spec`: per-project settings, of which the gateway reads
/// the webhook receivers.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "kargo.akuity.io",
    version = "v1alpha1",
    kind = "ProjectConfig",
    namespaced,
    status = "ReceiversStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ProjectConfigSpec {
    /// The project's webhook receivers.
    #[serde(default)]
    pub webhook_receivers: Vec<WebhookReceiverConfig>,
}

/// `ClusterConfig.spec`: cluster-wide settings, same receivers field.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "kargo.akuity.io",
    version = "v1alpha1",
    kind = "ClusterConfig",
    status = "ReceiversStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfigSpec {
    /// The cluster's webhook receivers.
    #[serde(default)]
    pub webhook_receivers: Vec<WebhookReceiverConfig>,
}

/// One entry of `spec.webhookReceivers`: a name and exactly one provider
/// field (`harbor: {secretRef: {name: ...}}`, ...). Provider fields are kept
/// as a map so that a missing, doubled or unknown provider can be reported
/// instead of failing the whole object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct WebhookReceiverConfig {
    /// The receiver's name, unique within its list.
    #[serde(default)]
    pub name: String,
    /// Every other field, keyed by provider name.
    #[serde(flatten)]
    pub providers: BTreeMap<String, serde_json::Value>,
}

impl WebhookReceiverConfig {
    /// The name of the Secret a provider field refers to, if it has one.
    pub fn secret_name(provider_config: &serde_json::Value) -> Option<&str> {
        provider_config
            .get("secretRef")?
            .get("name")?
            .as_str()
            .filter(|name| !name.is_empty())
    }
}

/// The status the gateway publishes on ProjectConfigs and ClusterConfigs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReceiversStatus {
    /// Conditions; the gateway owns `Ready`.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// One entry per receiver that could be set up. Always serialized, even
    /// empty: a merge patch without the field would keep stale URLs.
    #[serde(default)]
    pub webhook_receivers: Vec<ReceiverDetails>,
    /// The generation of the spec this status describes.
    #[serde(default)]
    pub observed_generation: Option<i64>,
}

/// `status.webhookReceivers[]`: where a receiver listens.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiverDetails {
    /// The receiver's name from the spec.
    pub name: String,
    /// The URL path, `{base}/{provider}/{token}`.
    pub path: String,
    /// The full URL to register with the sender.
    pub url: String,
}

/// `Warehouse.spec`: only the subscriptions, each kept as raw JSON because
/// Kargo's schema preserves unknown fields and the gateway reads few of them.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "kargo.akuity.io",
    version = "v1alpha1",
    kind = "Warehouse",
    namespaced,
    schema = "disabled"
)]
pub struct WarehouseSpec {
    /// `spec.subscriptions[]`: each has one of `image`, `chart`, `git`.
    #[serde(default)]
    pub subscriptions: Vec<serde_json::Value>,
}

/// `Promotion.spec`: only the steps, to find those waiting on a pull
/// request.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "kargo.akuity.io",
    version = "v1alpha1",
    kind = "Promotion",
    namespaced,
    status = "PromotionStatus",
    schema = "disabled"
)]
pub struct PromotionSpec {
    /// `spec.steps[]`.
    #[serde(default)]
    pub steps: Vec<PromotionStep>,
}

/// One `spec.steps[]` entry of a Promotion.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct PromotionStep {
    /// The step's kind, e.g. `git-wait-for-pr`.
    #[serde(default)]
    pub uses: String,
    /// The alias its output is stored under in `status.state`.
    #[serde(default, rename = "as")]
    pub alias: String,
}

/// `Promotion.status`: how far it got and what its steps wrote.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PromotionStatus {
    /// `Running`, `Succeeded`, ...
    #[serde(default)]
    pub phase: String,
    /// The index of the step being run.
    #[serde(default)]
    pub current_step: i64,
    /// The steps' outputs, keyed by alias.
    #[serde(default)]
    pub state: Option<serde_json::Value>,
}

/// The step that waits for a pull request to close.
const WAIT_FOR_PR_STEP: &str = "git-wait-for-pr";

impl Promotion {
    /// The URLs of the pull requests this Promotion waits on, as Kargo
    /// indexes them: only while it runs, for each `git-wait-for-pr` step
    /// with an alias at or before the current step, the `pr.url` that the
    /// step wrote into `status.state[<alias>]`.
    pub fn awaited_pull_requests(&self) -> Vec<String> {
        let Some(status) = &self.status else {
            return Vec::new();
        };
        if status.phase != "Running" {
            return Vec::new();
        }
        let reached = usize::try_from(status.current_step).map_or(0, |step| step + 1);
        self.spec
            .steps
            .iter()
            .take(reached)
            .filter(|step| step.uses == WAIT_FOR_PR_STEP && !step.alias.is_empty())
            .filter_map(|step| {
                let url = status
                    .state
                    .as_ref()?
                    .get(&step.alias)?
                    .get("pr")?
                    .get("url")?;
                url.as_str()
                    .filter(|url| !url.is_empty())
                    .map(str::to_owned)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn receiver_entries_keep_every_provider_field() {
        let spec: ProjectConfigSpec = serde_json::from_value(json!({
            "webhookReceivers": [
                {"name": "a", "harbor": {"secretRef": {"name": "s"}}},
                {"name": "b"},
                {"name": "c", "harbor": {}, "github": {"secretRef": {"name": "t"}}},
            ]
        }))
        .expect("valid spec");
        let [a, b, c] = spec.webhook_receivers.as_slice() else {
            panic!("three receivers expected");
        };
        assert_eq!(a.providers.keys().collect::<Vec<_>>(), ["harbor"]);
        assert_eq!(
            WebhookReceiverConfig::secret_name(&a.providers["harbor"]),
            Some("s")
        );
        assert!(b.providers.is_empty());
        assert_eq!(c.providers.keys().collect::<Vec<_>>(), ["github", "harbor"]);
        assert_eq!(
            WebhookReceiverConfig::secret_name(&c.providers["harbor"]),
            None
        );
    }

    fn promotion(value: serde_json::Value) -> Promotion {
        serde_json::from_value(value).expect("a Promotion")
    }

    #[test]
    fn running_promotions_wait_on_the_pull_requests_of_reached_steps() {
        let mut object = json!({
            "apiVersion": "kargo.akuity.io/v1alpha1",
            "kind": "Promotion",
            "metadata": {"name": "p", "namespace": "demo"},
            "spec": {"stage": "prod", "freight": "f", "steps": [
                {"uses": "git-open-pr", "as": "open"},
                {"uses": "git-wait-for-pr", "as": "wait"},
                {"uses": "git-wait-for-pr"},
                {"uses": "git-wait-for-pr", "as": "later"},
            ]},
            "status": {"phase": "Running", "currentStep": 2, "state": {
                "open": {"pr": {"url": "https://github.com/example/app/pull/6"}},
                "wait": {"pr": {"url": "https://github.com/example/app/pull/7"}},
                "later": {"pr": {"url": "https://github.com/example/app/pull/8"}},
            }},
        });
        assert_eq!(
            promotion(object.clone()).awaited_pull_requests(),
            ["https://github.com/example/app/pull/7"]
        );
        object["status"]["currentStep"] = json!(3);
        assert_eq!(
            promotion(object.clone()).awaited_pull_requests(),
            [
                "https://github.com/example/app/pull/7",
                "https://github.com/example/app/pull/8"
            ]
        );
        object["status"]["currentStep"] = json!(0);
        assert!(promotion(object.clone()).awaited_pull_requests().is_empty());
        object["status"]["currentStep"] = json!(3);
        object["status"]["phase"] = json!("Succeeded");
        assert!(promotion(object.clone()).awaited_pull_requests().is_empty());
        object["status"] = json!({"phase": "Running", "currentStep": 3});
        assert!(promotion(object.clone()).awaited_pull_requests().is_empty());
        object.as_object_mut().expect("object").remove("status");
        assert!(promotion(object).awaited_pull_requests().is_empty());
    }

    #[test]
    fn warehouses_keep_unknown_subscription_fields() {
        let spec: WarehouseSpec = serde_json::from_value(json!({
            "subscriptions": [{"image": {"repoURL": "nginx", "future": 1}}],
            "interval": "5m"
        }))
        .expect("valid spec");
        assert_eq!(spec.subscriptions[0]["image"]["future"], 1);
    }
}
