//! Every file of `tests/fixtures/bitbucket/`, with the event key Bitbucket
//! sends it with and the outcome it must give.

use kargo_webhook_provider::{Outcome, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

enum Expected {
    Refresh(Vec<Pushed>),
    PullRequestClosed(&'static str),
    Ping,
    Ignored(&'static str),
    Refused(Refusal),
}

struct Fixture {
    name: &'static str,
    event: &'static str,
    body: &'static [u8],
    expected: Expected,
}

fn fixtures() -> Vec<Fixture> {
    vec![
        Fixture {
            name: "cloud-repo-push-branch.json",
            event: "repo:push",
            body: fixture!("cloud-repo-push-branch.json"),
            expected: Expected::Refresh(vec![repo(CLOUD_REPO, &["refs/heads/main"])]),
        },
        Fixture {
            name: "cloud-repo-push-tag.json",
            event: "repo:push",
            body: fixture!("cloud-repo-push-tag.json"),
            expected: Expected::Refresh(vec![repo(CLOUD_REPO, &["refs/tags/v1.4.0"])]),
        },
        Fixture {
            name: "cloud-repo-push-deleted.json",
            event: "repo:push",
            body: fixture!("cloud-repo-push-deleted.json"),
            expected: Expected::Refresh(vec![repo(CLOUD_REPO, &["refs/heads/feature/old-cron"])]),
        },
        Fixture {
            name: "cloud-pullrequest-fulfilled.json",
            event: "pullrequest:fulfilled",
            body: fixture!("cloud-pullrequest-fulfilled.json"),
            expected: Expected::PullRequestClosed(
                "https://bitbucket.org/acme/app-config/pull-requests/12",
            ),
        },
        Fixture {
            name: "cloud-pullrequest-rejected.json",
            event: "pullrequest:rejected",
            body: fixture!("cloud-pullrequest-rejected.json"),
            expected: Expected::PullRequestClosed(
                "https://bitbucket.org/acme/app-config/pull-requests/13",
            ),
        },
        Fixture {
            name: "cloud-pullrequest-created.json",
            event: "pullrequest:created",
            body: fixture!("cloud-pullrequest-created.json"),
            expected: Expected::Ignored("event key pullrequest:created is not acted on"),
        },
        Fixture {
            name: "server-repo-refs-changed.json",
            event: "repo:refs_changed",
            body: fixture!("server-repo-refs-changed.json"),
            expected: Expected::Refresh(
                [SERVER_SSH, SERVER_HTTP]
                    .into_iter()
                    .map(|key| {
                        repo(
                            key,
                            &[
                                "refs/heads/main",
                                "refs/tags/v1.4.0",
                                "refs/heads/feature/old-cron",
                            ],
                        )
                    })
                    .collect(),
            ),
        },
        Fixture {
            name: "server-pr-merged.json",
            event: "pr:merged",
            body: fixture!("server-pr-merged.json"),
            expected: Expected::PullRequestClosed(
                "https://bitbucket.example.com/projects/PLAT/repos/app-config/pull-requests/12",
            ),
        },
        Fixture {
            name: "server-pr-declined.json",
            event: "pr:declined",
            body: fixture!("server-pr-declined.json"),
            expected: Expected::PullRequestClosed(
                "https://bitbucket.example.com/projects/PLAT/repos/app-config/pull-requests/13",
            ),
        },
        Fixture {
            name: "server-pr-opened.json",
            event: "pr:opened",
            body: fixture!("server-pr-opened.json"),
            expected: Expected::Ignored("event key pr:opened is not acted on"),
        },
        Fixture {
            name: "server-diagnostics-ping.json",
            event: "diagnostics:ping",
            body: fixture!("server-diagnostics-ping.json"),
            expected: Expected::Ping,
        },
        Fixture {
            name: "not-json.txt",
            event: "repo:push",
            body: fixture!("not-json.txt"),
            expected: Expected::Refused(INVALID_BODY),
        },
    ]
}

#[test]
fn every_fixture_gives_its_outcome() {
    for fixture in fixtures() {
        let result = deliver(Some(fixture.event), fixture.body);
        match fixture.expected {
            Expected::Refresh(expected) => {
                assert_eq!(refreshed(result), expected, "{}", fixture.name);
            }
            Expected::PullRequestClosed(url) => {
                assert_eq!(result, closed(url), "{}", fixture.name);
            }
            Expected::Ping => assert_eq!(result, Ok(Outcome::Ping), "{}", fixture.name),
            Expected::Ignored(reason) => {
                assert_eq!(result, Ok(Outcome::Ignored(reason)), "{}", fixture.name);
            }
            Expected::Refused(error) => assert_eq!(result, Err(error), "{}", fixture.name),
        }
    }
}

/// Bitbucket retries failed deliveries: of the fixtures, only the synthetic
/// truncated body may be refused.
#[test]
fn only_the_truncated_body_is_refused() {
    let refused: Vec<&str> = fixtures()
        .iter()
        .filter(|f| matches!(f.expected, Expected::Refused(_)))
        .map(|f| f.name)
        .collect();
    assert_eq!(refused, ["not-json.txt"]);
}

/// The event key decides, not the body: every fixture, sent under a key
/// Bitbucket uses for something else, is acknowledged unread.
#[test]
fn the_key_not_the_body_names_the_event() {
    for fixture in fixtures() {
        assert_eq!(
            deliver(Some("repo:fork"), fixture.body),
            Ok(Outcome::Ignored("event key repo:fork is not acted on")),
            "{}",
            fixture.name
        );
    }
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("bitbucket").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, with the key it is sent with.
#[test]
fn the_readme_names_every_fixture_and_its_key() {
    let dir = FixtureDir::of("bitbucket");
    for fixture in fixtures() {
        let row = dir.readme_row(fixture.name);
        assert!(
            row.contains(&format!("`{}`", fixture.event)),
            "README.md gives {} another key",
            fixture.name
        );
    }
}
