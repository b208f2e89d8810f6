//! No input panics: a correctly signed delivery always gets a verdict, and
//! a refusal is always a body problem (400), never a credentials one.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const VIRTUAL_REPOS: [Option<&str>; 2] = [None, Some("proj-virtual")];

const SEEDS: [&[u8]; 5] = [
    fixture!("docker-pushed.json"),
    fixture!("docker-pushed-list-manifest.json"),
    fixture!("docker-pushed-oci.json"),
    fixture!("docker-pushed-no-image-type.json"),
    fixture!("docker-deleted.json"),
];

/// The verdict is one of the outcomes a signed delivery may get.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
            assert_eq!(pushes.len(), 1);
            for push in pushes {
                assert!(push.digests.is_empty() && push.refs.is_empty());
            }
        }
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.contains("announce no new image")
                || reason.contains("announces no new image")
                || *reason == OTHER_IMAGE_TYPE,
            "{reason}"
        ),
        Ok(other @ (Outcome::Ping | Outcome::PullRequestClosed { .. })) => {
            panic!("Artifactory announces no ping or pull request: {other:?}")
        }
        Err(error) => assert_eq!(*error, INVALID_BODY),
    }
}

proptest! {
    #![proptest_config(never_panics::config())]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in arbitrary_body(),
        pick in 0..VIRTUAL_REPOS.len(),
    ) {
        assert_verdict(&deliver_to_receiver(VIRTUAL_REPOS[pick], &body));
    }

    /// Random bytes rarely get past the first `{`; damaged real events
    /// reach the deeper code.
    #[test]
    fn damaged_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        damage in damage(),
        pick in 0..VIRTUAL_REPOS.len(),
    ) {
        let body = damage.apply(SEEDS[seed]);
        assert_verdict(&deliver_to_receiver(VIRTUAL_REPOS[pick], &body));
    }

    /// Any string in any field that is read gives a verdict.
    #[test]
    fn arbitrary_field_values_never_panic(
        event_type in prop_oneof![Just("pushed".to_owned()), any::<String>()],
        image_type in prop_oneof![Just("docker".to_owned()), Just("oci".to_owned()), any::<String>()],
        origin in prop_oneof![Just("https://contoso.jfrog.io".to_owned()), any::<String>()],
        repo_key in any::<String>(),
        path in prop_oneof!["[a-z/]{0,20}", any::<String>()],
        tag in any::<String>(),
        pick in 0..VIRTUAL_REPOS.len(),
    ) {
        let body = serde_json::json!({
            "domain": "docker",
            "event_type": event_type,
            "data": {"repo_key": repo_key, "path": path, "tag": tag, "image_type": image_type},
            "jpd_origin": origin,
        });
        let body = serde_json::to_vec(&body).expect("serializable");
        assert_verdict(&deliver_to_receiver(VIRTUAL_REPOS[pick], &body));
    }
}
