//! No input panics: a delivery signed with the receiver's secret always
//! gets a verdict, and a refusal is always a body problem (400), never a
//! credentials one.

use kargo_webhook_provider::{ChangedPaths, Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const EVENTS: [Option<&str>; 9] = [
    Some("repo:push"),
    Some("pullrequest:fulfilled"),
    Some("pullrequest:rejected"),
    Some("repo:refs_changed"),
    Some("pr:merged"),
    Some("pr:declined"),
    Some("diagnostics:ping"),
    Some("repo:fork"),
    None,
];

const SEEDS: [&[u8]; 6] = [
    fixture!("cloud-repo-push-branch.json"),
    fixture!("cloud-repo-push-deleted.json"),
    fixture!("cloud-pullrequest-fulfilled.json"),
    fixture!("server-repo-refs-changed.json"),
    fixture!("server-pr-merged.json"),
    fixture!("server-diagnostics-ping.json"),
];

/// The verdict is one of the outcomes a signed delivery may get.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
            for push in pushes {
                assert!(push.tags.is_empty() && push.digests.is_empty());
                assert_eq!(push.changed_paths, ChangedPaths::Unknown);
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ping) => {}
        Ok(Outcome::Ignored(reason)) => assert!(reason.ends_with("is not acted on"), "{reason}"),
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
    /// reach the deeper code (and are signed after the damage).
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
        html in any::<String>(),
        clone in any::<String>(),
        kind in prop_oneof![Just("branch".to_owned()), Just("tag".to_owned()), any::<String>()],
        name in any::<String>(),
        ref_id in any::<String>(),
        url in any::<String>(),
        pick in 0..EVENTS.len(),
    ) {
        let body = serde_json::json!({
            "repository": {"links": {"html": {"href": html}, "clone": [{"href": clone}]}},
            "push": {"changes": [{"new": {"type": kind, "name": name}, "old": null}]},
            "changes": [{"ref": {"id": ref_id}}],
            "pullrequest": {"links": {"html": {"href": url.clone()}}},
            "pullRequest": {"links": {"self": [{"href": url}]}},
        });
        let body = serde_json::to_vec(&body).expect("serializable");
        assert_verdict(&deliver(EVENTS[pick], &body));
    }

    /// Without the receiver's secret, nothing gets past authentication,
    /// whatever the body and the key.
    #[test]
    fn other_secrets_never_authenticate(
        body in proptest::collection::vec(any::<u8>(), 0..256),
        secret in proptest::collection::vec(any::<u8>(), 1..40),
        pick in 0..EVENTS.len(),
    ) {
        prop_assume!(secret != SECRET);
        let signature = signature(&secret, &body);
        let mut headers: Vec<(&str, &[u8])> = vec![("X-Hub-Signature", signature.as_bytes())];
        if let Some(key) = EVENTS[pick] {
            headers.push(("X-Event-Key", key.as_bytes()));
        }
        prop_assert_eq!(
            handle_with(&headers, &body, &credentials(SECRET)),
            Err(WRONG_SIGNATURE)
        );
    }
}
