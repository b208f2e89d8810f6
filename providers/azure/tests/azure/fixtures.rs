//! Every file of `tests/fixtures/azure/`, with the outcome it must give.

use kargo_webhook_provider::{Outcome, PushedContent, Refusal};
use kargo_webhook_provider_testkit::fixtures::FixtureDir;

use crate::support::*;

struct Fixture {
    name: &'static str,
    body: &'static [u8],
    expected: Result<Outcome, Refusal>,
}

/// The `User-Agent` each service sends, by the file's prefix.
fn user_agent(name: &str) -> Option<&'static str> {
    if name.starts_with("acr-") {
        ACR
    } else {
        DEVOPS
    }
}

fn fixtures() -> Vec<Fixture> {
    let payments = "https://dev.azure.com/contoso/Payments/_git/payments-api";
    let api = "contosoprod.azurecr.io/payments/api";
    vec![
        Fixture {
            name: "devops-git-push.json",
            body: fixture!("devops-git-push.json"),
            expected: Ok(Outcome::Refresh(vec![git_push(
                payments,
                &["refs/heads/main"],
            )])),
        },
        Fixture {
            name: "devops-git-push-tag-and-branch.json",
            body: fixture!("devops-git-push-tag-and-branch.json"),
            expected: Ok(Outcome::Refresh(vec![
                git_push(
                    "https://dev.azure.com/fabrikam/Checkout/_git/Checkout",
                    &["refs/heads/release/2.x", "refs/tags/v2.7.0"],
                ),
                git_push(
                    "git@ssh.dev.azure.com:v3/fabrikam/Checkout/Checkout",
                    &["refs/heads/release/2.x", "refs/tags/v2.7.0"],
                ),
            ])),
        },
        Fixture {
            name: "devops-pullrequest-merged.json",
            body: fixture!("devops-pullrequest-merged.json"),
            expected: closed(PR_57),
        },
        Fixture {
            name: "devops-pullrequest-updated-abandoned.json",
            body: fixture!("devops-pullrequest-updated-abandoned.json"),
            expected: closed(PR_57),
        },
        Fixture {
            name: "devops-pullrequest-updated-abandoned-no-links.json",
            body: fixture!("devops-pullrequest-updated-abandoned-no-links.json"),
            expected: closed(PR_57),
        },
        Fixture {
            name: "devops-pullrequest-updated-active.json",
            body: fixture!("devops-pullrequest-updated-active.json"),
            expected: Ok(Outcome::Ignored(NOT_ABANDONED)),
        },
        Fixture {
            name: "devops-build-complete.json",
            body: fixture!("devops-build-complete.json"),
            expected: Ok(Outcome::Ignored(
                "event type build.complete announces no new commits",
            )),
        },
        Fixture {
            name: "acr-push.json",
            body: fixture!("acr-push.json"),
            expected: Ok(Outcome::Refresh(vec![image_push(
                api,
                &["2.7.0"],
                &[PUSH_DIGEST],
                PushedContent::Image,
            )])),
        },
        Fixture {
            name: "acr-push-digest-only.json",
            body: fixture!("acr-push-digest-only.json"),
            expected: Ok(Outcome::Refresh(vec![image_push(
                api,
                &[],
                &[CHILD_DIGEST],
                PushedContent::Either,
            )])),
        },
        Fixture {
            name: "acr-push-helm-chart.json",
            body: fixture!("acr-push-helm-chart.json"),
            expected: Ok(Outcome::Refresh(vec![image_push(
                "contosoprod.azurecr.io/helm/payments",
                &["0.9.1"],
                &[CHART_DIGEST],
                PushedContent::Chart,
            )])),
        },
        Fixture {
            name: "acr-ping.json",
            body: fixture!("acr-ping.json"),
            expected: Ok(Outcome::Ping),
        },
        Fixture {
            name: "acr-delete.json",
            body: fixture!("acr-delete.json"),
            expected: Ok(Outcome::Ignored("action delete announces no new artifact")),
        },
        Fixture {
            name: "acr-chart-push.json",
            body: fixture!("acr-chart-push.json"),
            expected: Ok(Outcome::Ignored(CHART_PUSH)),
        },
        Fixture {
            name: "not-json.txt",
            body: fixture!("not-json.txt"),
            expected: Err(INVALID_BODY),
        },
    ]
}

#[test]
fn every_fixture_gives_its_outcome() {
    for fixture in fixtures() {
        assert_eq!(
            deliver(user_agent(fixture.name), fixture.body),
            fixture.expected,
            "{}",
            fixture.name
        );
    }
}

/// Both services retry answers outside 2xx: of the fixtures, only the
/// synthetic truncated body may be refused.
#[test]
fn only_the_truncated_body_is_refused() {
    let refused: Vec<&str> = fixtures()
        .iter()
        .filter(|f| f.expected.is_err())
        .map(|f| f.name)
        .collect();
    assert_eq!(refused, ["not-json.txt"]);
}

/// A fixture from one service sent with the other's `User-Agent` is read in
/// the wrong format: never a refresh, never a panic.
#[test]
fn the_user_agent_picks_the_format() {
    for fixture in fixtures() {
        let swapped = if user_agent(fixture.name) == ACR {
            DEVOPS
        } else {
            ACR
        };
        let result = deliver(swapped, fixture.body);
        assert!(
            matches!(result, Ok(Outcome::Ignored(_)) | Err(_)),
            "{}: {result:?}",
            fixture.name
        );
        assert_eq!(
            deliver(None, fixture.body),
            Err(UNKNOWN_SENDER),
            "{}",
            fixture.name
        );
    }
}

/// A fixture added to the directory without a line above fails here.
#[test]
fn the_table_covers_every_fixture_file() {
    FixtureDir::of("azure").assert_table_covers_every_file(fixtures().iter().map(|f| f.name));
}

/// The README describes every fixture, so a reader can find what each is.
#[test]
fn the_readme_names_every_fixture() {
    FixtureDir::of("azure").assert_readme_describes(fixtures().iter().map(|f| f.name));
}
