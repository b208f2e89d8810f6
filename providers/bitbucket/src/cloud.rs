//! Bitbucket Cloud: `repo:push`, and pull requests merged or declined.

use kargo_webhook_provider::{ChangedPaths, Outcome, ProviderError, RefreshBuilder, RepoKey};
use serde::Deserialize;

use crate::INVALID_BODY;
use crate::link::Link;
use kargo_webhook_provider::json::{Text, from_object};

#[derive(Debug, Deserialize)]
struct PushEvent<'a> {
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
    #[serde(borrow, default)]
    push: Option<Push<'a>>,
}

#[derive(Debug, Deserialize)]
struct Repository<'a> {
    #[serde(borrow, default)]
    links: Option<HtmlLinks<'a>>,
}

/// The `links` of a repository or pull request: only the web page is read.
#[derive(Debug, Deserialize)]
struct HtmlLinks<'a> {
    #[serde(borrow, default)]
    html: Option<Link<'a>>,
}

#[derive(Debug, Deserialize)]
struct Push<'a> {
    #[serde(borrow, default)]
    changes: Option<Vec<Change<'a>>>,
}

/// One ref the push moved: `new` is its state after the push (`null` when
/// the push deleted it), `old` its state before (`null` when it created it).
#[derive(Debug, Deserialize)]
struct Change<'a> {
    #[serde(borrow, default)]
    new: Option<RefState<'a>>,
    #[serde(borrow, default)]
    old: Option<RefState<'a>>,
}

#[derive(Debug, Deserialize)]
struct RefState<'a> {
    /// `branch` or `tag` (`named_branch` and `bookmark` were Mercurial's).
    #[serde(rename = "type", borrow, default)]
    kind: Option<Text<'a>>,
    /// The short name: `main`, `v1.2.0`.
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
}

/// The refresh a `repo:push` asks for: the repository's web URL
/// (`https://bitbucket.org/<workspace>/<repo>`, normalized like every Git
/// URL, so that a Warehouse subscribed to its `.git` or SSH form matches)
/// with each ref the push moved. Bitbucket lists no files: the changed
/// paths are unknown.
///
/// A deleted ref (`new` is `null`) is reported by its old name, as
/// Bitbucket Server's `repo:refs_changed`, GitLab and GitHub report a
/// deletion: the ref moved, and the Warehouses that follow it learn at once
/// that it is gone. A push whose changes name no ref still names its
/// repository. A body without the repository's URL or without `push` is
/// refused: Bitbucket always sends both.
pub(crate) fn pushed(body: &[u8]) -> Result<Outcome, ProviderError> {
    let event: PushEvent<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let push = event.push.ok_or(INVALID_BODY)?;
    let key = event
        .repository
        .as_ref()
        .and_then(|repository| repository.links.as_ref()?.html.as_ref()?.href())
        .and_then(|href| RepoKey::git(href).ok())
        .ok_or(INVALID_BODY)?;
    let mut builder = RefreshBuilder::default();
    let mut entry = builder.repository(key);
    for change in push.changes.iter().flatten() {
        let state = change.new.as_ref().or(change.old.as_ref());
        if let Some(full_ref) = state.and_then(RefState::full_ref) {
            entry.add_ref(&full_ref);
        }
    }
    entry.add_changed_paths(ChangedPaths::Unknown);
    Ok(builder.build())
}

impl RefState<'_> {
    /// `refs/heads/<name>` or `refs/tags/<name>`; `None` for a state without
    /// a name or of another type.
    fn full_ref(&self) -> Option<String> {
        let name = self.name.as_deref().filter(|name| !name.is_empty())?;
        let prefix = match self.kind.as_deref()? {
            "branch" | "named_branch" => "refs/heads/",
            "tag" => "refs/tags/",
            _ => return None,
        };
        Some(format!("{prefix}{name}"))
    }
}

#[derive(Debug, Deserialize)]
struct PullRequestEvent<'a> {
    #[serde(borrow, default)]
    pullrequest: Option<PullRequest<'a>>,
}

#[derive(Debug, Deserialize)]
struct PullRequest<'a> {
    #[serde(borrow, default)]
    links: Option<HtmlLinks<'a>>,
}

/// `pullrequest:fulfilled` and `pullrequest:rejected`: the pull request's
/// web page, `pullrequest.links.html.href`, which Bitbucket always sends.
pub(crate) fn pull_request_closed(body: &[u8]) -> Result<Outcome, ProviderError> {
    let event: PullRequestEvent<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let url = event
        .pullrequest
        .as_ref()
        .and_then(|pr| pr.links.as_ref()?.html.as_ref()?.href())
        .ok_or(INVALID_BODY)?;
    Ok(Outcome::PullRequestClosed {
        url: url.to_owned(),
    })
}
