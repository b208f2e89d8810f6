//! The status Kargo's ProjectConfig/ClusterConfig reconcilers write, as
//! Kargo's Go types serialize it, with Kargo's condition bookkeeping and the
//! JSON merge patch Kargo sends (only what changed; nothing when nothing did).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::formula::ReceiverDetails;

/// `ProjectConfigStatus` / `ClusterConfigStatus` (the same fields). Empty
/// fields are left out, as Go's `omitempty` does, so an emptied list
/// becomes a `null` in the merge patch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KargoStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub observed_generation: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_handled_refresh: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_receivers: Vec<PublishedReceiver>,
}

/// One entry of `status.webhookReceivers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedReceiver {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

impl From<ReceiverDetails> for PublishedReceiver {
    fn from(details: ReceiverDetails) -> Self {
        Self {
            name: details.name,
            path: details.path,
            url: details.url,
        }
    }
}

/// A `metav1.Condition`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub observed_generation: i64,
    #[serde(default)]
    pub last_transition_time: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

impl Condition {
    /// A condition without a transition time: [`KargoStatus::set_condition`]
    /// gives it one.
    pub fn new(type_: &str, status: bool, reason: &str, message: &str, generation: i64) -> Self {
        Self {
            type_: type_.to_owned(),
            status: if status { "True" } else { "False" }.to_owned(),
            observed_generation: generation,
            last_transition_time: String::new(),
            reason: reason.to_owned(),
            message: message.to_owned(),
        }
    }

    /// Kargo's `conditions.Equal`: type, status, reason and message.
    fn same_state(&self, other: &Self) -> bool {
        self.type_ == other.type_
            && self.status == other.status
            && self.reason == other.reason
            && self.message == other.message
    }
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

impl KargoStatus {
    /// Reads the status of an object as Kargo's typed client does: fields
    /// Kargo does not know are dropped; an unreadable status counts as empty.
    pub fn from_object_status(status: Option<&Value>) -> Self {
        status
            .and_then(|status| serde_json::from_value(status.clone()).ok())
            .unwrap_or_default()
    }

    /// The status as Kargo's Go types serialize it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Kargo's `conditions.Set`: an unchanged condition stays as it is; a
    /// changed one keeps the existing transition time (Kargo's behaviour,
    /// even when the status flips); a new one is stamped `now`.
    pub fn set_condition(&mut self, mut condition: Condition, now: &str) {
        match self
            .conditions
            .iter_mut()
            .find(|existing| existing.type_ == condition.type_)
        {
            Some(existing) => {
                if existing.same_state(&condition)
                    && existing.observed_generation >= condition.observed_generation
                {
                    return;
                }
                if condition.last_transition_time.is_empty() {
                    condition.last_transition_time = if existing.last_transition_time.is_empty() {
                        now.to_owned()
                    } else {
                        existing.last_transition_time.clone()
                    };
                }
                *existing = condition;
            }
            None => {
                if condition.last_transition_time.is_empty() {
                    condition.last_transition_time = now.to_owned();
                }
                self.conditions.push(condition);
            }
        }
    }

    /// Kargo's `conditions.Delete`.
    pub fn delete_condition(&mut self, type_: &str) {
        self.conditions.retain(|condition| condition.type_ != type_);
    }

    /// The condition of type `type_`, if any.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions
            .iter()
            .find(|condition| condition.type_ == type_)
    }
}

/// The JSON merge patch (RFC 7386) that turns `original` into `modified`,
/// or `None` when they are equal. Lists are replaced whole.
pub fn merge_patch(original: &Value, modified: &Value) -> Option<Value> {
    match (original, modified) {
        (Value::Object(original), Value::Object(modified)) => {
            let mut patch = Map::new();
            for (key, old) in original {
                match modified.get(key) {
                    None => {
                        patch.insert(key.clone(), Value::Null);
                    }
                    Some(new) => {
                        if let Some(change) = merge_patch(old, new) {
                            patch.insert(key.clone(), change);
                        }
                    }
                }
            }
            for (key, new) in modified {
                if !original.contains_key(key) {
                    patch.insert(key.clone(), new.clone());
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        _ if original == modified => None,
        _ => Some(modified.clone()),
    }
}

/// Now, as a `metav1.Time` (RFC 3339, UTC, whole seconds).
pub fn now_rfc3339() -> String {
    let now = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(now.as_second())
        .map(|second| second.to_string())
        .unwrap_or_else(|_| now.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_holds_only_changes() {
        let original = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "gone": true});
        let modified = json!({"a": 1, "b": {"c": 2, "d": 4}, "e": [1], "new": "x"});
        assert_eq!(
            merge_patch(&original, &modified),
            Some(json!({"b": {"d": 4}, "e": [1], "gone": null, "new": "x"}))
        );
        assert_eq!(merge_patch(&original, &original), None);
    }

    #[test]
    fn emptied_lists_are_removed_as_go_omits_them() {
        let mut status = KargoStatus {
            webhook_receivers: vec![PublishedReceiver {
                name: "r".into(),
                path: "/p".into(),
                url: "u".into(),
            }],
            ..KargoStatus::default()
        };
        let before = status.to_json();
        status.webhook_receivers.clear();
        assert_eq!(
            merge_patch(&before, &status.to_json()),
            Some(json!({"webhookReceivers": null}))
        );
    }

    #[test]
    fn set_condition_keeps_the_transition_time_of_an_existing_condition() {
        let mut status = KargoStatus::default();
        status.set_condition(Condition::new("Ready", true, "Synced", "ok", 1), "T1");
        assert_eq!(status.conditions[0].last_transition_time, "T1");
        let unchanged = status.clone();
        status.set_condition(Condition::new("Ready", true, "Synced", "ok", 1), "T2");
        assert_eq!(status, unchanged);
        status.set_condition(Condition::new("Ready", false, "Failed", "no", 2), "T3");
        assert_eq!(status.conditions.len(), 1);
        assert_eq!(status.conditions[0].reason, "Failed");
        assert_eq!(status.conditions[0].last_transition_time, "T1");
        status.delete_condition("Ready");
        assert!(status.conditions.is_empty());
    }

    #[test]
    fn unknown_status_fields_are_dropped() {
        let status = KargoStatus::from_object_status(Some(&json!({
            "observedGeneration": 3,
            "somethingElse": {"x": 1},
        })));
        assert_eq!(status.to_json(), json!({"observedGeneration": 3}));
    }

    #[test]
    fn now_is_whole_seconds_utc() {
        let now = now_rfc3339();
        assert!(now.ends_with('Z') && !now.contains('.'), "{now}");
    }
}
