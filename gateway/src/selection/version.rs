//! Semantic versions as Kargo reads image tags and chart versions.
//!
//! Kargo is written in Go and parses versions with Masterminds/semver v3; the
//! rules here follow that library so that a tag the gateway accepts is one
//! Kargo would accept too:
//!
//! - The lenient parse (Masterminds' `NewVersion`) takes an optional leading
//!   `v`, one to three numeric segments (missing ones are 0, leading zeros are
//!   tolerated), then an optional `-prerelease` and `+metadata`, each a series
//!   of dot-separated, non-empty `[0-9A-Za-z-]` identifiers. A numeric
//!   prerelease identifier must not have a leading zero.
//! - The strict parse is Kargo's own rule for `strictSemvers: true`: the
//!   lenient parse must succeed *and* the text without its leading `v` must be
//!   a valid SemVer 2.0 version (all three segments, no leading zeros).
//! - Ordering ignores metadata; a prerelease sorts before its release;
//!   prerelease identifiers compare numerically when both are numbers and
//!   by ASCII order otherwise, a number sorting before a word.

use std::cmp::Ordering;

/// A parsed version. It borrows its prerelease from the text it was parsed
/// from, so parsing a tag allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version<'a> {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    /// The prerelease without its leading `-`; empty when there is none.
    pub(crate) pre: &'a str,
}

/// How strictly a tag must look like a semantic version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// Masterminds' `NewVersion`: `1`, `1.2`, `v01.2.3` are versions.
    Lenient,
    /// Kargo's `strictSemvers`: major, minor and patch all present, no
    /// leading zeros (a leading `v` is still accepted).
    Strict,
}

impl<'a> Version<'a> {
    /// Parses `text` as a version, or returns `None` when it is not one.
    pub(crate) fn parse(text: &'a str, strictness: Strictness) -> Option<Self> {
        let parsed = parse_parts(text)?;
        if strictness == Strictness::Strict && !parsed.is_strict() {
            return None;
        }
        Some(parsed.version)
    }

    /// Orders two versions by SemVer precedence (metadata ignored).
    pub(crate) fn precedence(&self, other: &Version<'_>) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prereleases(self.pre, other.pre),
            })
    }

    /// True when `self` sorts strictly before `other`.
    pub(crate) fn is_below(&self, other: &Version<'_>) -> bool {
        self.precedence(other) == Ordering::Less
    }
}

/// The pieces of a lenient parse, with what the strict check needs.
struct Parts<'a> {
    version: Version<'a>,
    /// How many numeric segments the text had (1 to 3).
    segments: usize,
    /// Whether a numeric segment had a leading zero (`01`).
    leading_zero: bool,
}

impl Parts<'_> {
    fn is_strict(&self) -> bool {
        self.segments == 3 && !self.leading_zero
    }
}

fn parse_parts(text: &str) -> Option<Parts<'_>> {
    let mut rest = text.strip_prefix('v').unwrap_or(text);

    // Metadata starts at the first `+`; a `-` inside metadata is legal, so it
    // is cut off before looking for the prerelease.
    if let Some(plus) = rest.find('+') {
        if !valid_identifiers(&rest[plus + 1..]) {
            return None;
        }
        rest = &rest[..plus];
    }
    let mut pre = "";
    if let Some(dash) = rest.find('-') {
        pre = &rest[dash + 1..];
        if !valid_prerelease(pre) {
            return None;
        }
        rest = &rest[..dash];
    }

    let mut numbers = [0u64; 3];
    let mut segments = 0;
    let mut leading_zero = false;
    for segment in rest.split('.') {
        if segments == 3 || !is_numeric(segment) {
            return None;
        }
        leading_zero |= segment.len() > 1 && segment.starts_with('0');
        numbers[segments] = segment.parse().ok()?; // None on u64 overflow
        segments += 1;
    }

    Some(Parts {
        version: Version {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            pre,
        },
        segments,
        leading_zero,
    })
}

