//! A push event: the repository, the ref that moved and the files changed.

use kargo_webhook_provider::{Outcome, ProviderError, RepoKey};
use serde::Deserialize;

use crate::body::{INVALID_BODY, parse_body};
use crate::commits::{Commit, changed_paths};
use kargo_webhook_provider::json::{Text, non_empty};

/// The fields of a push that matter; GitHub sends many more, which are
/// skipped.
#[derive(Debug, Deserialize)]
struct PushEvent<'a> {
    /// The full ref: `refs/heads/<branch>` or `refs/tags/<tag>`; also for a
    /// push that deleted it (`deleted: true`).
    #[serde(rename = "ref", borrow, default)]
    git_ref: Option<Text<'a>>,
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
    #[serde(borrow, default)]
    commits: Option<Vec<Commit<'a>>>,
    #[serde(borrow, default)]
    head_commit: Option<Commit<'a>>,
}

/// The pushed repository's clone URLs.
#[derive(Debug, Deserialize)]
struct Repository<'a> {
    /// `https://github.com/<owner>/<repo>.git`.
    #[serde(borrow, default)]
    clone_url: Option<Text<'a>>,
    /// `git@github.com:<owner>/<repo>.git`.
    #[serde(borrow, default)]
    ssh_url: Option<Text<'a>>,
}

/// The repository under each of its URLs (one key when both normalize
/// alike, as they do on github.com), with the ref and the changed files.
/// A push without a usable repository URL is refused.
pub(crate) fn outcome(body: &[u8]) -> Result<Outcome, ProviderError> {
    let push: PushEvent<'_> = parse_body(body)?;
    let repository = push.repository.ok_or(INVALID_BODY)?;
    let paths = changed_paths(
        push.commits.as_deref().unwrap_or_default(),
        push.head_commit.as_ref(),
    );
    let urls = [&repository.clone_url, &repository.ssh_url];
    let keys: Vec<RepoKey> = urls
        .into_iter()
        .filter_map(non_empty)
        .filter_map(|url| RepoKey::git(url).ok())
        .collect();
    if keys.is_empty() {
        return Err(INVALID_BODY);
    }
    // A push without a ref concerns every subscriber of the repository.
    let refs: Vec<&str> = non_empty(&push.git_ref).into_iter().collect();
    Ok(Outcome::git_push(keys, &refs, &paths))
}
