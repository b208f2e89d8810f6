//! Version constraints with the meaning Masterminds/semver v3 gives them
//! (the library Kargo checks `constraint` and `semverConstraint` with).
//!
//! Syntax: `||` separates alternatives (OR groups); within a group, terms are
//! separated by whitespace or a comma (AND). A term is an optional operator
//! (`=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`, `=<`, `~`, `~>`, `^`) and a version
//! that may be shortened (`1.2`) or wildcarded (`1.2.x`, `1.*`, `*`, `X`).
//! `A - B` is a hyphen range, rewritten to `>= A, <= B` before parsing.
//!
//! Prereleases: a version with a prerelease is only admitted by a group in
//! which some term carries a prerelease itself (`>=1.2.0-0, <2`); otherwise
//! the group skips it. This is the Masterminds v3.4 rule; earlier v3 releases
//! looked at each term alone, which never admits more, so a gateway following
//! v3.4 never filters out a tag an older Kargo would have discovered.
//!
//! The individual operators keep Masterminds' exact behaviour, including
//! corners where it departs from its own README (`^*` admits only `0.0.0`,
//! `<=*` only `0.0.x`): a constraint must mean here what it means in Kargo.

use super::constraint_scan::{
    Operator, VersionWord, rewrite_hyphen_ranges, scan_operator, scan_version_word, skip_space,
};
use super::version::{Version, is_numeric, valid_prerelease};
use std::cmp::Ordering;

/// Constraints longer than this are refused rather than parsed. Real ones are
/// a few dozen bytes; the cap bounds the work a hostile Warehouse can cause.
pub(crate) const MAX_CONSTRAINT_LENGTH: usize = 1024;

/// Why a constraint could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    /// An OR group does not fit the constraint grammar (for example a stray
    /// word, a missing separator, or an empty alternative).
    #[error("improper constraint {0:?}")]
    Improper(String),
    /// A version inside the constraint is not one (a segment that is neither
    /// a number nor a wildcard, a number too large, a bad prerelease).
    #[error("invalid version {0:?} in constraint")]
    InvalidVersion(String),
    /// The constraint is longer than the gateway agrees to parse.
    #[error("constraint is {0} bytes long, more than the {MAX_CONSTRAINT_LENGTH} accepted")]
    TooLong(usize),
}

/// A parsed constraint: one or more OR groups of AND-ed terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constraint {
    groups: Vec<Group>,
    /// As written, for reasons that name it.
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    terms: Vec<Term>,
    /// Some term names a prerelease, so prerelease versions are considered.
    considers_prereleases: bool,
}

/// How much of the version in a term was given; the rest is a wildcard.
/// (Masterminds' `dirty`, `minorDirty` and `patchDirty` flags.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    /// `1.2.3`
    Exact,
    /// `1.2` or `1.2.x`
    AnyPatch,
    /// `1` or `1.x`
    AnyMinor,
    /// `*` or `x`
    AnyVersion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    operator: Operator,
    precision: Precision,
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
}

impl Constraint {
    /// Parses a constraint, as Masterminds' `NewConstraint` would.
    pub(crate) fn parse(text: &str) -> Result<Self, ConstraintError> {
        if text.len() > MAX_CONSTRAINT_LENGTH {
            return Err(ConstraintError::TooLong(text.len()));
        }
        let rewritten = rewrite_hyphen_ranges(text);
        let groups = rewritten
            .split("||")
            .map(Group::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            groups,
            text: text.trim().to_owned(),
        })
    }

    /// The constraint as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// True when no group of the constraint considers prereleases: a
    /// version with a prerelease is then never admitted.
    pub(crate) fn refuses_prereleases(&self) -> bool {
        !self.groups.iter().any(|group| group.considers_prereleases)
    }

    /// True when `version` satisfies at least one OR group.
    pub(crate) fn admits(&self, version: &Version<'_>) -> bool {
        self.groups.iter().any(|group| {
            group
                .terms
                .iter()
                .all(|term| term.admits(version, group.considers_prereleases))
        })
    }
}

