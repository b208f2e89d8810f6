//! No input panics: a signed delivery always gets a verdict, and a refusal
//! is always a body problem (400 or 415), never a credentials one.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const EVENTS: [&str; 7] = [
    "push",
    "pull_request",
    "package",
    "registry_package",
    "ping",
    "issues",
    "no-such-event",
];

const CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    None,
    Some("application/x-www-form-urlencoded"),
    Some("text/plain"),
];

/// Small seeds only; the 2048-commit push is exercised by its own test.
const SEEDS: [(&str, &[u8]); 8] = [
    ("push", fixture!("push-branch.json")),
    ("push", fixture!("push-tag.json")),
    ("push", fixture!("push-branch-deleted.json")),
    ("pull_request", fixture!("pull-request-closed.json")),
    ("package", fixture!("package-published-container.json")),
    ("package", fixture!("package-published-untagged.json")),
    (
        "registry_package",
        fixture!("registry-package-published.json"),
    ),
    ("ping", fixture!("ping.json")),
];

/// The verdict is one a signed delivery may get.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ping) => {}
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.starts_with("event type ")
                || reason.starts_with("only a ")
                || reason.starts_with("a package event"),
            "{reason}"
        ),
        Err(error) => assert!(
            *error == INVALID_BODY || *error == FORM_ENCODED,
            "unexpected refusal {error:?}"
        ),
    }
}

proptest! {
    #![proptest_config(never_panics::config())]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in arbitrary_body(),
        event in 0..EVENTS.len(),
        content_type in 0..CONTENT_TYPES.len(),
    ) {
        assert_verdict(&deliver_as(EVENTS[event], CONTENT_TYPES[content_type], &body));
    }

    /// Random bytes rarely get past the first `{`; damaged real events
    /// reach the deeper code.
    #[test]
    fn damaged_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        damage in damage(),
    ) {
        let (event, body) = SEEDS[seed];
        let body = damage.apply(body);
        assert_verdict(&deliver(event, &body));
    }

    /// Any string in any field that is read gives a verdict.
    #[test]
    fn arbitrary_field_values_never_panic(
        event in 0..EVENTS.len(),
        action in prop_oneof![Just("closed".to_owned()), Just("published".to_owned()), any::<String>()],
        git_ref in any::<String>(),
        url in any::<String>(),
        file in any::<String>(),
        package_type in prop_oneof![Just("CONTAINER".to_owned()), any::<String>()],
        tag in any::<String>(),
    ) {
        let package = serde_json::json!({
            "package_type": package_type,
            "package_version": {
                "package_url": url,
                "container_metadata": {
                    "tag": {"name": tag, "digest": tag},
                    "manifest": {"config": {"media_type": file}},
                },
            },
        });
        let body = serde_json::json!({
            "action": action,
            "ref": git_ref,
            "repository": {"clone_url": url, "ssh_url": url},
            "commits": [{"added": [file], "modified": [], "removed": null}],
            "head_commit": {"modified": [file]},
            "pull_request": {"html_url": url},
            "package": package.clone(),
            "registry_package": package,
        });
        let body = serde_json::to_vec(&body).expect("serializable");
        assert_verdict(&deliver(EVENTS[event], &body));
    }
}
