//! Every file of `tests/fixtures/artifactory/`, with the outcome it must
//! give to a receiver without options and to one with `virtualRepoName`.

use kargo_webhook_provider::{Outcome, PushedContent, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

struct Fixture {
    name: &'static str,
    body: &'static [u8],
    /// Without `virtualRepoName`.
    expected: Result<Outcome, Refusal>,
    /// With `virtualRepoName: docker-virtual`.
    through_virtual: Result<Outcome, Refusal>,
}

fn refresh(reference: &str, tags: &[&str], content: PushedContent) -> Result<Outcome, Refusal> {
    Ok(Outcome::Refresh(vec![image_push(reference, tags, content)]))
}

fn fixtures() -> Vec<Fixture> {
    let same = |result: Result<Outcome, Refusal>| (result.clone(), result);
    let ignored = |reason| same(Ok(Outcome::Ignored(reason)));
    let table = [
        (
            "docker-pushed.json",
            &fixture!("docker-pushed.json")[..],
            (
                refresh(
                    "contoso.jfrog.io/docker-local/payments/api",
                    &["2.7.0"],
                    PushedContent::Image,
                ),
                refresh(
                    "contoso.jfrog.io/docker-virtual/payments/api",
                    &["2.7.0"],
                    PushedContent::Image,
                ),
            ),
        ),
        (
            "docker-pushed-list-manifest.json",
            fixture!("docker-pushed-list-manifest.json"),
            (
                refresh(
                    "artifactory.example.com:8443/docker-local/library/nginx",
                    &["1.27.1"],
                    PushedContent::Image,
                ),
                refresh(
                    "artifactory.example.com:8443/docker-virtual/library/nginx",
                    &["1.27.1"],
                    PushedContent::Image,
                ),
            ),
        ),
        (
            "docker-pushed-oci.json",
            fixture!("docker-pushed-oci.json"),
            (
                refresh(
                    "contoso.jfrog.io/helm-oci-local/charts/payments",
                    &["0.9.1"],
                    PushedContent::Either,
                ),
                refresh(
                    "contoso.jfrog.io/docker-virtual/charts/payments",
                    &["0.9.1"],
                    PushedContent::Either,
                ),
            ),
        ),
        (
            "docker-pushed-no-image-type.json",
            fixture!("docker-pushed-no-image-type.json"),
            (
                refresh(
                    "contoso.jfrog.io/docker-local/payments/worker",
                    &["3.1.0"],
                    PushedContent::Either,
                ),
                refresh(
                    "contoso.jfrog.io/docker-virtual/payments/worker",
                    &["3.1.0"],
                    PushedContent::Either,
                ),
            ),
        ),
        (
            "docker-deleted.json",
            fixture!("docker-deleted.json"),
            ignored("docker event deleted announces no new image"),
        ),
        (
            "artifact-deployed.json",
            fixture!("artifact-deployed.json"),
            ignored("events of domain artifact announce no new image"),
        ),
        (
            "not-json.txt",
            fixture!("not-json.txt"),
            same(Err(INVALID_BODY)),
        ),
    ];
    table
        .into_iter()
        .map(|(name, body, (expected, through_virtual))| Fixture {
            name,
            body,
            expected,
            through_virtual,
        })
        .collect()
}

#[test]
fn every_fixture_gives_its_outcome() {
    for fixture in fixtures() {
        assert_eq!(deliver(fixture.body), fixture.expected, "{}", fixture.name);
        assert_eq!(
            deliver_to_receiver(Some("docker-virtual"), fixture.body),
            fixture.through_virtual,
            "{} through docker-virtual",
            fixture.name
        );
    }
}

/// Artifactory retries answers outside 2xx: of the fixtures, only the
/// synthetic truncated body may be refused.
#[test]
fn only_the_truncated_body_is_refused() {
    let refused: Vec<&str> = fixtures()
        .iter()
        .filter(|f| f.expected.is_err() || f.through_virtual.is_err())
        .map(|f| f.name)
        .collect();
    assert_eq!(refused, ["not-json.txt"]);
}

/// Signed with another key, every fixture is refused before it is read.
#[test]
fn no_fixture_is_read_without_its_signature() {
    for fixture in fixtures() {
        let forged = kargo_webhook_provider::signature::hex_hmac_sha256(b"other", fixture.body);
        let headers = [("X-JFrog-Event-Auth", forged.as_bytes())];
        assert_eq!(
            handle_with(&headers, fixture.body, &credentials(SECRET), &options(None)),
            Err(UNAUTHORIZED),
            "{}",
            fixture.name
        );
    }
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("artifactory").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, so a reader can find what each is.
#[test]
fn the_readme_names_every_fixture() {
    FixtureDir::of("artifactory").assert_readme_describes(fixtures().iter().map(|f| f.name));
}
