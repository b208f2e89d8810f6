//! Why a subscription's selection rule could not be built.

use super::constraint::ConstraintError;

/// A subscription whose selection rule cannot be built.
///
/// The gateway never lets a broken rule hide a push: whoever receives one of
/// these gets [`SelectionRule::accept_all`](super::SelectionRule::accept_all)
/// alongside it, so the Warehouse is still refreshed and Kargo reports the
/// problem on the Warehouse itself. The error is for the gateway's own log.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// The subscription is not a JSON object.
    #[error("subscription is not a JSON object")]
    NotAnObject,
    /// A field holds the wrong JSON type (the CRD schema normally prevents
    /// this, but the gateway reads Warehouses as untyped JSON).
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The field's JSON name.
        field: &'static str,
        /// What the field should hold, e.g. "a string".
        expected: &'static str,
    },
    /// `imageSelectionStrategy` or `commitSelectionStrategy` is not one
    /// Kargo knows.
    #[error("unknown {field} {value:?}")]
    UnknownStrategy {
        /// The field's JSON name.
        field: &'static str,
        /// The value as written.
        value: String,
    },
    /// A tag regular expression does not compile. Kargo uses Go's RE2 syntax;
    /// the few constructs Go accepts and Rust's `regex` does not also end up
    /// here, which only means the Warehouse is refreshed on every push.
    #[error("field `{field}`: regular expression {pattern:?} does not compile: {source}")]
    InvalidRegex {
        /// The field's JSON name.
        field: &'static str,
        /// The pattern as written in the subscription.
        pattern: String,
        /// What the regex compiler objected to.
        source: regex::Error,
    },
    /// A path pattern (`includePaths`, `excludePaths`) does not compile.
    #[error("field `{field}`: pattern {pattern:?} does not compile: {reason}")]
    InvalidPathPattern {
        /// The field's JSON name.
        field: &'static str,
        /// The pattern as written.
        pattern: String,
        /// What the compiler objected to.
        reason: String,
    },
    /// A semantic version constraint does not parse.
    #[error("field `{field}`: {source}")]
    InvalidConstraint {
        /// The field's JSON name.
        field: &'static str,
        /// What is wrong with the constraint.
        source: ConstraintError,
    },
    /// The `Digest` strategy names no tag to track in `constraint`.
    #[error("imageSelectionStrategy Digest needs the tag to track in `constraint`")]
    DigestWithoutTag,
}
