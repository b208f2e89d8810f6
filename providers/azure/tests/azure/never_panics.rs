//! No input panics: a delivery always gets a verdict, and a refusal is
//! always a body problem (400), never a credentials one.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::never_panics::{self, arbitrary_body, damage};
use kargo_webhook_provider_testkit::outcomes::assert_refresh_is_well_formed;
use proptest::prelude::*;

use crate::support::*;

const USER_AGENTS: [Option<&str>; 5] = [DEVOPS, ACR, None, Some("curl/8.5.0"), Some("VSServices")];

const SEEDS: [&[u8]; 8] = [
    fixture!("devops-git-push.json"),
    fixture!("devops-git-push-tag-and-branch.json"),
    fixture!("devops-pullrequest-merged.json"),
    fixture!("devops-pullrequest-updated-abandoned-no-links.json"),
    fixture!("acr-push.json"),
    fixture!("acr-push-digest-only.json"),
    fixture!("acr-push-helm-chart.json"),
    fixture!("acr-ping.json"),
];

/// The verdict is one of the outcomes an authenticated delivery may get.
fn assert_verdict(result: &Result<Outcome, Refusal>) {
    match result {
        Ok(Outcome::Refresh(pushes)) => {
            assert_refresh_is_well_formed(pushes);
        }
        Ok(Outcome::PullRequestClosed { url }) => {
            assert!(
                url.starts_with("https://") || url.starts_with("http://"),
                "{url}"
            );
            assert!(!url.contains('#') && !url.contains('?'), "{url}");
        }
        Ok(Outcome::Ping) => {}
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.contains("announces no new")
                || reason.contains("closes no pull request")
                || reason.contains("chart_push"),
            "{reason}"
        ),
        Err(error) => assert!(
            *error == INVALID_BODY || *error == UNKNOWN_SENDER,
            "unexpected refusal {error:?}"
        ),
    }
}

proptest! {
    #![proptest_config(never_panics::config())]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in arbitrary_body(),
        pick in 0..USER_AGENTS.len(),
    ) {
        assert_verdict(&deliver(USER_AGENTS[pick], &body));
    }

    /// Random bytes rarely get past the first `{`; damaged real events
    /// reach the deeper code.
    #[test]
    fn damaged_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        damage in damage(),
        pick in 0..USER_AGENTS.len(),
    ) {
        let body = damage.apply(SEEDS[seed]);
        assert_verdict(&deliver(USER_AGENTS[pick], &body));
    }

    /// Any string in any field that is read gives a verdict.
    #[test]
    fn arbitrary_field_values_never_panic(
        event in prop_oneof![
            Just("git.push".to_owned()),
            Just("git.pullrequest.merged".to_owned()),
            Just("git.pullrequest.updated".to_owned()),
            Just("push".to_owned()),
            any::<String>(),
        ],
        status in prop_oneof![Just("abandoned".to_owned()), any::<String>()],
        url in any::<String>(),
        name in any::<String>(),
        id in any::<u64>(),
        pick in 0..USER_AGENTS.len(),
    ) {
        let body = serde_json::json!({
            "eventType": event,
            "action": event,
            "resource": {
                "refUpdates": [{"name": name}],
                "repository": {"remoteUrl": url, "sshUrl": name, "webUrl": url},
                "pullRequestId": id,
                "status": status,
                "_links": {"web": {"href": url}},
            },
            "target": {"repository": name, "tag": name, "digest": url, "mediaType": status},
            "request": {"host": url},
        });
        let body = serde_json::to_vec(&body).expect("serializable");
        assert_verdict(&deliver(USER_AGENTS[pick], &body));
    }
}