impl Group {
    fn parse(group: &str) -> Result<Self, ConstraintError> {
        let improper = || ConstraintError::Improper(group.trim().to_owned());
        let mut terms = Vec::new();
        let mut rest = skip_space(group);
        loop {
            let (operator, after_operator) = scan_operator(rest);
            let word_text = skip_space(after_operator);
            let (word, length) = scan_version_word(word_text).ok_or_else(improper)?;
            terms.push(Term::new(operator, &word, &word_text[..length])?);

            // Terms are separated by whitespace or by a comma with optional
            // whitespace around it; nothing may trail the last one.
            let after_word = &word_text[length..];
            let next = skip_space(after_word);
            if next.is_empty() {
                break;
            }
            rest = if let Some(after_comma) = next.strip_prefix(',') {
                skip_space(after_comma)
            } else if next.len() < after_word.len() {
                next
            } else {
                return Err(improper());
            };
        }
        let considers_prereleases = terms.iter().any(|term| !term.pre.is_empty());
        Ok(Self {
            terms,
            considers_prereleases,
        })
    }
}

fn is_wildcard(segment: &str) -> bool {
    matches!(segment, "x" | "X" | "*")
}

impl Term {
    fn new(
        operator: Operator,
        word: &VersionWord<'_>,
        text: &str,
    ) -> Result<Self, ConstraintError> {
        let invalid = || ConstraintError::InvalidVersion(text.to_owned());
        // Leading zeros are accepted: Masterminds coerces them by default.
        let number = |segment: &str| -> Result<u64, ConstraintError> {
            if is_numeric(segment) {
                segment.parse().map_err(|_| invalid())
            } else {
                Err(invalid())
            }
        };
        if !word.pre.is_empty() && !valid_prerelease(word.pre) {
            return Err(invalid());
        }
        let segment = |index: usize| word.segments.get(index).copied();
        // Segments after the first wildcard are ignored, as Masterminds does.
        let (precision, major, minor, patch) = match (segment(0), segment(1), segment(2)) {
            (Some(major), _, _) if is_wildcard(major) => (Precision::AnyVersion, 0, 0, 0),
            (Some(major), minor, _) if minor.is_none_or(is_wildcard) => {
                (Precision::AnyMinor, number(major)?, 0, 0)
            }
            (Some(major), Some(minor), patch) if patch.is_none_or(is_wildcard) => {
                (Precision::AnyPatch, number(major)?, number(minor)?, 0)
            }
            (Some(major), Some(minor), Some(patch)) => (
                Precision::Exact,
                number(major)?,
                number(minor)?,
                number(patch)?,
            ),
            _ => return Err(invalid()),
        };
        Ok(Self {
            operator,
            precision,
            major,
            minor,
            patch,
            pre: word.pre.to_owned(),
        })
    }

