//! Every file of `tests/fixtures/gitlab/`, with the header GitLab sends it
//! with and the outcome it must give.

use kargo_webhook_provider::{ChangedPaths, Outcome, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

enum Expected {
    Refresh(Vec<Pushed>),
    PullRequestClosed(&'static str),
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
            name: "push.json",
            event: PUSH,
            body: fixture!("push.json"),
            expected: Expected::Refresh(vec![repo(
                APP_CONFIG,
                &["refs/heads/main"],
                files(&[
                    "envs/prod/api/values.yaml",
                    "envs/prod/cron/job.yaml",
                    "envs/prod/worker/values.yaml",
                ]),
            )]),
        },
        Fixture {
            name: "push-more-commits-than-listed.json",
            event: PUSH,
            body: fixture!("push-more-commits-than-listed.json"),
            expected: Expected::Refresh(vec![repo(
                APP_CONFIG,
                &["refs/heads/release/2.x"],
                ChangedPaths::Unknown,
            )]),
        },
        Fixture {
            name: "push-new-branch.json",
            event: PUSH,
            body: fixture!("push-new-branch.json"),
            expected: Expected::Refresh(vec![repo(
                APP_CONFIG,
                &["refs/heads/feature/canary"],
                ChangedPaths::Unknown,
            )]),
        },
        Fixture {
            name: "push-ssh-port.json",
            event: PUSH,
            body: fixture!("push-ssh-port.json"),
            expected: Expected::Refresh(vec![
                repo(
                    APP_CONFIG,
                    &["refs/heads/main"],
                    files(&[
                        "envs/prod/api/values.yaml",
                        "envs/prod/cron/job.yaml",
                        "envs/prod/worker/values.yaml",
                    ]),
                ),
                repo(
                    "gitlab.example.com:2222/platform/app-config",
                    &["refs/heads/main"],
                    files(&[
                        "envs/prod/api/values.yaml",
                        "envs/prod/cron/job.yaml",
                        "envs/prod/worker/values.yaml",
                    ]),
                ),
            ]),
        },
        Fixture {
            name: "tag-push.json",
            event: TAG_PUSH,
            body: fixture!("tag-push.json"),
            expected: Expected::Refresh(vec![repo(
                APP_CONFIG,
                &["refs/tags/v1.4.0"],
                ChangedPaths::Unknown,
            )]),
        },
        Fixture {
            name: "merge-request-merged.json",
            event: MERGE_REQUEST,
            body: fixture!("merge-request-merged.json"),
            expected: Expected::PullRequestClosed(
                "https://gitlab.example.com/platform/app-config/-/merge_requests/12",
            ),
        },
        Fixture {
            name: "merge-request-closed.json",
            event: MERGE_REQUEST,
            body: fixture!("merge-request-closed.json"),
            expected: Expected::PullRequestClosed(
                "https://gitlab.example.com/platform/app-config/-/merge_requests/13",
            ),
        },
        Fixture {
            name: "merge-request-opened.json",
            event: MERGE_REQUEST,
            body: fixture!("merge-request-opened.json"),
            expected: Expected::Ignored(NOT_CLOSED),
        },
        Fixture {
            name: "system-hook-push.json",
            event: "System Hook",
            body: fixture!("system-hook-push.json"),
            expected: Expected::Ignored("event type System Hook is not acted on"),
        },
        Fixture {
            name: "pipeline.json",
            event: "Pipeline Hook",
            body: fixture!("pipeline.json"),
            expected: Expected::Ignored("event type Pipeline Hook is not acted on"),
        },
        Fixture {
            name: "not-json.txt",
            event: PUSH,
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
            Expected::Ignored(reason) => {
                assert_eq!(result, Ok(Outcome::Ignored(reason)), "{}", fixture.name);
            }
            Expected::Refused(error) => assert_eq!(result, Err(error), "{}", fixture.name),
        }
    }
}

/// GitLab disables a webhook that keeps failing: of the fixtures, only the
/// synthetic truncated body may be refused.
#[test]
fn only_the_truncated_body_is_refused() {
    let refused: Vec<&str> = fixtures()
        .iter()
        .filter(|f| matches!(f.expected, Expected::Refused(_)))
        .map(|f| f.name)
        .collect();
    assert_eq!(refused, ["not-json.txt"]);
}

/// The event header decides, not the body: every fixture, sent under a
/// header GitLab uses for something else, is acknowledged unread.
#[test]
fn the_header_not_the_body_names_the_event() {
    for fixture in fixtures() {
        assert_eq!(
            deliver(Some("Note Hook"), fixture.body),
            Ok(Outcome::Ignored("event type Note Hook is not acted on")),
            "{}",
            fixture.name
        );
    }
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("gitlab").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, with the header it is sent with.
#[test]
fn the_readme_names_every_fixture_and_its_header() {
    let dir = FixtureDir::of("gitlab");
    for fixture in fixtures() {
        let row = dir.readme_row(fixture.name);
        assert!(
            row.contains(&format!("`{}`", fixture.event)),
            "README.md gives {} another header",
            fixture.name
        );
    }
}
