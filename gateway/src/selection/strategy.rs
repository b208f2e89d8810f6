//! How each kind of subscription judges a pushed tag, built from its fields.

use super::constraint::Constraint;
use super::error::RuleError;
use super::fields::Fields;
use super::tag_filter::TagFilter;
use super::version::{Strictness, Version};
use std::borrow::Cow;

/// The decision procedure behind a [`SelectionRule`](super::SelectionRule).
#[derive(Debug, Clone)]
pub(super) enum Strategy {
    /// Every tag could be new (no rule, or a rule that could not be built).
    AcceptAll,
    /// Image `SemVer`: filter, then a (strict) semantic version, then the
    /// optional constraint.
    SemVer {
        filter: TagFilter,
        strictness: Strictness,
        constraint: Option<Constraint>,
    },
    /// Image `Lexical` and `NewestBuild`: any tag the filter leaves in play.
    Filtered(TagFilter),
    /// Image `Digest`: only the one mutable tag being tracked.
    Digest { tag: String },
    /// Chart: any semantic version satisfying the optional constraint.
    Chart { constraint: Option<Constraint> },
}

impl Strategy {
    /// Builds the strategy of an image subscription.
    pub(super) fn for_image(fields: &Fields<'_>) -> Result<Self, RuleError> {
        match fields.string("imageSelectionStrategy")?.unwrap_or_default() {
            "" | "SemVer" => Ok(Self::SemVer {
                filter: TagFilter::from_fields(fields)?,
                // The CRD defaults strictSemvers to true.
                strictness: if fields.boolean("strictSemvers")?.unwrap_or(true) {
                    Strictness::Strict
                } else {
                    Strictness::Lenient
                },
                // The image `semverConstraint` field (deprecated in Kargo
                // v1.7, gone in v1.9) is deliberately not read: honouring it
                // could hide a tag a newer Kargo discovers, ignoring it only
                // costs an older Kargo a spare refresh.
                constraint: constraint(fields, "constraint")?,
            }),
            "Lexical" | "NewestBuild" => Ok(Self::Filtered(TagFilter::from_fields(fields)?)),
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
            other => Err(RuleError::UnknownStrategy(other.to_owned())),
        }
    }

    /// Builds the strategy of a chart subscription.
    pub(super) fn for_chart(fields: &Fields<'_>) -> Result<Self, RuleError> {
        Ok(Self::Chart {
            constraint: constraint(fields, "semverConstraint")?,
        })
    }

    /// True when a push of `tag` could give the subscriber something new.
    pub(super) fn accepts(&self, tag: &str) -> bool {
        match self {
            Self::AcceptAll => true,
            Self::SemVer {
                filter,
                strictness,
                constraint,
            } => {
                filter.admits(tag)
                    && Version::parse(tag, *strictness)
                        .is_some_and(|version| satisfies(constraint.as_ref(), &version))
            }
            Self::Filtered(filter) => filter.admits(tag),
            Self::Digest { tag: tracked } => tracked == tag,
            Self::Chart { constraint } => {
                // OCI tags cannot hold `+`, so Helm writes a chart version's
                // build metadata after `_`; Kargo's OCI discovery reads it
                // back that way, and so does the gateway.
                let version_text = if tag.contains('_') {
                    Cow::Owned(tag.replace('_', "+"))
                } else {
                    Cow::Borrowed(tag)
                };
                Version::parse(&version_text, Strictness::Lenient)
                    .is_some_and(|version| satisfies(constraint.as_ref(), &version))
            }
        }
    }
}

fn satisfies(constraint: Option<&Constraint>, version: &Version<'_>) -> bool {
    constraint.is_none_or(|constraint| constraint.admits(version))
}

/// Parses the constraint in `field`; empty or absent means no constraint.
fn constraint(fields: &Fields<'_>, field: &'static str) -> Result<Option<Constraint>, RuleError> {
    match fields.string(field)? {
        None | Some("") => Ok(None),
        Some(text) => Constraint::parse(text)
            .map(Some)
            .map_err(|source| RuleError::InvalidConstraint { field, source }),
    }
}