    fn bound(&self) -> Version<'_> {
        Version {
            major: self.major,
            minor: self.minor,
            patch: self.patch,
            pre: &self.pre,
        }
    }

    fn admits(&self, version: &Version<'_>, considers_prereleases: bool) -> bool {
        if !version.pre.is_empty() && !considers_prereleases {
            return false;
        }
        let order = version.precedence(&self.bound());
        match self.operator {
            Operator::Equal if self.precision == Precision::Exact => order == Ordering::Equal,
            Operator::Equal | Operator::Tilde => self.tilde_admits(version),
            Operator::NotEqual => self.not_equal_admits(version, order),
            Operator::Greater => self.greater_admits(version, order),
            Operator::Less => order == Ordering::Less,
            Operator::GreaterOrEqual => order != Ordering::Less,
            Operator::LessOrEqual => self.less_or_equal_admits(version, order),
            Operator::Caret => self.caret_admits(version),
        }
    }

    fn not_equal_admits(&self, v: &Version<'_>, order: Ordering) -> bool {
        match self.precision {
            Precision::Exact => {}
            _ if v.major != self.major => return true,
            Precision::AnyMinor => return false,
            _ if v.minor != self.minor => return true,
            // Prereleases only compare equal when written identically.
            Precision::AnyPatch => return v.pre != self.pre,
            Precision::AnyVersion if v.patch != self.patch => return true,
            Precision::AnyVersion => {}
        }
        order != Ordering::Equal
    }

    fn greater_admits(&self, v: &Version<'_>, order: Ordering) -> bool {
        match self.precision {
            Precision::Exact => order == Ordering::Greater,
            _ if v.major != self.major => v.major > self.major,
            Precision::AnyMinor => false, // >1 needs 2.0.0 or more
            Precision::AnyPatch => v.minor > self.minor, // >1.1 needs 1.2.0 or more
            Precision::AnyVersion => order == Ordering::Greater,
        }
    }

    fn less_or_equal_admits(&self, v: &Version<'_>, order: Ordering) -> bool {
        if self.precision == Precision::Exact {
            return order != Ordering::Greater;
        }
        if v.major != self.major {
            return v.major < self.major;
        }
        self.precision == Precision::AnyMinor || v.minor <= self.minor
    }

    fn tilde_admits(&self, v: &Version<'_>) -> bool {
        if v.is_below(&self.bound()) {
            return false;
        }
        let zero = self.major == 0 && self.minor == 0 && self.patch == 0;
        if zero && matches!(self.precision, Precision::Exact | Precision::AnyVersion) {
            return true; // ~0.0.0 and ~* admit everything
        }
        v.major == self.major && (self.precision == Precision::AnyMinor || v.minor == self.minor)
    }

    fn caret_admits(&self, v: &Version<'_>) -> bool {
        if v.is_below(&self.bound()) {
            return false;
        }
        if self.major > 0 || self.precision == Precision::AnyMinor {
            return v.major == self.major;
        }
        if v.major > 0 {
            return false;
        }
        if self.minor > 0 || self.precision == Precision::AnyPatch {
            return v.minor == self.minor;
        }
        v.minor == 0 && v.patch == self.patch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::version::Strictness;

    /// Checks `version` (lenient parse) against `constraint`.
    fn check(constraint: &str, version: &str) -> bool {
        let parsed = Constraint::parse(constraint)
            .unwrap_or_else(|error| panic!("{constraint:?} should parse: {error}"));
        let version = Version::parse(version, Strictness::Lenient)
            .unwrap_or_else(|| panic!("{version:?} should be a version"));
        parsed.admits(&version)
    }

    fn assert_table(table: &[(&str, &str, bool)]) {
        let failures: Vec<String> = table
            .iter()
            .filter(|(constraint, version, want)| check(constraint, version) != *want)
            .map(|(constraint, version, want)| {
                format!("{constraint:?} vs {version:?}: want {want}")
            })
            .collect();
        assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
    }

    /// Single-term cases from Masterminds' `TestConstraintCheck`.
    #[test]
    fn each_operator_behaves_like_masterminds() {
        assert_table(&[
            ("=2.0.0", "1.2.3", false),
            ("=2.0.0", "2.0.0", true),
            ("=2.0", "1.2.3", false),
            ("=2.0", "2.0.0", true),
            ("=2.0", "2.0.1", true),
            ("4.1", "4.1.0", true),
            ("!=4.1.0", "4.1.0", false),
            ("!=4.1.0", "4.1.1", true),
            ("!=4.1", "4.1.0", false),
            ("!=4.1", "4.1.1", false),
            ("!=4.1", "5.1.0-alpha.1", false),
            ("!=4.1-alpha", "4.1.0", true),
            ("!=4.1", "5.1.0", true),
            ("<11", "0.1.0", true),
            ("<11", "11.1.0", false),
            ("<1.1", "0.1.0", true),
            ("<1.1", "1.1.0", false),
            ("<1.1", "1.1.1", false),
            ("<=11", "1.2.3", true),
            ("<=11", "12.2.3", false),
            ("<=11", "11.2.3", true),
            ("=<11", "11.2.3", true),
            ("<=1.1", "1.2.3", false),
            ("<=1.1", "0.1.0", true),
            ("<=1.1", "1.1.0", true),
            ("<=1.1", "1.1.1", true),
            (">1.1", "4.1.0", true),
            (">1.1", "1.1.0", false),
            (">0", "0", false),
            (">0", "1", true),
            (">0", "0.0.1-alpha", false),
            (">0.0", "0.0.1-alpha", false),
            (">0-0", "0.0.1-alpha", false),
            (">0.0-0", "0.0.1-alpha", false),
            (">0", "0.0.0-alpha", false),
            (">0-0", "0.0.0-alpha", false),
            (">0.0.0-0", "0.0.0-alpha", true),
            (">1.2.3-alpha.1", "1.2.3-alpha.2", true),
            (">1.2.3-alpha.1", "1.3.3-alpha.2", true),
            (">11", "11.1.0", false),
            (">11.1", "11.1.0", false),
            (">11.1", "11.1.1", false),
            (">11.1", "11.2.1", true),
            (">=11", "11.1.2", true),
            ("=>11", "11.1.2", true),
            (">=11.1", "11.1.2", true),
            (">=11.1", "11.0.2", false),
            (">=1.1", "4.1.0", true),
            (">=1.1", "1.1.0", true),
            (">=1.1", "0.0.9", false),
            (">=0", "0.0.1-alpha", false),
            (">=0.0", "0.0.1-alpha", false),
            (">=0-0", "0.0.1-alpha", true),
            (">=0.0-0", "0.0.1-alpha", true),
            (">=0", "0.0.0-alpha", false),
            (">=0-0", "0.0.0-alpha", true),
            (">=0.0.0-0", "0.0.0-alpha", true),
            (">=0.0.0-0", "1.2.3", true),
            (">=0.0.0-0", "3.4.5-beta.1", true),
            ("<0", "0.0.0-alpha", false),
            ("<0-z", "0.0.0-alpha", true),
            (">=0", "0", true),
            ("=0", "1", false),
        ]);
    }

    #[test]
    fn wildcards_behave_like_masterminds() {
        assert_table(&[
            ("*", "1", true),
            ("*", "4.5.6", true),
            ("*", "1.2.3-alpha.1", false),
            ("*-0", "1.2.3-alpha.1", true),
            ("x", "0.0.0", true),
            ("X", "9.9.9", true),
            ("2.*", "1", false),
            ("2.*", "3.4.5", false),
            ("2.*", "2.1.1", true),
            ("2.x", "2.9.0", true),
            ("2.1.*", "2.1.1", true),
            ("2.1.*", "2.2.1", false),
            ("1.2.x", "1.2.0", true),
            ("1.2.x", "1.3.0", false),
            ("0.x.x", "1.2.3", false),
            ("0.0.x", "1.2.3", false),
            ("0.0.x", "0.0.7", true),
            ("1.x", "1.4", true),
            (">= 1.2.x", "1.2.0", true),
            (">= 1.2.x", "1.1.9", false),
            ("<= 2.x", "2.99.0", true),
            ("<= 2.x", "3.0.0", false),
            ("<=2.x", "3.0.0", false),
            ("<=1.x", "1.1.0", true),
            ("<=1.1.x", "1.2.500", false),
            ("<1.x", "1.1.1", false),
            ("<1.x", "0.1.1", true),
            ("<1.x", "2.0.0", false),
            ("<1.1.x", "1.2.1", false),
            ("<1.1.x", "1.1.500", false),
            ("<1.1.x", "1.0.500", true),
            ("<1.2.x", "1.1.1", true),
            ("!=4.x", "5.1.0", true),
            ("!=4.x", "4.1.0", false),
            ("!=4.1.x", "4.2.0", true),
            ("!=4.2.x", "4.2.3", false),
            // Segments after a wildcard are ignored.
            ("1.x.5", "1.7.0", true),
            // Masterminds' own corners, kept so the gateway agrees with Kargo.
            ("^*", "0.0.0", true),
            ("^*", "1.2.3", false),
            ("<=*", "0.0.9", true),
            ("<=*", "0.1.0", false),
            ("!=*", "0.0.0", false),
            ("!=*", "1.0.0", true),
            (">*", "0.0.1", true),
            (">*", "0.0.0", false),
        ]);
    }

    #[test]
    fn tilde_behaves_like_masterminds() {
        assert_table(&[
            ("~1.2.3", "1.2.4", true),
            ("~1.2.3", "1.3.4", false),
            ("~1.2.3", "1.2.2", false),
            ("~1.2", "1.2.4", true),
            ("~1.2", "1.3.4", false),
            ("~1", "1.2.4", true),
            ("~1", "2.3.4", false),
            ("~1", "1.3.5-beta", false),
            ("~>1.2", "1.2.9", true),
            ("~>1.2", "1.3.0", false),
            ("~1.x", "2.1.1", false),
            ("~1.x", "1.3.5", true),
            ("~1.2.x", "1.2.9", true),
            ("~1.2.x", "1.3.0", false),
            ("~0.2.3", "0.2.5", true),
            ("~0.2.3", "0.3.5", false),
            ("~0.0.0", "1.2.3", true),
            ("~*", "2.1.1", true),
            ("~1.2.3-beta.2", "1.2.3-beta.4", true),
            ("~1.2.3-beta.2", "1.2.4-beta.2", true),
            ("~1.2.3-beta.2", "1.3.4-beta.2", false),
            ("~1.1", "1.1.1-alpha", false),
            ("~1.1-alpha", "1.1.1-beta", true),
            ("~1.1.1-beta", "1.1.1-alpha", false),
            ("~1.1.1-beta", "1.1.1", true),
            ("~1.3.6-alpha", "1.3.5-beta", false),
            ("~1.3.5-alpha", "1.3.5-beta", true),
        ]);
    }

    #[test]
    fn caret_behaves_like_masterminds_including_zero_major() {
        assert_table(&[
            ("^1.2.3", "1.8.9", true),
            ("^1.2.3", "2.8.9", false),
            ("^1.2.3", "1.2.1", false),
            ("^1.1.0", "2.1.0", false),
            ("^1.2.0", "2.2.1", false),
            ("^1.2", "1.8.9", true),
            ("^1.2", "2.8.9", false),
            ("^1", "1.8.9", true),
            ("^1", "2.8.9", false),
            ("^1.x", "1.1.1", true),
            ("^2.x", "1.1.1", false),
            ("^1.x", "2.1.1", false),
            ("^v1.0.0", "1.9.0", true),
            // ^0.y: the minor version is the compatibility boundary.
            ("^0.2.3", "0.2.5", true),
            ("^0.2.3", "0.5.6", false),
            ("^0.2.3", "0.2.2", false),
            ("^0.2", "0.2.5", true),
            ("^0.2", "0.5.6", false),
            ("^0.2", "1.2.0", false),
            // ^0.0.z: only that exact patch.
            ("^0.0.3", "0.0.3", true),
            ("^0.0.3", "0.0.4", false),
            ("^0.0.1", "0.3.1", false),
            ("^0.0", "0.0.3", true),
            ("^0.0", "0.1.4", false),
            ("^0.0", "1.0.4", false),
            ("^0", "0.2.3", true),
            ("^0", "1.1.4", false),
            ("^0.0.0", "1.2.3", false),
            // Prereleases.
            ("^1.2.0", "1.2.1-alpha.1", false),
            ("^1.x", "1.1.1-beta1", false),
            ("^1.2.0-alpha.0", "1.2.1-alpha.1", true),
            ("^1.2.0-alpha.0", "1.2.1-alpha.0", true),
            ("^1.2.0-alpha.2", "1.2.0-alpha.1", false),
            ("^1.1.2-alpha", "1.2.1-beta1", true),
            ("^1.2.x-alpha", "1.1.1-beta1", false),
            ("^0.2.3-beta.2", "0.2.3-beta.4", true),
            ("^0.2.3-beta.2", "0.2.4-beta.2", true),
            ("^0.2.3-beta.2", "0.3.4-beta.2", false),
            ("^0.2.3-beta.2", "0.2.3-beta.2", true),
        ]);
    }

    /// Multi-term cases from Masterminds' `TestConstraintsCheck`.
    #[test]
    fn and_groups_and_or_alternatives_behave_like_masterminds() {
        assert_table(&[
            (">1.1, <2", "1.1.1", false),
            (">1.1, <2", "1.2.1", true),
            (">1.1, <3", "4.3.2", false),
            (">=1.1, <2, !=1.2.3", "1.2.3", false),
            (">1.1 <2", "1.1.1", false),
            (">1.1 <2", "1.2.1", true),
            (">1.1    <3", "4.3.2", false),
            (">=1.1    <2    !=1.2.3", "1.2.3", false),
            (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true),
            (">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false),
            (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true),
            (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false),
            (">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false),
            (">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true),
            ("> 1.1, <     2", "1.1.1", false),
            (">   1.1, <2", "1.2.1", true),
            (">= 1.1, <     2, !=1.2.3", "1.2.3", false),
            ("> 1.1 < 2", "1.1.1", false),
            (">1.1 < 2", "1.2.1", true),
            (">=1.1    < 2    != 1.2.3", "1.2.3", false),
            (">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true),
            (">=1.1 , <2", "1.5.0", true),
            ("\t>=1.1,\n<2 ", "1.5.0", true),
            ("12.3.34 ~1.2.3", "12.3.34", false),
            // Hyphen ranges.
            ("1.1 - 2", "1.1.1", true),
            ("1.1 - 2", "2.9.9", true),
            ("1.1 - 2", "3.0.0", false),
            ("1.5.0 - 4.5", "3.7.0", true),
            ("1.2 - 1.4.5", "1.4.5", true),
            ("1.2 - 1.4.5", "1.4.6", false),
            ("1.2 - 1.4.5", "1.1.9", false),
            ("2.3.4 - 4.5", "4.5.9", true),
            ("3 - 4 || => 5.0, < 6", "5.5.0", true),
            ("1.1-3", "4.3.2", false),
        ]);
    }

    #[test]
    fn a_prerelease_in_a_group_opens_that_group_to_prereleases() {
        // Masterminds v3.4: the opt-in applies to the whole AND group ...
        assert_table(&[
            (">=1.2.0-0, <2", "1.5.0-rc.1", true),
            (">=1.2.0-0 <2", "2.0.0-rc.1", true),
            ("<2, >=1.2.0-0", "1.5.0-rc.1", true),
            ("1.2.0-0 - 2", "1.9.0-beta", true),
            // ... but not to the other alternatives.
            (">=1.2.0-0, <2 || >=3", "3.1.0-rc.1", false),
            (">=3 || >=1.2.0-0, <2", "1.3.0-rc.1", true),
            (">=1.2", "1.5.0-rc.1", false),
            (">=1.2.3-BETA", "1.2.3-alpha", true),
        ]);
    }

    #[test]
    fn build_metadata_is_ignored_on_both_sides() {
        assert_table(&[
            ("=1.2.3+build.1", "1.2.3+build.2", true),
            ("1.2.3", "1.2.3+anything", true),
            (
                "v2.3.5-20161202202307-sha.e8fc5e5",
                "2.3.5-20161202202307-sha.e8fc5e5",
                true,
            ),
        ]);
    }

    #[test]
    fn leading_zeros_and_v_prefix_are_accepted_in_constraints() {
        assert_table(&[
            ("v1.2.3", "1.2.3", true),
            (">=01.02", "1.2.0", true),
            ("^v2", "2.5.0", true),
        ]);
    }

    #[test]
    fn malformed_constraints_are_refused() {
        let cases = [
            "",
            " ",
            "foo",
            ">= bar",
            "BAR >= 1.2.3",
            "1.2.3 ||",
            "|| 1.2.3",
            ">=1.2.3,",
            ">=1.2.3,,<2",
            ">=1.2.3<2",
            "12.3.4.1234",
            "12.23.4.1234",
            "12.3.34~ 1.2.3",
            "==1.2.3",
            "> =1.2.3",
            "1.2.3x",
            "1.|.3",
            "1.2.3-01",
            "1.2.3-beta.",
            "18446744073709551616",
            "1.0 2.0 - 3.0",
            ">=1 - 2",
            "1.2.3\u{a0}",
        ];
        for text in cases {
            assert!(
                Constraint::parse(text).is_err(),
                "{text:?} should be refused"
            );
        }
        let long = "1".repeat(MAX_CONSTRAINT_LENGTH + 1);
        assert_eq!(
            Constraint::parse(&long),
            Err(ConstraintError::TooLong(MAX_CONSTRAINT_LENGTH + 1))
        );
    }

    #[test]
    fn errors_name_the_offending_part() {
        assert_eq!(
            Constraint::parse(">=1.2.3 || foo"),
            Err(ConstraintError::Improper("foo".to_owned()))
        );
        assert_eq!(
            Constraint::parse(">=1.y"),
            Err(ConstraintError::Improper(">=1.y".to_owned()))
        );
        assert_eq!(
            Constraint::parse("^1.2x"),
            Err(ConstraintError::InvalidVersion("1.2x".to_owned()))
        );
    }
}
