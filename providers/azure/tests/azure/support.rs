//! Helpers shared by the test modules.

use kargo_webhook_azure::{Azure, SECRET_KEY};
use kargo_webhook_provider::{
    ChangedPaths, Credentials, Outcome, ProviderError, PushedContent, PushedRepository,
    ReceiverOptions, Refusal, RepoKey,
};

pub use kargo_webhook_provider_testkit::outcomes::INVALID_BODY;

/// The bytes of one file of `tests/fixtures/azure/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("azure", $name)
    };
}
pub(crate) use fixture;

/// The `secret` value of the receiver's Secret in these tests.
pub const SECRET: &[u8] = b"9yGq3vZk2LmT7wXr4sPb8nHd";

/// `User-Agent` values as each service sends them.
pub const DEVOPS: Option<&str> = Some("VSServices/16.255.35115.1");
pub const ACR: Option<&str> = Some("AzureContainerRegistry/1.0");

pub const UNKNOWN_SENDER: Refusal = Refusal::Provider(ProviderError::MalformedBody(
    "request does not appear to come from Azure DevOps or Azure Container Registry",
));

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is [`SECRET`].
pub fn credentials() -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&Azure, &[(SECRET_KEY, SECRET)])
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &Azure,
        headers,
        body,
        credentials,
        &ReceiverOptions::default(),
    )
}

/// A delivery with the given `User-Agent` (none if `None`), as JSON.
pub fn deliver(user_agent: Option<&str>, body: &[u8]) -> Result<Outcome, Refusal> {
    let mut headers: Vec<(&str, &[u8])> = vec![("Content-Type", b"application/json")];
    if let Some(user_agent) = user_agent {
        headers.push(("User-Agent", user_agent.as_bytes()));
    }
    handle_with(&headers, body, &credentials())
}

/// The pushed repositories of a refresh outcome; panics on anything else.
pub fn pushes(result: Result<Outcome, Refusal>) -> Vec<PushedRepository> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes,
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// An expected Git push: the repository at `url`, these refs, changed files
/// unknown (Azure DevOps lists commits without their files).
pub fn git_push(url: &str, refs: &[&str]) -> PushedRepository {
    let mut push = PushedRepository::new(RepoKey::git(url).expect("a Git URL"));
    refs.iter().for_each(|git_ref| push.add_ref(git_ref));
    push.changed_paths = ChangedPaths::Unknown;
    push
}

/// An expected registry push.
pub fn image_push(
    reference: &str,
    tags: &[&str],
    digests: &[&str],
    content: PushedContent,
) -> PushedRepository {
    let mut push = PushedRepository::new(RepoKey::image(reference).expect("an image"));
    tags.iter().for_each(|tag| push.add_tag(tag));
    digests.iter().for_each(|digest| push.add_digest(digest));
    push.content = content;
    push
}

/// The pull request closed outcome for `url`.
pub fn closed(url: &str) -> Result<Outcome, Refusal> {
    Ok(Outcome::PullRequestClosed {
        url: url.to_owned(),
    })
}

pub const PUSH_DIGEST: &str =
    "sha256:5b0c5e3a0a9e86f6c3b1d7f2e4a8c9b0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6";
pub const CHILD_DIGEST: &str =
    "sha256:9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c";
pub const CHART_DIGEST: &str =
    "sha256:1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809";

/// The pull request page Kargo records for the fixtures' pull request 57.
pub const PR_57: &str = "https://dev.azure.com/contoso/Payments/_git/payments-api/pullrequest/57";

/// Why a `git.pullrequest.updated` that leaves the pull request open is
/// acknowledged without acting.
pub const NOT_ABANDONED: &str =
    "a pull request update other than abandoning it closes no pull request";

/// Why a legacy ACR Helm `chart_push` is acknowledged without acting.
pub const CHART_PUSH: &str =
    "action chart_push is from ACR's retired Helm repositories; OCI charts arrive as push";
