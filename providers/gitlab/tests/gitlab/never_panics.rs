//! No input panics: an authenticated delivery always gets a verdict, and a
//! refusal is always a body problem (400), never a credentials one.

use kargo_webhook_provider::{ChangedPaths, Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const EVENTS: [Option<&str>; 6] = [
    Some(PUSH),
    Some(TAG_PUSH),
    Some(MERGE_REQUEST),
    Some("System Hook"),
    Some("Unheard Of Hook"),
    None,
];

const SEEDS: [&[u8]; 6] = [
    fixture!("push.json"),
    fixture!("push-more-commits-than-listed.json"),
    fixture!("push-ssh-port.json"),
    fixture!("tag-push.json"),
    fixture!("merge-request-merged.json"),
    fixture!("merge-request-opened.json"),
];

/// The verdict is one of the outcomes an authenticated delivery may get.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
            for push in pushes {
                assert!(push.tags.is_empty() && push.digests.is_empty());
                assert!(push.refs.len() <= 1);
                if let ChangedPaths::Complete(paths) = &push.changed_paths {
                    assert!(paths.iter().all(|p| !p.is_empty()));
                }
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.ends_with("is not acted on") || *reason == NOT_CLOSED,
            "{reason}"
        ),
        Ok(Outcome::Ping) => panic!("GitLab sends no ping"),
        Err(error) => assert_eq!(*error, INVALID_BODY),
    }
}

proptest! {
    #![proptest_config(never_panics::config())]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in arbitrary_body(),
        pick in 0..EVENTS.len(),
    ) {
        assert_verdict(&deliver(EVENTS[pick], &body));
    }

    /// Random bytes rarely get past the first `{`; damaged real events
    /// reach the deeper code.
    #[test]
    fn damaged_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        damage in damage(),
        pick in 0..EVENTS.len(),
    ) {
        let body = damage.apply(SEEDS[seed]);
        assert_verdict(&deliver(EVENTS[pick], &body));
    }

    /// Any string in any field read gives a verdict.
    #[test]
    fn arbitrary_field_values_never_panic(
        git_ref in any::<String>(),
        http in any::<String>(),
        ssh in any::<String>(),
        path in any::<String>(),
        total in prop_oneof![Just(None), any::<u64>().prop_map(Some)],
        action in prop_oneof![Just("merge".to_owned()), Just("close".to_owned()), any::<String>()],
        url in any::<String>(),
        pick in 0..EVENTS.len(),
    ) {
        let body = serde_json::json!({
            "ref": git_ref,
            "repository": {"git_http_url": http, "git_ssh_url": ssh},
            "commits": [{"added": [path.clone()], "modified": [], "removed": [path]}],
            "total_commits_count": total,
            "object_attributes": {"action": action, "url": url},
        });
        let body = serde_json::to_vec(&body).expect("serializable");
        assert_verdict(&deliver(EVENTS[pick], &body));
    }
}
