//! Every file of `tests/fixtures/github/`, with the outcome it must give.

use kargo_webhook_provider::{ChangedPaths, Outcome, PushedContent, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

struct Fixture {
    name: &'static str,
    event: &'static str,
    body: &'static [u8],
    expected: Result<Outcome, Refusal>,
}

fn fixtures() -> Vec<Fixture> {
    let branch_paths = paths(&[
        "README.md",
        "charts/worker/Chart.yaml",
        "charts/worker/values.yaml",
        "deploy/cron.yaml",
        "deploy/frontend/values.yaml",
    ]);
    // The tag's head commit is the second commit of push-branch.json.
    let tag_paths = paths(&[
        "README.md",
        "charts/worker/Chart.yaml",
        "charts/worker/values.yaml",
        "deploy/cron.yaml",
    ]);
    vec![
        Fixture {
            name: "ping.json",
            event: "ping",
            body: fixture!("ping.json"),
            expected: Ok(Outcome::Ping),
        },
        Fixture {
            name: "push-branch.json",
            event: "push",
            body: fixture!("push-branch.json"),
            expected: Ok(Outcome::Refresh(vec![git_push(
                GUESTBOOK,
                &["refs/heads/main"],
                branch_paths,
            )])),
        },
        Fixture {
            name: "push-tag.json",
            event: "push",
            body: fixture!("push-tag.json"),
            expected: Ok(Outcome::Refresh(vec![git_push(
                GUESTBOOK,
                &["refs/tags/v1.2.0"],
                tag_paths,
            )])),
        },
        Fixture {
            name: "push-branch-deleted.json",
            event: "push",
            body: fixture!("push-branch-deleted.json"),
            expected: Ok(Outcome::Refresh(vec![git_push(
                GUESTBOOK,
                &["refs/heads/feature/worker-chart"],
                ChangedPaths::Unknown,
            )])),
        },
        Fixture {
            name: "push-truncated.json",
            event: "push",
            body: fixture!("push-truncated.json"),
            expected: Ok(Outcome::Refresh(vec![git_push(
                GUESTBOOK,
                &["refs/heads/main"],
                ChangedPaths::Unknown,
            )])),
        },
        Fixture {
            name: "pull-request-closed.json",
            event: "pull_request",
            body: fixture!("pull-request-closed.json"),
            expected: Ok(Outcome::PullRequestClosed {
                url: "https://github.com/Example-Org/Guestbook/pull/42".to_owned(),
            }),
        },
        Fixture {
            name: "pull-request-opened.json",
            event: "pull_request",
            body: fixture!("pull-request-opened.json"),
            expected: Ok(Outcome::Ignored(
                "only a closed pull request concerns the promotions waiting on it",
            )),
        },
        Fixture {
            name: "package-published-container.json",
            event: "package",
            body: fixture!("package-published-container.json"),
            expected: Ok(Outcome::Refresh(vec![image_push(
                "ghcr.io/example-org/guestbook",
                &["v1.2.0"],
                &["sha256:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"],
                PushedContent::Image,
            )])),
        },
        Fixture {
            name: "package-published-untagged.json",
            event: "package",
            body: fixture!("package-published-untagged.json"),
            expected: Ok(Outcome::Refresh(vec![image_push(
                "ghcr.io/example-org/guestbook",
                &[],
                &["sha256:cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34"],
                PushedContent::Image,
            )])),
        },
        Fixture {
            name: "registry-package-published.json",
            event: "registry_package",
            body: fixture!("registry-package-published.json"),
            expected: Ok(Outcome::Refresh(vec![image_push(
                "ghcr.io/example-org/charts/guestbook",
                &["0.3.1"],
                &["sha256:ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56"],
                PushedContent::Chart,
            )])),
        },
        Fixture {
            name: "package-published-npm.json",
            event: "package",
            body: fixture!("package-published-npm.json"),
            expected: Ok(Outcome::Ignored(
                "only a container package announces a new image",
            )),
        },
        Fixture {
            name: "not-json.txt",
            event: "push",
            body: fixture!("not-json.txt"),
            expected: Err(INVALID_BODY),
        },
    ]
}

#[test]
fn every_fixture_gives_its_outcome() {
    for fixture in fixtures() {
        assert_eq!(
            deliver(fixture.event, fixture.body),
            fixture.expected,
            "{}",
            fixture.name
        );
    }
}

/// The clone URL and the SSH URL of a github.com repository are one key,
/// whatever the case GitHub spells the owner and name in.
#[test]
fn both_urls_of_a_push_name_one_repository() {
    let pushes = refreshed(deliver("push", fixture!("push-branch.json")));
    assert_eq!(pushes.len(), 1);
    assert_eq!(
        pushes[0].repository.as_str(),
        "github.com/example-org/guestbook"
    );
}

/// Every fixture's signature is checked against its exact bytes: signed
/// with another secret, none is accepted.
#[test]
fn no_fixture_passes_with_another_secret() {
    for fixture in fixtures() {
        let signature = sign_with(b"another secret", fixture.body);
        let headers = [
            ("X-GitHub-Event", fixture.event.as_bytes()),
            ("X-Hub-Signature-256", signature.as_bytes()),
            ("Content-Type", &b"application/json"[..]),
        ];
        assert_eq!(
            handle_with(&headers, fixture.body, &credentials(SECRET)),
            Err(UNAUTHORIZED),
            "{}",
            fixture.name
        );
    }
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("github").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, with the event it is sent as.
#[test]
fn the_readme_names_every_fixture_and_its_event() {
    let dir = FixtureDir::of("github");
    for fixture in fixtures() {
        let row = dir.readme_row(fixture.name);
        assert!(
            row.contains(&format!("`{}`", fixture.event)),
            "{}: {row}",
            fixture.name
        );
    }
}
