//! Path patterns of Git subscriptions (`includePaths`, `excludePaths`), as
//! Kargo reads them: `glob:` patterns (`*` stays within a directory, `**`
//! crosses them), `regex:` or `regexp:` patterns (searched anywhere in the
//! path, unanchored), and otherwise a directory that contains the path.

use globset::{Glob, GlobBuilder, GlobMatcher};
use regex::Regex;

use super::error::RuleError;

/// One compiled pattern.
#[derive(Debug, Clone)]
pub(super) enum PathPattern {
    Glob(GlobMatcher),
    Regex(Regex),
    /// A directory, cleaned: no leading `./`, no trailing `/`; empty for
    /// the repository's root.
    Directory(String),
}

impl PathPattern {
    /// Compiles `pattern` of `field`.
    pub(super) fn parse(field: &'static str, pattern: &str) -> Result<Self, RuleError> {
        let invalid = |reason: String| RuleError::InvalidPathPattern {
            field,
            pattern: pattern.to_owned(),
            reason,
        };
        if let Some(glob) = pattern.strip_prefix("glob:") {
            let glob: Glob = GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|error| invalid(error.kind().to_string()))?;
            Ok(Self::Glob(glob.compile_matcher()))
        } else if let Some(regex) = pattern
            .strip_prefix("regex:")
            .or_else(|| pattern.strip_prefix("regexp:"))
        {
            Regex::new(regex)
                .map(Self::Regex)
                .map_err(|error| invalid(error.to_string()))
        } else {
            Ok(Self::Directory(clean(pattern).to_owned()))
        }
    }

    /// True when `path` matches.
    pub(super) fn matches(&self, path: &str) -> bool {
        match self {
            Self::Glob(glob) => glob.is_match(path),
            Self::Regex(regex) => regex.is_match(path),
            Self::Directory(directory) => {
                let path = clean(path);
                directory.is_empty()
                    || path == directory
                    || path
                        .strip_prefix(directory.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

/// `./a/b/` is `a/b`; `.` and `/` are the root (empty).
fn clean(path: &str) -> &str {
    let mut path = path.trim_end_matches('/');
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    if path == "." { "" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> PathPattern {
        PathPattern::parse("includePaths", text).expect("valid")
    }

    #[test]
    fn each_kind_of_pattern_matches_as_kargo_reads_it() {
        let cases: &[(&str, &[(&str, bool)])] = &[
            (
                "glob:charts/*/values.yaml",
                &[
                    ("charts/app/values.yaml", true),
                    ("charts/app/sub/values.yaml", false),
                    ("values.yaml", false),
                ],
            ),
            (
                "glob:**/*.md",
                &[
                    ("README.md", true),
                    ("docs/a/b.md", true),
                    ("docs/a.txt", false),
                ],
            ),
            (
                "regex:^apps/(api|web)/",
                &[("apps/api/main.go", true), ("apps/db/x", false)],
            ),
            ("regexp:\\.yaml$", &[("a/b.yaml", true), ("a/b.yml", false)]),
            (
                "apps/api",
                &[
                    ("apps/api/main.go", true),
                    ("apps/api", true),
                    ("apps/api-v2/main.go", false),
                    ("apps/apix", false),
                    ("other/apps/api/x", false),
                ],
            ),
            (
                "./apps/",
                &[("apps/x", true), ("./apps/y", true), ("app", false)],
            ),
            (".", &[("anything/at/all", true)]),
        ];
        for (text, paths) in cases {
            let pattern = pattern(text);
            for (path, want) in *paths {
                assert_eq!(pattern.matches(path), *want, "{text} on {path}");
            }
        }
    }

    #[test]
    fn bad_patterns_name_the_field_and_pattern() {
        for text in ["glob:a/[b", "regex:(", "regexp:a{2,1}"] {
            match PathPattern::parse("excludePaths", text) {
                Err(RuleError::InvalidPathPattern { field, pattern, .. }) => {
                    assert_eq!((field, pattern.as_str()), ("excludePaths", text));
                }
                other => panic!("{text}: expected an error, got {other:?}"),
            }
        }
    }
}
