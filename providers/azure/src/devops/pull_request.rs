//! Pull request events: which pull request was merged or abandoned, named
//! by the URL that Kargo's `git-wait-for-pr` step records for it.
//!
//! Kargo's Azure DevOps Git provider records a pull request's URL as
//! `<repository.webUrl>/pullrequest/<pullRequestId>`, with the web URL the
//! Azure DevOps API gives (e.g.
//! `https://dev.azure.com/org/project/_git/app/pullrequest/42`), and
//! Promotions are found by that exact string. The service hook payload
//! names the same page in `resource._links.web.href`, but Azure's own event
//! reference shows it with a view fragment
//! (`.../pullrequest/1#view=discussion`), which the recorded URL never has:
//! the fragment (and any query) is cut off. A payload without the link (the
//! reference's `git.pullrequest.updated` sample has none) gives the URL
//! Kargo's formula makes from the repository's web URL, or from its clone
//! URL without the user name, which is the same page.

use kargo_webhook_provider::Outcome;
use serde::Deserialize;

use crate::devops::repository::Repository;
use kargo_webhook_provider::json::{Text, from_object, non_empty};

/// `resource` of a pull request event. Azure sends more (`title`,
/// `reviewers`, `lastMergeCommit`, ...), which is skipped.
#[derive(Debug, Deserialize)]
struct PullRequest<'a> {
    #[serde(rename = "pullRequestId", default)]
    id: Option<u64>,
    /// `active`, `abandoned` or `completed`.
    #[serde(borrow, default)]
    status: Option<Text<'a>>,
    #[serde(rename = "_links", borrow, default)]
    links: Option<Links<'a>>,
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
}

#[derive(Debug, Deserialize)]
struct Links<'a> {
    #[serde(borrow, default)]
    web: Option<Link<'a>>,
}

#[derive(Debug, Deserialize)]
struct Link<'a> {
    #[serde(borrow, default)]
    href: Option<Text<'a>>,
}

/// Why an update that leaves the pull request open (a push to its branch, a
/// vote, a reviewer) is acknowledged without acting on it.
pub(crate) const NOT_ABANDONED: &str =
    "a pull request update other than abandoning it closes no pull request";

/// What a pull request event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closing {
    /// `git.pullrequest.merged`: the pull request's waiters look again.
    Merged,
    /// `git.pullrequest.updated`: only when the status is `abandoned`.
    IfAbandoned,
}

/// The outcome of a pull request event; `None` when the resource is not a
/// pull request's shape or names no pull request URL.
pub(crate) fn closed(resource: &[u8], closing: Closing) -> Option<Outcome> {
    let pull_request: PullRequest<'_> = from_object(resource)?;
    if closing == Closing::IfAbandoned && pull_request.status.as_deref() != Some("abandoned") {
        return Some(Outcome::Ignored(NOT_ABANDONED));
    }
    let url = pull_request.web_url()?;
    Some(Outcome::PullRequestClosed { url })
}

impl PullRequest<'_> {
    /// The pull request's page, as Kargo records it (see the module doc).
    fn web_url(&self) -> Option<String> {
        let link = self
            .links
            .as_ref()
            .and_then(|links| links.web.as_ref())
            .and_then(|web| non_empty(&web.href))
            .and_then(|href| http_url(without_fragment_and_query(href)));
        if let Some(link) = link {
            return Some(link.to_owned());
        }
        let id = self.id?;
        let repository = self.repository.as_ref()?;
        let base = non_empty(&repository.web_url)
            .and_then(http_url)
            .map(str::to_owned)
            .or_else(|| {
                non_empty(&repository.remote_url)
                    .and_then(http_url)
                    .map(without_user)
            })?;
        Some(format!("{}/pullrequest/{id}", base.trim_end_matches('/')))
    }
}

/// `url` up to its first `#` or `?`.
fn without_fragment_and_query(url: &str) -> &str {
    url.split(['#', '?']).next().unwrap_or_default()
}

/// `url` if it is an `http(s)://` URL with a host, without a query or
/// fragment (a pull request's link has them cut off first; a repository's
/// URL has none) and without what a URL cannot hold (whitespace, control
/// characters).
fn http_url(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host_present = rest.split('/').next().is_some_and(|host| !host.is_empty());
    let clean = !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == '?');
    (host_present && clean).then_some(url)
}

/// An `http(s)://` URL without the user name (`https://org@dev.azure.com/...`
/// is how Azure spells a clone URL).
fn without_user(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if path.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_and_queries_are_cut() {
        assert_eq!(
            without_fragment_and_query("https://h/p/pullrequest/1#view=discussion"),
            "https://h/p/pullrequest/1"
        );
        assert_eq!(
            without_fragment_and_query("https://h/p/pullrequest/1?_a=overview"),
            "https://h/p/pullrequest/1"
        );
        assert_eq!(without_fragment_and_query("#x"), "");
    }

    #[test]
    fn only_http_urls_with_a_host_count() {
        assert!(http_url("https://dev.azure.com/o/p/_git/r").is_some());
        assert!(http_url("http://tfs.example.com/tfs").is_some());
        for bad in [
            "",
            "https://",
            "https:///x",
            "ftp://h/x",
            "https://h/a b",
            "h/x",
            "https://h/a#b/c",
            "https://h/a?b",
        ] {
            assert_eq!(http_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_user_name_is_dropped() {
        assert_eq!(
            without_user("https://org@dev.azure.com/org/project/_git/app"),
            "https://dev.azure.com/org/project/_git/app"
        );
        assert_eq!(
            without_user("https://tfs.example.com/tfs/DefaultCollection/_git/app"),
            "https://tfs.example.com/tfs/DefaultCollection/_git/app"
        );
        assert_eq!(without_user("https://a:b@h"), "https://h");
    }
}
