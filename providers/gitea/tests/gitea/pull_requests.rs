//! Pull request events: a closed one (Gitea sends `closed` for a merge
//! too) names the pull request for the Promotions waiting on it.

use kargo_webhook_provider::Outcome;
use serde_json::json;

use crate::support::*;

const URL: &str = "https://gitea.example.com/platform/Guestbook/pulls/7";
const NOT_CLOSED: &str = "only a closed pull request concerns the promotions waiting on it";

#[test]
fn a_closed_pull_request_is_named_merged_or_not() {
    for merged in [true, false] {
        let body = json!({"action": "closed", "pull_request": {"html_url": URL, "merged": merged}});
        assert_eq!(
            deliver("pull_request", body.to_string().as_bytes()),
            Ok(Outcome::PullRequestClosed {
                url: URL.to_owned()
            })
        );
    }
}

/// Gitea sends label, assignment, review request and synchronization
/// changes as `pull_request` events too; none concerns a waiting promotion.
#[test]
fn other_actions_are_acknowledged() {
    for action in [
        "opened",
        "reopened",
        "edited",
        "synchronized",
        "label_updated",
        "assigned",
        "review_requested",
        "Closed",
    ] {
        let body = json!({"action": action, "pull_request": {"html_url": URL}});
        assert_eq!(
            deliver("pull_request", body.to_string().as_bytes()),
            Ok(Outcome::Ignored(NOT_CLOSED)),
            "{action}"
        );
    }
}

#[test]
fn a_closed_pull_request_without_its_url_is_malformed() {
    for body in [
        json!({"action": "closed"}),
        json!({"action": "closed", "pull_request": null}),
        json!({"action": "closed", "pull_request": {"url": URL}}),
        json!({"action": "closed", "pull_request": {"html_url": ""}}),
        json!({"action": "closed", "pull_request": {"html_url": false}}),
        json!({"pull_request": {"html_url": URL}}),
    ] {
        assert_eq!(
            deliver("pull_request", body.to_string().as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}
