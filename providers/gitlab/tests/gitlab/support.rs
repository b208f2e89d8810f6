//! Helpers shared by the test modules.

use kargo_webhook_gitlab::{GitLab, SECRET_TOKEN_KEY};
use kargo_webhook_provider::{
    ChangedPaths, Credentials, Outcome, ReceiverOptions, Refusal, Unauthenticated,
};

pub use kargo_webhook_provider_testkit::outcomes::INVALID_BODY;

/// The bytes of one file of `tests/fixtures/gitlab/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("gitlab", $name)
    };
}
pub(crate) use fixture;

/// The `secret-token` value of the receiver's Secret in these tests.
pub const TOKEN: &[u8] = b"glwh-5Qx9TzR2mV7cK4pA8sD1";

pub const PUSH: &str = "Push Hook";
pub const TAG_PUSH: &str = "Tag Push Hook";
pub const MERGE_REQUEST: &str = "Merge Request Hook";

pub const MISSING_TOKEN: Refusal =
    Refusal::Unauthenticated(Unauthenticated::MissingCredentials("missing token"));
pub const WRONG_TOKEN: Refusal =
    Refusal::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));

/// Why a merge request event that neither merged nor closed one is ignored.
pub const NOT_CLOSED: &str = "a merge request that was neither merged nor closed";

/// Credentials as the gateway prepares them from a Secret whose
/// `secret-token` is `token`.
pub fn credentials(token: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&GitLab, &[(SECRET_TOKEN_KEY, token)])
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &GitLab,
        headers,
        body,
        credentials,
        &ReceiverOptions::default(),
    )
}

/// The authentication step alone, on a head with exactly these headers:
/// `Ok(checks_body)` or the refusal.
pub fn authenticate_with(
    headers: &[(&str, &[u8])],
    credentials: &Credentials,
) -> Result<bool, Unauthenticated> {
    kargo_webhook_provider_testkit::delivery::authenticate(&GitLab, headers, credentials)
}

/// A delivery as GitLab sends it: the right token, JSON, and the event
/// header (none if `None`).
pub fn deliver(event: Option<&str>, body: &[u8]) -> Result<Outcome, Refusal> {
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("X-Gitlab-Token", TOKEN),
        ("Content-Type", b"application/json"),
    ];
    if let Some(event) = event {
        headers.push(("X-Gitlab-Event", event.as_bytes()));
    }
    handle_with(&headers, body, &credentials(TOKEN))
}

/// One repository of a refresh as plain data: key, refs, changed files.
pub type Pushed = (String, Vec<String>, ChangedPaths);

/// The repositories of a refresh outcome; panics on anything else. Git
/// pushes carry no tags or digests: checked here.
pub fn refreshed(result: Result<Outcome, Refusal>) -> Vec<Pushed> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes
            .into_iter()
            .map(|p| {
                assert!(p.tags.is_empty() && p.digests.is_empty(), "{p:?}");
                (p.repository.as_str().to_owned(), p.refs, p.changed_paths)
            })
            .collect(),
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// One expected repository of a refresh.
pub fn repo(key: &str, refs: &[&str], paths: ChangedPaths) -> Pushed {
    (
        key.to_owned(),
        refs.iter().map(|r| (*r).to_owned()).collect(),
        paths,
    )
}

/// A complete list of changed files.
pub fn files(paths: &[&str]) -> ChangedPaths {
    ChangedPaths::complete(paths.iter().copied())
}

/// The key of the fixtures' repository.
pub const APP_CONFIG: &str = "gitlab.example.com/platform/app-config";

/// The URL of a closed merge request.
pub fn closed(url: &str) -> Result<Outcome, Refusal> {
    Ok(Outcome::PullRequestClosed {
        url: url.to_owned(),
    })
}
