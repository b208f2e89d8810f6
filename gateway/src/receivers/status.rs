//! The status the gateway publishes for one ProjectConfig or ClusterConfig:
//! where each good receiver listens, and a `Ready` condition that names what
//! is wrong with each bad one.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::table::OwnerReceivers;
use super::url::UrlLayout;
use crate::kargo::{ReceiverDetails, ReceiversStatus};

/// The condition type the gateway owns.
pub const READY: &str = "Ready";
/// Reason of a `Ready=True` condition.
pub const REASON_READY: &str = "ReceiversReady";
/// Reason of a `Ready=True` condition on an object with no receivers.
pub const REASON_NO_RECEIVERS: &str = "NoReceivers";

/// The status `owner` should have. Conditions other than `Ready` are kept
/// from `current`; `Ready`'s transition time moves only when its status does.
pub fn desired_status(
    owner: &OwnerReceivers,
    layout: &UrlLayout,
    current: Option<&ReceiversStatus>,
    now: &Time,
) -> ReceiversStatus {
    let webhook_receivers = owner
        .results
        .iter()
        .filter_map(|result| result.state.as_ref().ok())
        .map(|receiver| ReceiverDetails {
            name: receiver.name.clone(),
            path: receiver.path.as_str().to_owned(),
            url: layout.url(&receiver.path),
        })
        .collect();

    let problems: Vec<_> = owner
        .results
        .iter()
        .filter_map(|result| result.state.as_ref().err().map(|p| (&result.name, p)))
        .collect();
    let (status, reason, message) = match problems.first() {
        None if owner.results.is_empty() => (
            "True",
            REASON_NO_RECEIVERS,
            "no webhook receivers are configured".to_owned(),
        ),
        None => (
            "True",
            REASON_READY,
            format!("{} webhook receiver(s) ready", owner.results.len()),
        ),
        // The first problem's reason stands for the condition; the message
        // lists every problem so that none hides behind another.
        Some((_, first)) => (
            "False",
            first.reason(),
            problems
                .iter()
                .map(|(name, problem)| {
                    format!("receiver {name:?}: {problem} [{}]", problem.reason())
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    };

    let previous = current.and_then(|s| s.conditions.iter().find(|c| c.type_ == READY));
    let last_transition_time = match previous {
        Some(previous) if previous.status == status => previous.last_transition_time.clone(),
        _ => now.clone(),
    };
    let ready = Condition {
        type_: READY.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        observed_generation: owner.generation,
        last_transition_time,
    };
    let mut conditions: Vec<Condition> = current
        .map(|s| {
            s.conditions
                .iter()
                .filter(|c| c.type_ != READY)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    conditions.push(ready);

    ReceiversStatus {
        conditions,
        webhook_receivers,
        observed_generation: owner.generation,
    }
}

/// True when `current` already says what `desired` says where it matters
/// to a user: the same receiver URLs and the same `Ready` status. Kargo's
/// management controller words its reasons and messages differently; a
/// status it wrote that agrees on these is left alone, so that the two
/// writers never take turns.
pub fn agrees(current: &ReceiversStatus, desired: &ReceiversStatus) -> bool {
    let ready = |status: &ReceiversStatus| {
        status
            .conditions
            .iter()
            .find(|c| c.type_ == READY)
            .map(|c| c.status.clone())
    };
    current.webhook_receivers == desired.webhook_receivers && ready(current) == ready(desired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::team_a_receivers;

    fn owner(spec: serde_json::Value) -> OwnerReceivers {
        team_a_receivers(spec)
    }

    fn time(seconds: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(seconds).expect("valid time"))
    }

    fn layout() -> UrlLayout {
        UrlLayout::new("https://hooks.example.org", "").expect("valid layout")
    }

    #[test]
    fn ready_owner_lists_every_receiver() {
        let o = owner(serde_json::json!([
            {"name": "a", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "b", "harbor": {"secretRef": {"name": "s"}}},
        ]));
        let status = desired_status(&o, &layout(), None, &time(100));
        assert_eq!(status.observed_generation, Some(3));
        let names: Vec<_> = status
            .webhook_receivers
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(
            status.webhook_receivers[0]
                .url
                .starts_with("https://hooks.example.org/harbor/")
        );
        assert!(
            status.webhook_receivers[0]
                .url
                .ends_with(&status.webhook_receivers[0].path)
        );
        let ready = &status.conditions[0];
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("True", REASON_READY)
        );
        assert_eq!(ready.observed_generation, Some(3));
    }

    #[test]
    fn problems_make_ready_false_and_keep_good_receivers_listed() {
        let o = owner(serde_json::json!([
            {"name": "good", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "gone", "harbor": {"secretRef": {"name": "missing"}}},
            {"name": "none"},
        ]));
        let status = desired_status(&o, &layout(), None, &time(100));
        assert_eq!(status.webhook_receivers.len(), 1);
        let ready = &status.conditions[0];
        assert_eq!(ready.status, "False");
        assert_eq!(ready.reason, "SecretNotFound");
        assert!(
            ready
                .message
                .contains("receiver \"gone\": Secret team-a/missing not found")
        );
        assert!(
            ready
                .message
                .contains("receiver \"none\": names no provider [NoProvider]")
        );
        assert!(!ready.message.contains("good"));
    }

    #[test]
    fn a_status_that_agrees_on_urls_and_readiness_is_left_alone() {
        let o = owner(serde_json::json!([{"name": "a", "harbor": {"secretRef": {"name": "s"}}}]));
        let ours = desired_status(&o, &layout(), None, &time(100));
        let mut kargos = ours.clone();
        kargos.conditions[0].reason = "Synced".into();
        kargos.conditions[0].message = "ProjectConfig is synced and ready for use".into();
        kargos.observed_generation = None;
        assert!(agrees(&kargos, &ours));
        let mut other_url = kargos.clone();
        other_url.webhook_receivers[0].url = "https://elsewhere/harbor/x".into();
        assert!(!agrees(&other_url, &ours));
        let mut not_ready = kargos;
        not_ready.conditions[0].status = "False".into();
        assert!(!agrees(&not_ready, &ours));
    }

    #[test]
    fn empty_owner_is_ready_with_its_own_reason() {
        let status = desired_status(&owner(serde_json::json!([])), &layout(), None, &time(1));
        assert_eq!(status.conditions[0].reason, REASON_NO_RECEIVERS);
        assert!(status.webhook_receivers.is_empty());
    }

    #[test]
    fn transition_time_moves_only_when_status_changes_and_other_conditions_stay() {
        let o = owner(serde_json::json!([{"name": "a", "harbor": {"secretRef": {"name": "s"}}}]));
        let mut first = desired_status(&o, &layout(), None, &time(100));
        first.conditions.insert(
            0,
            Condition {
                type_: "Other".into(),
                status: "True".into(),
                reason: "Kept".into(),
                message: String::new(),
                observed_generation: None,
                last_transition_time: time(5),
            },
        );
        let again = desired_status(&o, &layout(), Some(&first), &time(200));
        assert_eq!(
            again, first,
            "an unchanged status is equal, so nothing is patched"
        );

        let broken =
            owner(serde_json::json!([{"name": "a", "harbor": {"secretRef": {"name": "x"}}}]));
        let changed = desired_status(&broken, &layout(), Some(&first), &time(300));
        let ready = changed
            .conditions
            .iter()
            .find(|c| c.type_ == READY)
            .expect("ready");
        assert_eq!(ready.last_transition_time, time(300));
        assert!(changed.conditions.iter().any(|c| c.type_ == "Other"));
    }
}
