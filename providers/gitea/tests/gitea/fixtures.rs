//! Every file of `tests/fixtures/gitea/`, with the outcome it must give.

use kargo_webhook_provider::{ChangedPaths, Outcome, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

struct Fixture {
    name: &'static str,
    event: &'static str,
    body: &'static [u8],
    expected: Result<Outcome, Refusal>,
}

fn fixtures() -> Vec<Fixture> {
    vec![
        Fixture {
            name: "push-branch.json",
            event: "push",
            body: fixture!("push-branch.json"),
            expected: Ok(Outcome::Refresh(vec![git_push(
                GUESTBOOK,
                &["refs/heads/main"],
                paths(&[
                    "charts/worker/Chart.yaml",
                    "charts/worker/values.yaml",
                    "deploy/cron.yaml",
                    "deploy/frontend/values.yaml",
                ]),
            )])),
        },
        Fixture {
            name: "push-tag.json",
            event: "push",
            body: fixture!("push-tag.json"),
            // No commits are listed for a tag: nothing to filter paths by.
            expected: Ok(Outcome::Refresh(vec![git_push(
                GUESTBOOK,
                &["refs/tags/v1.2.0"],
                ChangedPaths::Unknown,
            )])),
        },
        Fixture {
            name: "create-tag.json",
            event: "create",
            body: fixture!("create-tag.json"),
            expected: Ok(Outcome::Ignored(
                "event type create announces no new commits",
            )),
        },
        Fixture {
            name: "delete-branch.json",
            event: "delete",
            body: fixture!("delete-branch.json"),
            expected: Ok(Outcome::Ignored(
                "event type delete announces no new commits",
            )),
        },
        Fixture {
            name: "push-truncated.json",
            event: "push",
            body: fixture!("push-truncated.json"),
            // The SSH URL has a port, so it is a key of its own.
            expected: Ok(Outcome::Refresh(vec![
                git_push(GUESTBOOK, &["refs/heads/main"], ChangedPaths::Unknown),
                git_push(
                    "ssh://git@gitea.example.com:2222/platform/guestbook",
                    &["refs/heads/main"],
                    ChangedPaths::Unknown,
                ),
            ])),
        },
        Fixture {
            name: "pull-request-closed.json",
            event: "pull_request",
            body: fixture!("pull-request-closed.json"),
            expected: Ok(Outcome::PullRequestClosed {
                url: "https://gitea.example.com/platform/Guestbook/pulls/7".to_owned(),
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

/// The clone URL and an SSH URL on port 22 are one key, whatever the case
/// Gitea spells the repository in.
#[test]
fn both_urls_of_a_push_name_one_repository() {
    let pushes = refreshed(deliver("push", fixture!("push-branch.json")));
    assert_eq!(pushes.len(), 1);
    assert_eq!(
        pushes[0].repository.as_str(),
        "gitea.example.com/platform/guestbook"
    );
}

#[test]
fn no_fixture_passes_with_another_secret() {
    for fixture in fixtures() {
        let hub = hub_signature(b"another secret", fixture.body);
        let gitea = gitea_signature(b"another secret", fixture.body);
        let headers = [
            ("X-Gitea-Event", fixture.event.as_bytes()),
            ("X-Hub-Signature-256", hub.as_bytes()),
            ("X-Gitea-Signature", gitea.as_bytes()),
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
    FixtureDir::of("gitea").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, with the event it is sent as.
#[test]
fn the_readme_names_every_fixture_and_its_event() {
    let dir = FixtureDir::of("gitea");
    for fixture in fixtures() {
        let row = dir.readme_row(fixture.name);
        assert!(
            row.contains(&format!("`{}`", fixture.event)),
            "{}: {row}",
            fixture.name
        );
    }
}
