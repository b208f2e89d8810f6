//! Every file of `tests/fixtures/dockerhub/`, with the outcome it must give.

use kargo_webhook_provider::{PushedContent, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

enum Expected {
    Refresh(Vec<Pushed>),
    Refused(Refusal),
}

struct Fixture {
    name: &'static str,
    body: &'static [u8],
    expected: Expected,
}

fn fixtures() -> Vec<Fixture> {
    use PushedContent::{Chart, Either, Image};
    let podinfo = "docker.io/acme-corp/podinfo";
    vec![
        Fixture {
            name: "push-organization.json",
            body: fixture!("push-organization.json"),
            expected: Expected::Refresh(vec![pushed(
                "docker.io/acme-corp/payments-api",
                &["v2.4.0"],
                Image,
            )]),
        },
        Fixture {
            name: "push-official.json",
            body: fixture!("push-official.json"),
            expected: Expected::Refresh(vec![pushed(
                "docker.io/library/nginx",
                &["1.27.1-alpine"],
                Image,
            )]),
        },
        Fixture {
            name: "push-no-media-type.json",
            body: fixture!("push-no-media-type.json"),
            expected: Expected::Refresh(vec![pushed(
                "docker.io/jdoe/hello-hook",
                &["latest"],
                Either,
            )]),
        },
        Fixture {
            name: "push-chart.json",
            body: fixture!("push-chart.json"),
            expected: Expected::Refresh(vec![pushed(podinfo, &["6.7.1"], Chart)]),
        },
        Fixture {
            name: "push-oci-manifest.json",
            body: fixture!("push-oci-manifest.json"),
            expected: Expected::Refresh(vec![pushed(podinfo, &["6.7.2"], Either)]),
        },
        Fixture {
            name: "push-legacy.json",
            body: fixture!("push-legacy.json"),
            expected: Expected::Refresh(vec![pushed(
                "docker.io/jdoe/apt-cache",
                &["latest"],
                Either,
            )]),
        },
        Fixture {
            name: "no-repo-name.json",
            body: fixture!("no-repo-name.json"),
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
            Expected::Refused(error) => assert_eq!(result, Err(error), "{}", fixture.name),
        }
    }
}

/// Docker Hub marks a delivery failed on any answer outside 2xx: of the
/// fixtures, only the synthetic broken bodies may be refused.
#[test]
fn only_the_synthetic_broken_bodies_are_refused() {
    let refused: Vec<&str> = fixtures()
        .iter()
        .filter(|f| matches!(f.expected, Expected::Refused(_)))
        .map(|f| f.name)
        .collect();
    assert_eq!(refused, ["no-repo-name.json", "not-json.txt"]);
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("dockerhub").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, so a reader can find what each is.
#[test]
fn the_readme_names_every_fixture() {
    FixtureDir::of("dockerhub").assert_readme_describes(fixtures().iter().map(|f| f.name));
}

/// Docker Hub has one payload format: the `Content-Type` changes nothing.
#[test]
fn the_content_type_changes_nothing() {
    for fixture in fixtures() {
        for content_type in [
            &b"text/plain"[..],
            b"application/x-www-form-urlencoded",
            b"",
        ] {
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
