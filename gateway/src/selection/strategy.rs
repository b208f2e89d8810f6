//! How each kind of subscription judges a pushed tag, built from its fields.

use super::constraint::Constraint;
use super::decision::{TagAccepted, TagRejected};
use super::error::RuleError;
use super::fields::Fields;
use super::git::GitRule;
use super::tag_filter::TagFilter;
use super::version::{Strictness, Version};
use std::borrow::Cow;

/// The decision procedure behind a [`SelectionRule`](super::SelectionRule).
#[derive(Debug, Clone)]
pub(super) enum Strategy {
    /// A rule that could not be built (why, in words): every push could be
    /// new.
    FailOpen(String),
    /// Image `SemVer`: filter, then a (strict) semantic version, then the
    /// optional constraint.
    SemVer {
        filter: TagFilter,
        strictness: Strictness,
        constraint: Option<Constraint>,
    },
    /// Image `Lexical` and `NewestBuild`: any tag the filter leaves in play.
    Filtered {
        strategy: &'static str,
        filter: TagFilter,
    },
    /// Image `Digest`: only the one mutable tag being tracked.
    Digest { tag: String },
    /// Chart: any semantic version satisfying the optional constraint.
    Chart { constraint: Option<Constraint> },
    /// Git: refs and changed files (see `git.rs`).
    Git(GitRule),
}

impl Strategy {
    /// Builds the strategy of an image subscription.
    pub(super) fn for_image(fields: &Fields<'_>) -> Result<Self, RuleError> {
        match fields.string("imageSelectionStrategy")?.unwrap_or_default() {
            "" | "SemVer" => Ok(Self::SemVer {
                filter: TagFilter::from_fields(fields)?,
                strictness: strictness(fields)?,
                // The image `semverConstraint` field (deprecated in Kargo
                // v1.7, gone in v1.9) is deliberately not read: honouring it
                // could hide a tag a newer Kargo discovers, ignoring it only
                // costs an older Kargo a spare refresh.
                constraint: constraint(fields, "constraint")?,
            }),
            strategy @ ("Lexical" | "NewestBuild") => Ok(Self::Filtered {
                strategy: if strategy == "Lexical" {
                    "Lexical"
                } else {
                    "NewestBuild"
                },
                filter: TagFilter::from_fields(fields)?,
            }),
            "Digest" => {
                // Kargo v1.8 still fell back on `semverConstraint` here; with
                // neither set there is nothing Kargo could be tracking.
                let tag = match fields.string("constraint")? {
                    Some(tag) if !tag.is_empty() => tag,
                    _ => fields.string("semverConstraint")?.unwrap_or_default(),
                };
                if tag.is_empty() {
                    return Err(RuleError::DigestWithoutTag);
                }
                Ok(Self::Digest {
                    tag: tag.to_owned(),
                })
            }
            other => Err(RuleError::UnknownStrategy {
                field: "imageSelectionStrategy",
                value: other.to_owned(),
            }),
        }
    }

    /// Builds the strategy of a chart subscription.
    pub(super) fn for_chart(fields: &Fields<'_>) -> Result<Self, RuleError> {
        Ok(Self::Chart {
            constraint: constraint(fields, "semverConstraint")?,
        })
    }

    /// True when a push of `tag` could give the subscriber something new.
    #[cfg(test)]
    pub(super) fn accepts(&self, tag: &str) -> bool {
        self.judge_tag(tag).is_ok()
    }

    /// Whether a push of `tag` could give the subscriber something new, and
    /// why. Only for tag strategies; a rule that failed open and Git rules
    /// accept.
    pub(super) fn judge_tag<'a>(
        &'a self,
        tag: &'a str,
    ) -> Result<TagAccepted<'a>, TagRejected<'a>> {
        match self {
            Self::FailOpen(_) | Self::Git(_) => Ok(TagAccepted::Filtered {
                strategy: "any",
                allowed_by: None,
            }),
            Self::SemVer {
                filter,
                strictness,
                constraint,
            } => judge_semver(tag, "SemVer", filter, *strictness, constraint.as_ref()),
            Self::Filtered { strategy, filter } => {
                let allowed_by = filter.judge(tag).map_err(TagRejected::Filtered)?;
                Ok(TagAccepted::Filtered {
                    strategy,
                    allowed_by,
                })
            }
            Self::Digest { tag: tracked } if tracked == tag => Ok(TagAccepted::Tracked),
            Self::Digest { tag: tracked } => Err(TagRejected::NotTracked { tracked }),
            Self::Chart { constraint } => {
                // OCI tags cannot hold `+`, so Helm writes a chart version's
                // build metadata after `_`; Kargo's OCI discovery reads it
                // back that way, and so does the gateway.
                let version_text = if tag.contains('_') {
                    Cow::Owned(tag.replace('_', "+"))
                } else {
                    Cow::Borrowed(tag)
                };
                let version = Version::parse(&version_text, Strictness::Lenient)
                    .ok_or(TagRejected::NotSemVer { strict: false })?;
                check_constraint(constraint.as_ref(), &version)?;
                Ok(TagAccepted::Chart {
                    constraint: constraint.as_ref().map(Constraint::text),
                })
            }
        }
    }
}

/// The SemVer judgement shared by image and Git tag subscriptions: the
/// filters, then a (strict) semantic version, then the optional constraint.
pub(super) fn judge_semver<'a>(
    tag: &'a str,
    strategy: &'static str,
    filter: &'a TagFilter,
    strictness: Strictness,
    constraint: Option<&'a Constraint>,
) -> Result<TagAccepted<'a>, TagRejected<'a>> {
    let allowed_by = filter.judge(tag).map_err(TagRejected::Filtered)?;
    let version = Version::parse(tag, strictness).ok_or(TagRejected::NotSemVer {
        strict: strictness == Strictness::Strict,
    })?;
    check_constraint(constraint, &version)?;
    Ok(TagAccepted::SemVer {
        strategy,
        allowed_by,
        constraint: constraint.map(Constraint::text),
    })
}

fn check_constraint<'a>(
    constraint: Option<&'a Constraint>,
    version: &Version<'_>,
) -> Result<(), TagRejected<'a>> {
    match constraint {
        Some(constraint) if !constraint.admits(version) => Err(
            if !version.pre.is_empty() && constraint.refuses_prereleases() {
                TagRejected::Prerelease {
                    constraint: constraint.text(),
                }
            } else {
                TagRejected::Constraint {
                    constraint: constraint.text(),
                }
            },
        ),
        _ => Ok(()),
    }
}

/// `strictSemvers`, which the CRD defaults to true.
pub(super) fn strictness(fields: &Fields<'_>) -> Result<Strictness, RuleError> {
    Ok(if fields.boolean("strictSemvers")?.unwrap_or(true) {
        Strictness::Strict
    } else {
        Strictness::Lenient
    })
}

/// Parses the constraint in `field`; empty or absent means no constraint.
pub(super) fn constraint(
    fields: &Fields<'_>,
    field: &'static str,
) -> Result<Option<Constraint>, RuleError> {
    match fields.string(field)? {
        None | Some("") => Ok(None),
        Some(text) => Constraint::parse(text)
            .map(Some)
            .map_err(|source| RuleError::InvalidConstraint { field, source }),
    }
}
