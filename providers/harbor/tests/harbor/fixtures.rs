//! Every file of `tests/fixtures/harbor/`, with the outcome it must give.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

const NO_RESOURCES: &str = "a push without resources announces no new artifact";

enum Expected {
    Refresh(Refreshed),
    Ignored(&'static str),
    Refused(Refusal),
}

struct Fixture {
    name: &'static str,
    body: &'static [u8],
    expected: Expected,
}

/// Files starting with `cloudevents-` are sent as CloudEvents, all others as
/// the Default format, as Harbor labels them.
fn content_type(name: &str) -> Option<&'static str> {
    if name.starts_with("cloudevents-") {
        CLOUDEVENTS
    } else {
        JSON
    }
}

fn fixtures() -> Vec<Fixture> {
    let api = "registry.example.org:8443/team-a/backend/api";
    let nginx = "harbor.example.com/library/nginx";
    vec![
        Fixture {
            name: "push-tag.json",
            body: fixture!("push-tag.json"),
            expected: Expected::Refresh(vec![repo(api, &["v2.4.0"], &[DIGEST_3F1C])]),
        },
        Fixture {
            name: "cloudevents-push-tag.json",
            body: fixture!("cloudevents-push-tag.json"),
            expected: Expected::Refresh(vec![repo(api, &["v2.4.0"], &[DIGEST_3F1C])]),
        },
        Fixture {
            name: "push-simple.json",
            body: fixture!("push-simple.json"),
            expected: Expected::Refresh(vec![repo(nginx, &["1.27.1"], &[DIGEST_A0B1])]),
        },
        Fixture {
            name: "push-digest-only.json",
            body: fixture!("push-digest-only.json"),
            expected: Expected::Refresh(vec![repo(nginx, &[], &[DIGEST_77E9])]),
        },
        Fixture {
            name: "push-chart.json",
            body: fixture!("push-chart.json"),
            expected: Expected::Refresh(vec![repo(
                "harbor.example.com/charts/podinfo",
                &["0.9.0"],
                &[DIGEST_A0B1],
            )]),
        },
        Fixture {
            name: "push-replicated.json",
            body: fixture!("push-replicated.json"),
            expected: Expected::Refresh(vec![repo(api, &["v2.4.1"], &[DIGEST_3F1C])]),
        },
        Fixture {
            name: "push-empty-resources.json",
            body: fixture!("push-empty-resources.json"),
            expected: Expected::Ignored(NO_RESOURCES),
        },
        Fixture {
            name: "push-no-resources.json",
            body: fixture!("push-no-resources.json"),
            expected: Expected::Ignored(NO_RESOURCES),
        },
        Fixture {
            name: "push-ext-url-trailing-slash.json",
            body: fixture!("push-ext-url-trailing-slash.json"),
            expected: Expected::Refresh(vec![repo(nginx, &["1.27.1"], &[DIGEST_A0B1])]),
        },
        Fixture {
            name: "cloudevents-push-ext-url-trailing-slash.json",
            body: fixture!("cloudevents-push-ext-url-trailing-slash.json"),
            expected: Expected::Refresh(vec![repo(nginx, &["1.27.1"], &[DIGEST_A0B1])]),
        },
        Fixture {
            name: "push-ext-url-default-port.json",
            body: fixture!("push-ext-url-default-port.json"),
            expected: Expected::Refresh(vec![repo(nginx, &["1.27.1"], &[DIGEST_A0B1])]),
        },
        Fixture {
            name: "cloudevents-push-ext-url-default-port.json",
            body: fixture!("cloudevents-push-ext-url-default-port.json"),
            expected: Expected::Refresh(vec![repo(nginx, &["1.27.1"], &[DIGEST_A0B1])]),
        },
        Fixture {
            name: "push-multiple-resources.json",
            body: fixture!("push-multiple-resources.json"),
            expected: Expected::Refresh(vec![
                repo(api, &["v2.4.0", "v2.4.0-rc.1"], &[DIGEST_3F1C, DIGEST_77E9]),
                repo(nginx, &["1.27.1"], &[DIGEST_A0B1]),
            ]),
        },
        Fixture {
            name: "pull.json",
            body: fixture!("pull.json"),
            expected: Expected::Ignored("event type PULL_ARTIFACT announces no new artifact"),
        },
        Fixture {
            name: "cloudevents-pull.json",
            body: fixture!("cloudevents-pull.json"),
            expected: Expected::Ignored(
                "event type harbor.artifact.pulled announces no new artifact",
            ),
        },
        Fixture {
            name: "delete.json",
            body: fixture!("delete.json"),
            expected: Expected::Ignored("event type DELETE_ARTIFACT announces no new artifact"),
        },
        Fixture {
            name: "scanning-completed.json",
            body: fixture!("scanning-completed.json"),
            expected: Expected::Ignored("event type SCANNING_COMPLETED announces no new artifact"),
        },
        Fixture {
            name: "replication.json",
            body: fixture!("replication.json"),
            expected: Expected::Ignored("event type REPLICATION announces no new artifact"),
        },
        Fixture {
            name: "quota-exceed.json",
            body: fixture!("quota-exceed.json"),
            expected: Expected::Ignored("event type QUOTA_EXCEED announces no new artifact"),
        },
        Fixture {
            name: "not-json.txt",
            body: fixture!("not-json.txt"),
            expected: Expected::Refused(INVALID_BODY),
        },
    ]
}

#[test]
fn every_fixture_gives_its_outcome() {
    for fixture in fixtures() {
        let result = deliver(content_type(fixture.name), fixture.body);
        match fixture.expected {
            Expected::Refresh(expected) => {
                assert_eq!(refreshed(result), expected, "{}", fixture.name);
            }
            Expected::Ignored(reason) => {
                assert_eq!(result, Ok(Outcome::Ignored(reason)), "{}", fixture.name);
            }
            Expected::Refused(error) => assert_eq!(result, Err(error), "{}", fixture.name),
        }
    }
}

/// Harbor retries every answer outside 2xx and then drops the event: of
/// the fixtures, only the synthetic truncated body may be refused.
#[test]
fn only_the_truncated_body_is_refused() {
    let refused: Vec<&str> = fixtures()
        .iter()
        .filter(|f| matches!(f.expected, Expected::Refused(_)))
        .map(|f| f.name)
        .collect();
    assert_eq!(refused, ["not-json.txt"]);
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("harbor").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, so a reader can find what each is.
#[test]
fn the_readme_names_every_fixture() {
    FixtureDir::of("harbor").assert_readme_describes(fixtures().iter().map(|f| f.name));
}

/// Content types as Harbor labels the fixtures: the label decides, so the
/// CloudEvents fixtures also parse with no label at all.
#[test]
fn fixtures_give_the_same_outcome_without_a_content_type() {
    for fixture in fixtures() {
        assert_eq!(
            deliver(None, fixture.body),
            deliver(content_type(fixture.name), fixture.body),
            "{}",
            fixture.name
        );
    }
}
