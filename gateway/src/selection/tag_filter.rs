//! The allow and ignore lists an image subscription narrows its tags with.

use super::error::RuleError;
use super::fields::Fields;
use regex::Regex;

/// Which tags a subscription's allow/ignore settings leave in play.
///
/// Kargo's fields: `allowTagsRegexes` (a tag must match at least one, when
/// any are given) and `ignoreTagsRegexes` (a tag matching any is out). The
/// deprecated `allowTags` (one regex, added to the allow list) and
/// `ignoreTags` (exact tag names) are honoured as Kargo v1.8 - v1.10 honour
/// them; Kargo v1.11 refuses them at discovery, so there the Warehouse has
/// nothing to find whatever the gateway decides.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagFilter {
    allow: Vec<Regex>,
    ignore: Vec<Regex>,
    ignore_exact: Vec<String>,
}

impl TagFilter {
    /// Reads and compiles the filter fields of an image subscription.
    pub(super) fn from_fields(fields: &Fields<'_>) -> Result<Self, RuleError> {
        let mut allow = compile_all(fields, "allowTagsRegexes")?;
        if let Some(pattern) = fields.string("allowTags")?.filter(|p| !p.is_empty()) {
            allow.push(compile("allowTags", pattern)?);
        }
        let ignore = compile_all(fields, "ignoreTagsRegexes")?;
        let ignore_exact = fields
            .strings("ignoreTags")?
            .into_iter()
            .map(str::to_owned)
            .collect();
        Ok(Self {
            allow,
            ignore,
            ignore_exact,
        })
    }

    /// True when `tag` is neither ignored nor left out by the allow list.
    #[cfg(test)]
    pub(crate) fn admits(&self, tag: &str) -> bool {
        self.judge(tag).is_ok()
    }

    /// Whether `tag` is in play, and why: the allow regex that matched it
    /// (`None` when there is no allow list), or what left it out. Regexes
    /// search anywhere in the tag (Go's `MatchString`), unanchored.
    pub(crate) fn judge(&self, tag: &str) -> Result<Option<&str>, FilteredOut<'_>> {
        if let Some(ignored) = self.ignore_exact.iter().find(|ignored| *ignored == tag) {
            return Err(FilteredOut::IgnoredTag(ignored));
        }
        if let Some(regex) = self.ignore.iter().find(|regex| regex.is_match(tag)) {
            return Err(FilteredOut::IgnoredBy(regex.as_str()));
        }
        if self.allow.is_empty() {
            return Ok(None);
        }
        match self.allow.iter().find(|regex| regex.is_match(tag)) {
            Some(regex) => Ok(Some(regex.as_str())),
            None => Err(FilteredOut::NotAllowed),
        }
    }
}

/// Why a tag filter left a tag out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilteredOut<'a> {
    /// Listed in `ignoreTags`.
    IgnoredTag(&'a str),
    /// Matched by this `ignoreTagsRegexes` entry.
    IgnoredBy(&'a str),
    /// Matched by no `allowTagsRegexes` entry.
    NotAllowed,
}

fn compile_all(fields: &Fields<'_>, field: &'static str) -> Result<Vec<Regex>, RuleError> {
    fields
        .strings(field)?
        .into_iter()
        .map(|pattern| compile(field, pattern))
        .collect()
}

fn compile(field: &'static str, pattern: &str) -> Result<Regex, RuleError> {
    Regex::new(pattern).map_err(|source| RuleError::InvalidRegex {
        field,
        pattern: pattern.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn filter(subscription: Value) -> TagFilter {
        let fields = Fields::of(&subscription, "image").expect("an object");
        TagFilter::from_fields(&fields).expect("a valid filter")
    }

    #[test]
    fn allow_and_ignore_lists_combine() {
        let cases: &[(Value, &[(&str, bool)])] = &[
            (json!({}), &[("anything", true), ("", true)]),
            (
                json!({"allowTagsRegexes": ["^v1\\.", "^stable$"]}),
                &[
                    ("v1.2.3", true),
                    ("stable", true),
                    ("v2.0.0", false),
                    ("unstable", false),
                ],
            ),
            (
                json!({"ignoreTagsRegexes": ["-rc", "^latest$"]}),
                &[
                    ("1.0.0-rc.1", false),
                    ("latest", false),
                    ("latest-2", true),
                    ("1.0.0", true),
                ],
            ),
            (
                json!({"allowTagsRegexes": ["^v1\\."], "ignoreTagsRegexes": ["^v1\\.0\\.0$"]}),
                &[("v1.0.0", false), ("v1.0.1", true), ("v2.0.0", false)],
            ),
            // Unanchored, like Go's MatchString.
            (
                json!({"allowTagsRegexes": ["main"]}),
                &[("sha-main-1234", true), ("dev", false)],
            ),
            // Deprecated fields: allowTags is one more allow regex, ignoreTags
            // are exact names.
            (
                json!({"allowTags": "^prod-", "allowTagsRegexes": ["^stage-"]}),
                &[("prod-1", true), ("stage-1", true), ("dev-1", false)],
            ),
            (
                json!({"ignoreTags": ["1.0.0", "^latest$"]}),
                &[
                    ("1.0.0", false),
                    ("1.0.0-1", true),
                    ("latest", true),
                    ("^latest$", false),
                ],
            ),
            (json!({"allowTags": ""}), &[("anything", true)]),
        ];
        for (subscription, tags) in cases {
            let filter = filter(subscription.clone());
            for (tag, want) in *tags {
                assert_eq!(filter.admits(tag), *want, "{subscription} with tag {tag:?}");
            }
        }
    }

    #[test]
    fn a_bad_regex_names_its_field_and_pattern() {
        for (subscription, field) in [
            (json!({"allowTagsRegexes": ["ok", "("]}), "allowTagsRegexes"),
            (json!({"ignoreTagsRegexes": ["[a-"]}), "ignoreTagsRegexes"),
            (json!({"allowTags": "*oops"}), "allowTags"),
        ] {
            let fields = Fields::of(&subscription, "image").expect("an object");
            match TagFilter::from_fields(&fields) {
                Err(RuleError::InvalidRegex { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{subscription}: expected InvalidRegex, got {other:?}"),
            }
        }
    }
}