/// A non-empty run of ASCII digits.
pub(crate) fn is_numeric(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Dot-separated, non-empty identifiers of `[0-9A-Za-z-]`.
fn valid_identifiers(text: &str) -> bool {
    text.split('.').all(|identifier| {
        !identifier.is_empty()
            && identifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// Valid identifiers, and no numeric identifier with a leading zero.
pub(crate) fn valid_prerelease(text: &str) -> bool {
    valid_identifiers(text)
        && text.split('.').all(|identifier| {
            !(is_numeric(identifier) && identifier.len() > 1 && identifier.starts_with('0'))
        })
}

/// Compares two non-empty prereleases identifier by identifier; a missing
/// identifier sorts first (`alpha` < `alpha.1`).
fn compare_prereleases(left: &str, right: &str) -> Ordering {
    let mut left_parts = left.split('.');
    let mut right_parts = right.split('.');
    loop {
        match (left_parts.next(), right_parts.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(l), Some(r)) => match compare_identifiers(l, r) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
        }
    }
}

fn compare_identifiers(left: &str, right: &str) -> Ordering {
    if left == right {
        return Ordering::Equal;
    }
    // Masterminds treats an identifier as a number only if it fits a u64; a
    // longer run of digits compares as text.
    match (numeric_value(left), numeric_value(right)) {
        (Some(l), Some(r)) => l.cmp(&r),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => left.as_bytes().cmp(right.as_bytes()),
    }
}

fn numeric_value(identifier: &str) -> Option<u64> {
    if is_numeric(identifier) {
        identifier.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Major, minor, patch and prerelease of a parsed version.
    type Parts<'a> = Option<(u64, u64, u64, &'a str)>;

    fn lenient(text: &str) -> Parts<'_> {
        Version::parse(text, Strictness::Lenient).map(|v| (v.major, v.minor, v.patch, v.pre))
    }

    fn strict(text: &str) -> bool {
        Version::parse(text, Strictness::Strict).is_some()
    }

    #[test]
    fn lenient_parse_follows_masterminds_new_version() {
        let cases: &[(&str, Parts<'_>)] = &[
            ("1.2.3", Some((1, 2, 3, ""))),
            ("v1.2.3", Some((1, 2, 3, ""))),
            ("1.2", Some((1, 2, 0, ""))),
            ("v1", Some((1, 0, 0, ""))),
            ("1", Some((1, 0, 0, ""))),
            ("01.02.03", Some((1, 2, 3, ""))),
            ("1.2.3-beta.1", Some((1, 2, 3, "beta.1"))),
            ("1.2.3-alpha-1", Some((1, 2, 3, "alpha-1"))),
            ("1.2-rc.1", Some((1, 2, 0, "rc.1"))),
            ("1.2.3+build.5", Some((1, 2, 3, ""))),
            ("1.2.3-rc.1+build-5", Some((1, 2, 3, "rc.1"))),
            ("1.2.3+meta-with-dash", Some((1, 2, 3, ""))),
            (
                "v2.3.5-20161202202307-sha.e8fc5e5",
                Some((2, 3, 5, "20161202202307-sha.e8fc5e5")),
            ),
            ("18446744073709551615.0.0", Some((u64::MAX, 0, 0, ""))),
            // Not versions.
            ("", None),
            ("v", None),
            ("V1.2.3", None),
            ("vv1.2.3", None),
            ("latest", None),
            ("1.2.3.4", None),
            ("1..3", None),
            ("1.2.", None),
            (".1.2", None),
            ("1.2.3-", None),
            ("1.2.3+", None),
            ("1.2.3-beta..1", None),
            ("1.2.3-01", None),
            ("1.2.3-beta_1", None),
            ("1.2.3 ", None),
            ("18446744073709551616.0.0", None),
            ("1.2.3-é", None),
        ];
        for (text, want) in cases {
            assert_eq!(lenient(text), *want, "lenient parse of {text:?}");
        }
    }

    #[test]
    fn strict_parse_requires_three_segments_without_leading_zeros() {
        let cases: &[(&str, bool)] = &[
            ("1.2.3", true),
            ("v1.2.3", true),
            ("0.0.0", true),
            ("1.2.3-rc.1+build.7", true),
            ("v1.2.3-0", true),
            ("1.2", false),
            ("v1", false),
            ("01.2.3", false),
            ("1.02.3", false),
            ("1.2.03", false),
            ("1.2-rc.1", false),
            ("1.2.3-01", false),
            ("latest", false),
        ];
        for (text, want) in cases {
            assert_eq!(strict(text), *want, "strict parse of {text:?}");
        }
    }

    #[test]
    fn precedence_follows_the_semver_spec() {
        // Each version sorts strictly below the next one (semver.org item 11).
        let ascending = [
            "0.0.0-0",
            "0.0.0",
            "1.0.0-0",
            "1.0.0-1",
            "1.0.0-2",
            "1.0.0-10",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "1.10.0",
            "2.0.0",
        ];
        for pair in ascending.windows(2) {
            let low = Version::parse(pair[0], Strictness::Lenient).expect("valid version");
            let high = Version::parse(pair[1], Strictness::Lenient).expect("valid version");
            assert_eq!(
                low.precedence(&high),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(
                high.precedence(&low),
                Ordering::Greater,
                "{} > {}",
                pair[1],
                pair[0]
            );
        }
    }

    #[test]
    fn metadata_and_shorthand_do_not_change_precedence() {
        let a = Version::parse("1.2.3+one", Strictness::Lenient).expect("valid version");
        let b = Version::parse("v1.2.3+two", Strictness::Lenient).expect("valid version");
        assert_eq!(a.precedence(&b), Ordering::Equal);
        let short = Version::parse("1.2", Strictness::Lenient).expect("valid version");
        let full = Version::parse("1.2.0", Strictness::Lenient).expect("valid version");
        assert_eq!(short.precedence(&full), Ordering::Equal);
    }

    #[test]
    fn overlong_numeric_prerelease_identifiers_compare_as_text() {
        // 2^64 does not fit a u64, so Masterminds compares it as a word, and a
        // word sorts after any number.
        let big = Version::parse("1.0.0-18446744073709551616", Strictness::Lenient)
            .expect("valid version");
        let small = Version::parse("1.0.0-5", Strictness::Lenient).expect("valid version");
        assert_eq!(big.precedence(&small), Ordering::Greater);
    }
}
