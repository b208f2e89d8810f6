//! `Push Hook` and `Tag Push Hook`: the repository, the ref, and the files
//! the commits changed.

use kargo_webhook_provider::{ChangedPaths, Outcome, ProviderError, RepoKey};
use serde::Deserialize;

use crate::INVALID_BODY;
use kargo_webhook_provider::json::{Text, from_object};

/// Which of the two push events a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushKind {
    /// `Push Hook`: its commits list the files they changed.
    Branch,
    /// `Tag Push Hook`: a tag names no changed files (GitLab sends an empty
    /// `commits` list), so path filters cannot be applied.
    Tag,
}

/// The fields of a push that matter; GitLab sends many more, skipped.
#[derive(Debug, Deserialize)]
struct PushEvent<'a> {
    /// The full ref: `refs/heads/<branch>` or `refs/tags/<tag>`.
    #[serde(rename = "ref", borrow, default)]
    git_ref: Option<Text<'a>>,
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
    /// The newest commits of the push, at most 20.
    #[serde(borrow, default)]
    commits: Option<Vec<Commit<'a>>>,
    /// How many commits the push really has.
    #[serde(default)]
    total_commits_count: Option<u64>,
}

/// The pushed repository, in both of the URLs a Warehouse may subscribe to.
#[derive(Debug, Deserialize)]
struct Repository<'a> {
    /// `https://gitlab.example.com/group/project.git`
    #[serde(borrow, default)]
    git_http_url: Option<Text<'a>>,
    /// `git@gitlab.example.com:group/project.git`
    #[serde(borrow, default)]
    git_ssh_url: Option<Text<'a>>,
}

/// One listed commit: the files it added, modified and removed.
#[derive(Debug, Deserialize)]
struct Commit<'a> {
    #[serde(borrow, default)]
    added: Option<Vec<Text<'a>>>,
    #[serde(borrow, default)]
    modified: Option<Vec<Text<'a>>>,
    #[serde(borrow, default)]
    removed: Option<Vec<Text<'a>>>,
}

/// The refresh a push asks for: each usable URL of the repository (both
/// usually normalize to one key; a self-managed instance with its own SSH
/// port gives two), with the pushed ref and the changed files.
///
/// A body that is no push, or names no usable repository URL, is refused:
/// GitLab always sends both URLs.
pub(crate) fn pushed(body: &[u8], kind: PushKind) -> Result<Outcome, ProviderError> {
    let push: PushEvent<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let repository = push.repository.as_ref().ok_or(INVALID_BODY)?;
    let keys: Vec<RepoKey> = [&repository.git_http_url, &repository.git_ssh_url]
        .into_iter()
        .flatten()
        .filter_map(|url| RepoKey::git(url).ok())
        .collect();
    if keys.is_empty() {
        return Err(INVALID_BODY);
    }
    let paths = match kind {
        PushKind::Branch => changed_paths(
            push.commits.as_deref().unwrap_or_default(),
            push.total_commits_count,
        ),
        PushKind::Tag => ChangedPaths::Unknown,
    };
    let refs: Vec<&str> = push
        .git_ref
        .as_deref()
        .filter(|r| !r.is_empty())
        .into_iter()
        .collect();
    Ok(Outcome::git_push(keys, &refs, &paths))
}

/// The files the push changed, complete only when every commit is listed.
///
/// Unknown (so that no path filter turns a refresh away) when:
/// - `total_commits_count` exceeds the list: GitLab lists the newest 20;
/// - `total_commits_count` is absent: nothing says the list is whole;
/// - no commit is listed: a new branch without new commits, a deleted
///   branch, or a push to an empty project, none of which tells what
///   changed.
fn changed_paths(commits: &[Commit<'_>], total: Option<u64>) -> ChangedPaths {
    let listed = u64::try_from(commits.len()).unwrap_or(u64::MAX);
    match total {
        Some(total) if total <= listed && !commits.is_empty() => {
            ChangedPaths::complete(commits.iter().flat_map(Commit::paths).map(str::to_owned))
        }
        _ => ChangedPaths::Unknown,
    }
}

impl Commit<'_> {
    /// Every file the commit touched; empty names are not files.
    fn paths(&self) -> impl Iterator<Item = &str> {
        [&self.added, &self.modified, &self.removed]
            .into_iter()
            .flatten()
            .flatten()
            .map(|path| &**path)
            .filter(|path| !path.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(added: &[&str], modified: &[&str], removed: &[&str]) -> String {
        let list = |paths: &[&str]| serde_json::to_string(paths).expect("strings");
        format!(
            r#"{{"added":{},"modified":{},"removed":{}}}"#,
            list(added),
            list(modified),
            list(removed)
        )
    }

    fn paths_of(commits: &str, total: Option<u64>) -> ChangedPaths {
        let commits: Vec<Commit<'_>> = serde_json::from_str(commits).expect("commits");
        changed_paths(&commits, total)
    }

    #[test]
    fn a_whole_list_gives_every_file_once_sorted() {
        let commits = format!(
            "[{},{}]",
            commit(&["b.txt"], &["a/x.yaml"], &[]),
            commit(&["b.txt"], &[], &["c.md", ""])
        );
        assert_eq!(
            paths_of(&commits, Some(2)),
            ChangedPaths::Complete(vec!["a/x.yaml".into(), "b.txt".into(), "c.md".into()])
        );
    }

    #[test]
    fn a_capped_or_uncounted_list_is_unknown() {
        let commits = format!("[{}]", commit(&["a"], &[], &[]));
        assert_eq!(paths_of(&commits, Some(21)), ChangedPaths::Unknown);
        assert_eq!(paths_of(&commits, None), ChangedPaths::Unknown);
        assert_eq!(paths_of("[]", Some(0)), ChangedPaths::Unknown);
        assert_eq!(paths_of("[]", None), ChangedPaths::Unknown);
    }

    #[test]
    fn missing_file_lists_are_empty() {
        assert_eq!(
            paths_of(r#"[{"id":"1"},{"added":null,"modified":["m"]}]"#, Some(2)),
            ChangedPaths::Complete(vec!["m".into()])
        );
    }
}
