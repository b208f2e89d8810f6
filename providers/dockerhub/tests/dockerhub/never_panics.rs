//! No input panics: an authenticated delivery always gets a verdict, and a
//! refusal is always a body problem (400), never a credentials one.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const SEEDS: [&[u8]; 4] = [
    fixture!("push-organization.json"),
    fixture!("push-official.json"),
    fixture!("push-chart.json"),
    fixture!("push-legacy.json"),
];

/// The verdict is one of the outcomes a Docker Hub delivery may get: a
/// refresh of one Docker Hub repository with at most one valid tag, or 400.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
            assert_eq!(pushes.len(), 1, "{pushes:?}");
            let push = &pushes[0];
            assert!(push.repository.as_str().starts_with("docker.io/"));
            assert!(push.tags.len() <= 1);
            assert!(push.digests.is_empty() && push.refs.is_empty());
        }
        Ok(other) => panic!("Docker Hub only announces pushes: {other:?}"),
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
        repo_name in prop_oneof![Just("myorg/app".to_owned()), "[a-zA-Z0-9._/:@-]{0,40}", any::<String>()],
        tag in any::<String>(),
        media_type in any::<String>(),
    ) {
        let push_data = serde_json::json!({"tag": tag, "media_type": media_type});
        assert_verdict(&deliver(&body(&repo_name, &push_data.to_string())));
    }
}
