//! The files a push changed, from the commits its payload lists.

use kargo_webhook_provider::ChangedPaths;
use serde::Deserialize;

use kargo_webhook_provider::json::Text;

/// GitHub lists at most this many commits in a push payload; a push that
/// lists this many may have had more, whose files are then unknown (Kargo
/// draws the line at the same count).
pub(crate) const COMMIT_LIMIT: usize = 2048;

/// One commit of a push: only the file lists are read.
#[derive(Debug, Deserialize)]
pub(crate) struct Commit<'a> {
    #[serde(borrow, default)]
    added: Option<Vec<Text<'a>>>,
    #[serde(borrow, default)]
    modified: Option<Vec<Text<'a>>>,
    #[serde(borrow, default)]
    removed: Option<Vec<Text<'a>>>,
}

impl Commit<'_> {
    /// False for a commit whose payload carries none of the three lists
    /// (absent or `null`): its files are unknown, not none.
    fn lists_files(&self) -> bool {
        self.added.is_some() || self.modified.is_some() || self.removed.is_some()
    }

    fn files(&self) -> impl Iterator<Item = &str> {
        [&self.added, &self.modified, &self.removed]
            .into_iter()
            .flatten()
            .flatten()
            .map(|path| &**path)
            .filter(|path| !path.is_empty())
    }
}

/// Every file the listed commits (and the head commit, which GitHub lists
/// apart) added, modified or removed; unknown when the list may be
/// truncated, when a commit lists no files at all, or when nothing is
/// listed (a deleted ref, an empty commit: a path filter must not hold
/// such a push back).
pub(crate) fn changed_paths(
    commits: &[Commit<'_>],
    head_commit: Option<&Commit<'_>>,
) -> ChangedPaths {
    if commits.len() >= COMMIT_LIMIT {
        return ChangedPaths::Unknown;
    }
    let mut paths = Vec::new();
    for commit in commits.iter().chain(head_commit) {
        if !commit.lists_files() {
            return ChangedPaths::Unknown;
        }
        paths.extend(commit.files());
    }
    if paths.is_empty() {
        ChangedPaths::Unknown
    } else {
        ChangedPaths::complete(paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(json: &str) -> Commit<'_> {
        serde_json::from_str(json).expect("a commit")
    }

    #[test]
    fn the_union_of_every_list_sorted_once() {
        let commits = [
            commit(r#"{"added":["b.txt"],"modified":["a.txt"],"removed":[]}"#),
            commit(r#"{"added":[],"modified":["a.txt"],"removed":["c.txt"]}"#),
        ];
        let head = commit(r#"{"added":[],"modified":["a.txt"],"removed":["c.txt"]}"#);
        assert_eq!(
            changed_paths(&commits, Some(&head)),
            ChangedPaths::Complete(vec!["a.txt".into(), "b.txt".into(), "c.txt".into()])
        );
    }

    #[test]
    fn the_head_commit_alone_counts() {
        let head = commit(r#"{"added":["charts/app/values.yaml"]}"#);
        assert_eq!(
            changed_paths(&[], Some(&head)),
            ChangedPaths::Complete(vec!["charts/app/values.yaml".into()])
        );
    }

    #[test]
    fn unknown_when_nothing_or_not_everything_is_listed() {
        assert_eq!(changed_paths(&[], None), ChangedPaths::Unknown);
        let empty = commit(r#"{"added":[],"modified":[],"removed":[]}"#);
        assert_eq!(changed_paths(&[], Some(&empty)), ChangedPaths::Unknown);
        let listed = commit(r#"{"modified":["a.txt"]}"#);
        let unlisted = commit(r#"{"id":"abc","added":null}"#);
        assert_eq!(
            changed_paths(&[listed, unlisted], None),
            ChangedPaths::Unknown
        );
    }

    #[test]
    fn unknown_at_the_commit_limit() {
        let json = r#"{"modified":["a.txt"]}"#;
        let below: Vec<_> = (0..COMMIT_LIMIT - 1).map(|_| commit(json)).collect();
        assert_eq!(
            changed_paths(&below, None),
            ChangedPaths::Complete(vec!["a.txt".into()])
        );
        let at: Vec<_> = (0..COMMIT_LIMIT).map(|_| commit(json)).collect();
        assert_eq!(changed_paths(&at, None), ChangedPaths::Unknown);
    }
}
