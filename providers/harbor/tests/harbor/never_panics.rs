//! No input panics: an authenticated delivery always gets a verdict, and a
//! refusal is always a body problem (400 or 415), never a credentials one.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("application/json"),
    Some("application/cloudevents+json"),
    Some("Application/JSON; charset=utf-8"),
    Some("text/plain"),
    Some("application/xml"),
    Some("multipart/form-data; boundary=x"),
    Some("application/octet-stream"),
];

const SEEDS: [&[u8]; 7] = [
    fixture!("push-tag.json"),
    fixture!("cloudevents-push-tag.json"),
    fixture!("push-digest-only.json"),
    fixture!("push-multiple-resources.json"),
    fixture!("push-empty-resources.json"),
    fixture!("scanning-completed.json"),
    fixture!("replication.json"),
];

/// The verdict is one of the outcomes an authenticated delivery may get.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
        }
        Ok(Outcome::Ignored(reason)) => {
            assert!(
                reason.starts_with("event type ")
                    || reason.starts_with("unknown event type")
                    || *reason == "a push without resources announces no new artifact",
                "{reason}"
            )
        }
        Ok(other @ (Outcome::PullRequestClosed { .. } | Outcome::Ping)) => {
            panic!("Harbor announces no pull request or ping: {other:?}")
        }
        Err(error) => assert!(
            *error == INVALID_BODY || *error == UNSUPPORTED,
            "unexpected refusal {error:?}"
        ),
    }
}

proptest! {
    #![proptest_config(never_panics::config())]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in arbitrary_body(),
        pick in 0..CONTENT_TYPES.len(),
    ) {
        assert_verdict(&deliver(CONTENT_TYPES[pick], &body));
    }

    /// Random bytes rarely get past the first `{`; damaged real events
    /// reach the deeper code.
    #[test]
    fn damaged_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        damage in damage(),
        pick in 0..CONTENT_TYPES.len(),
    ) {
        let body = damage.apply(SEEDS[seed]);
        assert_verdict(&deliver(CONTENT_TYPES[pick], &body));
    }

    /// Any string in any field of a push gives a verdict.
    #[test]
    fn arbitrary_field_values_never_panic(
        event_type in prop_oneof![Just("PUSH_ARTIFACT".to_owned()), Just("harbor.artifact.pushed".to_owned()), any::<String>()],
        tag in any::<String>(),
        digest in any::<String>(),
        url in any::<String>(),
        pick in 0..CONTENT_TYPES.len(),
    ) {
        let resource = serde_json::json!({"tag": tag, "digest": digest, "resource_url": url});
        let body = serde_json::json!({
            "specversion": "1.0",
            "type": event_type,
            "event_data": {"resources": [resource.clone()]},
            "data": {"resources": [resource]},
        });
        let body = serde_json::to_vec(&body).expect("serializable");
        assert_verdict(&deliver(CONTENT_TYPES[pick], &body));
    }
}
