//! Every file of `tests/fixtures/quay/`, with the outcome it must give.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

enum Expected {
    Refresh(Vec<Pushed>),
    Ignored(&'static str),
    Refused(Refusal),
}

struct Fixture {
    name: &'static str,
    body: &'static [u8],
    expected: Expected,
}

fn fixtures() -> Vec<Fixture> {
    let api = "quay.io/acme/payments-api";
    vec![
        Fixture {
            name: "push.json",
            body: fixture!("push.json"),
            expected: Expected::Refresh(vec![pushed(api, &["v2.4.0"])]),
        },
        Fixture {
            name: "push-self-hosted.json",
            body: fixture!("push-self-hosted.json"),
            expected: Expected::Refresh(vec![pushed(
                "registry.example.com:8443/platform/ingest",
                &["1.8.0", "1.8", "latest"],
            )]),
        },
        Fixture {
            name: "push-empty-tags.json",
            body: fixture!("push-empty-tags.json"),
            expected: Expected::Refresh(vec![pushed(api, &[])]),
        },
        Fixture {
            name: "push-test-notification.json",
            body: fixture!("push-test-notification.json"),
            expected: Expected::Refresh(vec![pushed(api, &["latest", "foo"])]),
        },
        Fixture {
            name: "push-legacy-tags-object.json",
            body: fixture!("push-legacy-tags-object.json"),
            expected: Expected::Refresh(vec![pushed(api, &["v2.3.9"])]),
        },
        Fixture {
            name: "build-success.json",
            body: fixture!("build-success.json"),
            expected: Expected::Ignored(
                "build notification announces no push (the build's push sends its own)",
            ),
        },
        Fixture {
            name: "vulnerability-found.json",
            body: fixture!("vulnerability-found.json"),
            expected: Expected::Ignored("vulnerability notification announces no push"),
        },
        Fixture {
            name: "mirror-sync-success.json",
            body: fixture!("mirror-sync-success.json"),
            expected: Expected::Ignored("repository mirror notification announces no push"),
        },
        Fixture {
            name: "image-expiry.json",
            body: fixture!("image-expiry.json"),
            expected: Expected::Ignored("image expiry notification announces no push"),
        },
        Fixture {
            name: "quota-warning.json",
            body: fixture!("quota-warning.json"),
            expected: Expected::Ignored("quota notification announces no push"),
        },
        Fixture {
            name: "push-no-docker-url.json",
            body: fixture!("push-no-docker-url.json"),
            expected: Expected::Refused(INVALID_BODY),
        },
        Fixture {
            name: "templated.json",
            body: fixture!("templated.json"),
            expected: Expected::Refused(INVALID_BODY),
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
        let result = deliver(fixture.body);
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

/// Quay retries every answer outside 2xx: of the fixtures, only the
/// synthetic bodies that are none of Quay's shapes may be refused.
#[test]
fn only_the_synthetic_broken_bodies_are_refused() {
    let refused: Vec<&str> = fixtures()
        .iter()
        .filter(|f| matches!(f.expected, Expected::Refused(_)))
        .map(|f| f.name)
        .collect();
    assert_eq!(
        refused,
        ["push-no-docker-url.json", "templated.json", "not-json.txt"]
    );
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("quay").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, so a reader can find what each is.
#[test]
fn the_readme_names_every_fixture() {
    FixtureDir::of("quay").assert_readme_describes(fixtures().iter().map(|f| f.name));
}

/// Quay has one payload format: the `Content-Type` changes nothing.
#[test]
fn the_content_type_changes_nothing() {
    for fixture in fixtures() {
        for content_type in [&b"text/plain"[..], b"application/xml", b""] {
            let headers = [("Content-Type", content_type)];
            assert_eq!(
                handle_with(&headers, fixture.body, &credentials(SECRET)),
                deliver(fixture.body),
                "{}",
                fixture.name
            );
        }
        assert_eq!(
            handle_with(&[], fixture.body, &credentials(SECRET)),
            deliver(fixture.body),
            "{}",
            fixture.name
        );
    }
}
