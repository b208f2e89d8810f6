//! No input panics: an authenticated delivery always gets a verdict, and a
//! refusal is always a body problem (400), never a credentials one.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const SEEDS: [&[u8]; 5] = [
    fixture!("push.json"),
    fixture!("push-self-hosted.json"),
    fixture!("push-legacy-tags-object.json"),
    fixture!("build-success.json"),
    fixture!("vulnerability-found.json"),
];

/// The verdict is one of the outcomes a Quay delivery may get: a refresh of
/// one repository with valid tags, a notification ignored with one of the
/// fixed reasons, or 400.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
            assert_eq!(pushes.len(), 1, "{pushes:?}");
            let push = &pushes[0];
            assert!(push.digests.is_empty() && push.refs.is_empty());
        }
        Ok(Outcome::Ignored(reason)) => {
            assert!(
                reason.contains("notification announces no push"),
                "{reason}"
            )
        }
        Ok(other) => panic!("Quay announces no ping or pull request: {other:?}"),
        Err(error) => assert_eq!(*error, INVALID_BODY),
    }
}

proptest! {
    #![proptest_config(never_panics::config())]

    #[test]
    fn arbitrary_bytes_never_panic(body in arbitrary_body()) {
        assert_verdict(&deliver(&body));
    }

    /// Random bytes rarely get past the first `{`; damaged real bodies
    /// reach the deeper code.
    #[test]
    fn damaged_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        damage in damage(),
    ) {
        let body = damage.apply(SEEDS[seed]);
        assert_verdict(&deliver(&body));
    }

    /// Any string in any field that is read gives a verdict.
    #[test]
    fn arbitrary_field_values_never_panic(
        docker_url in prop_oneof![Just("quay.io/acme/app".to_owned()), "[a-zA-Z0-9._/:@-]{0,40}", any::<String>()],
        tags in proptest::collection::vec(any::<String>(), 0..4),
        as_object in any::<bool>(),
    ) {
        let updated_tags = if as_object {
            serde_json::Value::Object(tags.into_iter().map(|t| (t, serde_json::Value::Null)).collect())
        } else {
            serde_json::json!(tags)
        };
        assert_verdict(&deliver(&push(&docker_url, &updated_tags.to_string())));
    }
}
