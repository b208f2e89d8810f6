//! No input panics: a signed delivery always gets a verdict, and a refusal
//! is always a body problem (400), never a credentials one.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const EVENTS: [&str; 5] = ["push", "pull_request", "create", "issues", "no-such-event"];

const SEEDS: [(&str, &[u8]); 4] = [
    ("push", fixture!("push-branch.json")),
    ("push", fixture!("push-tag.json")),
    ("push", fixture!("push-truncated.json")),
    ("pull_request", fixture!("pull-request-closed.json")),
];

/// The verdict is one a signed delivery may get.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
            for push in pushes {
                assert!(push.tags.is_empty() && push.digests.is_empty());
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ping) => panic!("Gitea sends no ping event"),
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.starts_with("event type ") || reason.starts_with("only a closed"),
            "{reason}"
        ),
        Err(error) => assert_eq!(*error, INVALID_BODY),
    }
}

proptest! {
    #![proptest_config(never_panics::config())]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in arbitrary_body(),
        event in 0..EVENTS.len(),
    ) {
        assert_verdict(&deliver(EVENTS[event], &body));
    }

    #[test]
    fn damaged_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        damage in damage(),
    ) {
        let (event, body) = SEEDS[seed];
        let body = damage.apply(body);
        assert_verdict(&deliver(event, &body));
    }

    #[test]
    fn arbitrary_field_values_never_panic(
        event in 0..EVENTS.len(),
        action in prop_oneof![Just("closed".to_owned()), any::<String>()],
        git_ref in any::<String>(),
        url in any::<String>(),
        file in any::<String>(),
        total in any::<i64>(),
    ) {
        let body = serde_json::json!({
            "action": action,
            "ref": git_ref,
            "repository": {"clone_url": url, "ssh_url": url},
            "commits": [{"added": [file], "modified": null}],
            "total_commits": total,
            "pull_request": {"html_url": url},
        });
        let body = serde_json::to_vec(&body).expect("serializable");
        assert_verdict(&deliver(EVENTS[event], &body));
    }
}
