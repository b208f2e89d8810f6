//! Bitbucket Server and Data Center: `repo:refs_changed`, and pull requests
//! merged or declined.

use kargo_webhook_provider::{ChangedPaths, Outcome, ProviderError, RepoKey};
use serde::Deserialize;

use crate::INVALID_BODY;
use crate::link::Link;
use kargo_webhook_provider::json::{Text, from_object};

#[derive(Debug, Deserialize)]
struct RefsChangedEvent<'a> {
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
    #[serde(borrow, default)]
    changes: Option<Vec<Change<'a>>>,
}

#[derive(Debug, Deserialize)]
struct Repository<'a> {
    #[serde(borrow, default)]
    links: Option<RepositoryLinks<'a>>,
}

#[derive(Debug, Deserialize)]
struct RepositoryLinks<'a> {
    /// `ssh://git@host:7999/<project>/<repo>.git` and
    /// `https://host/scm/<project>/<repo>.git`, as the instance serves them.
    #[serde(borrow, default)]
    clone: Option<Vec<Link<'a>>>,
}

/// One ref the push moved (`ADD`, `UPDATE` or `DELETE`).
#[derive(Debug, Deserialize)]
struct Change<'a> {
    #[serde(rename = "ref", borrow, default)]
    git_ref: Option<Ref<'a>>,
    /// The same full ref, repeated at the change's top level.
    #[serde(rename = "refId", borrow, default)]
    ref_id: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
struct Ref<'a> {
    /// The full ref: `refs/heads/main`, `refs/tags/v1.2.0`.
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
}

/// The refresh a `repo:refs_changed` asks for: every clone URL of the
/// repository (an instance's SSH and HTTP URLs differ in host, port and
/// path, so each is a key of its own) with every ref that changed, deleted
/// ones included. Bitbucket lists no files: the changed paths are unknown.
///
/// A body whose clone URLs are all missing or unusable is refused:
/// Bitbucket always sends them.
pub(crate) fn refs_changed(body: &[u8]) -> Result<Outcome, ProviderError> {
    let event: RefsChangedEvent<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let keys: Vec<RepoKey> = event
        .repository
        .as_ref()
        .and_then(|repository| repository.links.as_ref()?.clone.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|link| RepoKey::git(link.href()?).ok())
        .collect();
    if keys.is_empty() {
        return Err(INVALID_BODY);
    }
    let refs: Vec<&str> = event
        .changes
        .iter()
        .flatten()
        .filter_map(Change::full_ref)
        .collect();
    Ok(Outcome::git_push(keys, &refs, &ChangedPaths::Unknown))
}

impl Change<'_> {
    /// `ref.id`, or `refId` when the ref object lacks it.
    fn full_ref(&self) -> Option<&str> {
        let id = self.git_ref.as_ref().and_then(|r| r.id.as_deref());
        id.or(self.ref_id.as_deref()).filter(|id| !id.is_empty())
    }
}

#[derive(Debug, Deserialize)]
struct PullRequestEvent<'a> {
    #[serde(rename = "pullRequest", borrow, default)]
    pull_request: Option<PullRequest<'a>>,
}

#[derive(Debug, Deserialize)]
struct PullRequest<'a> {
    #[serde(borrow, default)]
    links: Option<PullRequestLinks<'a>>,
}

#[derive(Debug, Deserialize)]
struct PullRequestLinks<'a> {
    /// The pull request's web page, first (and only) entry.
    #[serde(rename = "self", borrow, default)]
    self_links: Option<Vec<Link<'a>>>,
}

/// `pr:merged` and `pr:declined`: the pull request's web page,
/// `pullRequest.links.self[0].href`, which Bitbucket always sends.
pub(crate) fn pull_request_closed(body: &[u8]) -> Result<Outcome, ProviderError> {
    let event: PullRequestEvent<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let url = event
        .pull_request
        .as_ref()
        .and_then(|pr| pr.links.as_ref()?.self_links.as_ref()?.first()?.href())
        .ok_or(INVALID_BODY)?;
    Ok(Outcome::PullRequestClosed {
        url: url.to_owned(),
    })
}
