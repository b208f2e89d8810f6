//! The files a push changed, from the commits its payload lists.

use kargo_webhook_provider::ChangedPaths;
use serde::Deserialize;

use kargo_webhook_provider::json::Text;

/// One commit of a push: only the file lists are read. Gitea writes an
/// empty list as `null`.
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
    fn files(&self) -> impl Iterator<Item = &str> {
        [&self.added, &self.modified, &self.removed]
            .into_iter()
            .flatten()
            .flatten()
            .map(|path| &**path)
            .filter(|path| !path.is_empty())
    }
}

/// Every file the listed commits added, modified or removed. Unknown when
/// Gitea left commits out (`total_commits` exceeds the list: it keeps the
/// newest `[ui] FEED_MAX_COMMIT_NUM`, 5 by default), and when nothing is
/// listed at all (a tag push lists no commits; a path filter must not hold
/// such a push back).
pub(crate) fn changed_paths(commits: &[Commit<'_>], total_commits: i64) -> ChangedPaths {
    let listed = i64::try_from(commits.len()).unwrap_or(i64::MAX);
    if total_commits > listed {
        return ChangedPaths::Unknown;
    }
    let paths: Vec<&str> = commits.iter().flat_map(Commit::files).collect();
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
            commit(r#"{"added":["b.txt"],"modified":["a.txt"],"removed":null}"#),
            commit(r#"{"added":null,"modified":["a.txt"],"removed":["c.txt"]}"#),
        ];
        assert_eq!(
            changed_paths(&commits, 2),
            ChangedPaths::Complete(vec!["a.txt".into(), "b.txt".into(), "c.txt".into()])
        );
    }

    #[test]
    fn unknown_when_commits_were_left_out() {
        let commits = [commit(r#"{"modified":["a.txt"]}"#)];
        assert_eq!(changed_paths(&commits, 2), ChangedPaths::Unknown);
        // Fewer in total than listed cannot be truncation.
        assert_eq!(
            changed_paths(&commits, 0),
            ChangedPaths::Complete(vec!["a.txt".into()])
        );
    }

    #[test]
    fn unknown_when_nothing_is_listed() {
        assert_eq!(changed_paths(&[], 0), ChangedPaths::Unknown);
        let empty = commit(r#"{"added":null,"modified":[],"removed":null}"#);
        assert_eq!(changed_paths(&[empty], 1), ChangedPaths::Unknown);
    }
}
