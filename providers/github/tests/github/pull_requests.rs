//! Pull request events: a closed one (merged or not) names the pull
//! request for the Promotions waiting on it; the rest are acknowledged.

use kargo_webhook_provider::Outcome;
use serde_json::json;

use crate::support::*;

const URL: &str = "https://github.com/Example-Org/Guestbook/pull/42";
const NOT_CLOSED: &str = "only a closed pull request concerns the promotions waiting on it";

fn pull_request(action: &str, merged: bool) -> Vec<u8> {
    json!({
        "action": action,
        "number": 42,
        "pull_request": {"html_url": URL, "state": "closed", "merged": merged},
    })
    .to_string()
    .into_bytes()
}

/// Merged or closed without merging: `git-wait-for-pr` looks at the pull
/// request again either way.
#[test]
fn a_closed_pull_request_is_named_merged_or_not() {
    for merged in [true, false] {
        assert_eq!(
            deliver("pull_request", &pull_request("closed", merged)),
            Ok(Outcome::PullRequestClosed {
                url: URL.to_owned()
            })
        );
    }
}

/// The URL is passed on as GitHub writes it: Kargo's `git-wait-for-pr`
/// records the same spelling.
#[test]
fn the_url_is_kept_verbatim() {
    let body = json!({"action": "closed", "pull_request": {"html_url": "https://GHE.example.com/Org/Repo/pull/7/"}});
    assert_eq!(
        deliver("pull_request", body.to_string().as_bytes()),
        Ok(Outcome::PullRequestClosed {
            url: "https://GHE.example.com/Org/Repo/pull/7/".to_owned()
        })
    );
}

#[test]
fn other_actions_are_acknowledged() {
    for action in [
        "opened",
        "reopened",
        "synchronize",
        "edited",
        "labeled",
        "ready_for_review",
        "Closed",
        "a-future-action",
    ] {
        assert_eq!(
            deliver("pull_request", &pull_request(action, false)),
            Ok(Outcome::Ignored(NOT_CLOSED)),
            "{action}"
        );
    }
}

/// Only a closed pull request is read: another action's pull request may
/// have any shape.
#[test]
fn another_actions_pull_request_is_not_read() {
    let body = br#"{"action":"opened","pull_request":[1,2,3]}"#;
    assert_eq!(
        deliver("pull_request", body),
        Ok(Outcome::Ignored(NOT_CLOSED))
    );
}

#[test]
fn a_closed_pull_request_without_its_url_is_malformed() {
    for body in [
        json!({"action": "closed"}),
        json!({"action": "closed", "pull_request": null}),
        json!({"action": "closed", "pull_request": {}}),
        json!({"action": "closed", "pull_request": {"html_url": ""}}),
        json!({"action": "closed", "pull_request": {"html_url": 42}}),
        json!({"action": "closed", "pull_request": "https://github.com/o/r/pull/1"}),
        json!({"pull_request": {"html_url": URL}}),
        json!({"action": null, "pull_request": {"html_url": URL}}),
        json!({"action": 1, "pull_request": {"html_url": URL}}),
    ] {
        assert_eq!(
            deliver("pull_request", body.to_string().as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}
