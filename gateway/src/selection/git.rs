//! Git subscriptions: which pushed refs a subscription follows and which
//! changed files concern it, as Kargo's commit selectors decide.
//!
//! | `commitSelectionStrategy` | a ref is followed when |
//! | --- | --- |
//! | empty, `NewestFromBranch` | it is `refs/heads/<branch>`; with `branch` unset, `main` or `master` |
//! | `SemVer` | it is a tag (`refs/tags/`) the allow/ignore regexes leave in play, a semantic version (`strictSemvers`) within `semverConstraint` |
//! | `Lexical`, `NewestTag` | it is a tag the allow/ignore regexes leave in play |
//!
//! With `includePaths` or `excludePaths` set and a complete list of changed
//! files, at least one file must be included (or no include list) and not
//! excluded. An incomplete list is not filtered: a guess could hide a push.

use kargo_webhook_provider::ChangedPaths;

use super::constraint::Constraint;
use super::decision::{Paths, RefAccepted, RefRejected};
use super::error::RuleError;
use super::fields::Fields;
use super::paths::PathPattern;
use super::strategy::{constraint, judge_semver, strictness};
use super::tag_filter::TagFilter;
use super::version::Strictness;

const BRANCH_PREFIX: &str = "refs/heads/";
const TAG_PREFIX: &str = "refs/tags/";

/// The rule of one Git subscription.
#[derive(Debug, Clone)]
pub(crate) struct GitRule {
    refs: RefRule,
    include: Vec<PathPattern>,
    exclude: Vec<PathPattern>,
}

#[derive(Debug, Clone)]
enum RefRule {
    /// `NewestFromBranch`: this branch, or main/master when `None`.
    Branch(Option<String>),
    /// A tag strategy.
    Tags {
        strategy: &'static str,
        filter: TagFilter,
        /// For `SemVer`: how strictly tags parse, and the constraint.
        semver: Option<(Strictness, Option<Constraint>)>,
    },
}

impl GitRule {
    /// Builds the rule from a Git subscription's fields.
    pub(super) fn from_fields(fields: &Fields<'_>) -> Result<Self, RuleError> {
        let refs = match fields
            .string("commitSelectionStrategy")?
            .unwrap_or_default()
        {
            "" | "NewestFromBranch" => RefRule::Branch(
                fields
                    .string("branch")?
                    .filter(|branch| !branch.is_empty())
                    .map(str::to_owned),
            ),
            "SemVer" => RefRule::Tags {
                strategy: "SemVer",
                filter: TagFilter::from_fields(fields)?,
                semver: Some((strictness(fields)?, constraint(fields, "semverConstraint")?)),
            },
            strategy @ ("Lexical" | "NewestTag") => RefRule::Tags {
                strategy: if strategy == "Lexical" {
                    "Lexical"
                } else {
                    "NewestTag"
                },
                filter: TagFilter::from_fields(fields)?,
                semver: None,
            },
            other => {
                return Err(RuleError::UnknownStrategy {
                    field: "commitSelectionStrategy",
                    value: other.to_owned(),
                });
            }
        };
        Ok(Self {
            refs,
            include: patterns(fields, "includePaths")?,
            exclude: patterns(fields, "excludePaths")?,
        })
    }

    /// Whether the subscription follows `git_ref`, and why.
    pub(super) fn judge_ref<'a>(
        &'a self,
        git_ref: &'a str,
    ) -> Result<RefAccepted<'a>, RefRejected<'a>> {
        match &self.refs {
            RefRule::Branch(branch) => {
                let pushed = git_ref
                    .strip_prefix(BRANCH_PREFIX)
                    .ok_or(RefRejected::NotABranch)?;
                let followed = match branch {
                    Some(branch) => pushed == branch,
                    None => pushed == "main" || pushed == "master",
                };
                let branch = branch.as_deref();
                if followed {
                    Ok(RefAccepted::Branch { branch })
                } else {
                    Err(RefRejected::OtherBranch { branch })
                }
            }
            RefRule::Tags {
                strategy,
                filter,
                semver,
            } => {
                let tag = git_ref
                    .strip_prefix(TAG_PREFIX)
                    .ok_or(RefRejected::NotATag { strategy })?;
                let accepted = match semver {
                    Some((strictness, constraint)) => {
                        judge_semver(tag, strategy, filter, *strictness, constraint.as_ref())
                    }
                    None => filter
                        .judge(tag)
                        .map(|allowed_by| super::decision::TagAccepted::Filtered {
                            strategy,
                            allowed_by,
                        })
                        .map_err(super::decision::TagRejected::Filtered),
                };
                accepted.map(RefAccepted::Tag).map_err(RefRejected::Tag)
            }
        }
    }

    /// Whether the changed files concern the subscription: `Err` with the
    /// number of files when none passes the filters.
    pub(super) fn judge_paths<'a>(&self, changed: &'a ChangedPaths) -> Result<Paths<'a>, usize> {
        if self.include.is_empty() && self.exclude.is_empty() {
            return Ok(Paths::Unfiltered);
        }
        let files = match changed {
            // An empty list is a push that changed no file Kargo could
            // filter on (a tag, an empty commit): not filtered, as in Kargo.
            ChangedPaths::Complete(files) if !files.is_empty() => files,
            _ => return Ok(Paths::Unknown),
        };
        files
            .iter()
            .find(|file| {
                (self.include.is_empty() || self.include.iter().any(|p| p.matches(file)))
                    && !self.exclude.iter().any(|p| p.matches(file))
            })
            .map(|file| Paths::Passes(file))
            .ok_or(files.len())
    }
}

fn patterns(fields: &Fields<'_>, field: &'static str) -> Result<Vec<PathPattern>, RuleError> {
    fields
        .strings(field)?
        .into_iter()
        .map(|pattern| PathPattern::parse(field, pattern))
        .collect()
}
