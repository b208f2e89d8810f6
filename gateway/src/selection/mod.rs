//! Selection rules: which Warehouses a registry push could give something new.
//!
//! When a push announces tags for a repository, every Warehouse subscribing
//! to that repository is a candidate for a refresh. A [`SelectionRule`],
//! built once per subscription, tells whether a pushed tag is one that
//! subscription could discover, following Kargo's own rules:
//!
//! | subscription | a tag is accepted when |
//! | --- | --- |
//! | image, `SemVer` (default) | it passes the allow/ignore lists, parses as a semantic version (strict by default: `1.2.3` or `v1.2.3`; with `strictSemvers: false` also `1.2` or `v1`), and satisfies `constraint` if set |
//! | image, `Lexical`, `NewestBuild` | it is not ignored (`ignoreTagsRegexes`, `ignoreTags`) and matches an allow regex if any are given |
//! | image, `Digest` | it equals `constraint`, the mutable tag Kargo tracks |
//! | chart | it is a semantic version satisfying `semverConstraint` if set |
//!
//! Constraints have the meaning Masterminds/semver v3 gives them; see
//! `constraint.rs` for the grammar and its corners.
//!
//! Failing open: a subscription whose rule cannot be built (a regex that does
//! not compile, a constraint that does not parse, an unknown strategy, a
//! field of the wrong type) gets a rule that accepts every tag, together with
//! a [`RuleError`] for the log. Refreshing such a Warehouse makes Kargo
//! report the problem on it; filtering on a guess could hide a push for good.
//! The same bias settles the few places where Kargo versions disagree: the
//! gateway takes the reading that accepts more (see `strategy.rs`).

mod cache;
mod constraint;
mod constraint_scan;
mod error;
mod fields;
mod strategy;
mod tag_filter;
mod version;

#[cfg(test)]
mod tests;

pub use cache::RuleCache;
pub use constraint::ConstraintError;
pub use error::RuleError;

use fields::Fields;
use serde_json::Value;
use std::sync::{Arc, LazyLock};
use strategy::Strategy;

/// The tag selection rule of one image or chart subscription.
///
/// Built once when the Warehouse is indexed (regexes compiled, constraint
/// parsed) and cheap to evaluate and to clone afterwards.
#[derive(Debug, Clone)]
pub struct SelectionRule {
    strategy: Arc<Strategy>,
}

impl SelectionRule {
    /// The rule of an image subscription: `subscription` is the value of the
    /// subscription's `image` field (the whole `spec.subscriptions[]` entry is
    /// accepted too). When the rule cannot be built, the rule returned
    /// accepts every tag and the error says why.
    pub fn for_image(subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        Self::build(
            Fields::of(subscription, "image").and_then(|fields| Strategy::for_image(&fields)),
        )
    }

    /// The rule of a chart subscription: `subscription` is the value of the
    /// subscription's `chart` field (or the whole entry). When the rule cannot
    /// be built, the rule returned accepts every tag and the error says why.
    pub fn for_chart(subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        Self::build(
            Fields::of(subscription, "chart").and_then(|fields| Strategy::for_chart(&fields)),
        )
    }

    /// A rule that accepts every tag (one shared value: every Git
    /// subscription has it).
    pub fn accept_all() -> SelectionRule {
        static ACCEPT_ALL: LazyLock<Arc<Strategy>> =
            LazyLock::new(|| Arc::new(Strategy::AcceptAll));
        SelectionRule {
            strategy: Arc::clone(&ACCEPT_ALL),
        }
    }

    /// True when this rule accepts every tag (no filtering, or a rule that
    /// could not be built).
    pub fn accepts_everything(&self) -> bool {
        matches!(*self.strategy, Strategy::AcceptAll)
    }

    /// True when a push of `tag` could give the subscriber something new.
    pub fn accepts(&self, tag: &str) -> bool {
        self.strategy.accepts(tag)
    }

    /// True when at least one of `tags` is accepted; false for no tags.
    pub fn accepts_any<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> bool {
        tags.into_iter().any(|tag| self.accepts(tag))
    }

    /// Kargo's rule for a whole push: one that names no tag at all (an
    /// artifact pushed by digest only) refreshes every subscriber; otherwise
    /// at least one tag must be accepted.
    pub fn admits_push<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> bool {
        let mut tags = tags.into_iter().peekable();
        tags.peek().is_none() || tags.any(|tag| self.accepts(tag))
    }

    fn build(strategy: Result<Strategy, RuleError>) -> (SelectionRule, Option<RuleError>) {
        match strategy {
            Ok(strategy) => (
                SelectionRule {
                    strategy: Arc::new(strategy),
                },
                None,
            ),
            Err(error) => (SelectionRule::accept_all(), Some(error)),
        }
    }
}
