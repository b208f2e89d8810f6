//! The lexical side of Masterminds/semver constraints: whitespace, operators,
//! the version-like words they apply to, and the rewriting of hyphen ranges.
//!
//! Masterminds describes these with regular expressions; this scanner accepts
//! the same texts and splits them the same way. A constraint version ("cv")
//! is: an optional `v`, one to three dot-separated segments of
//! `[0-9xX*|]` (the `|` is a quirk of Masterminds' character class, kept so
//! the same texts are accepted or refused), then an optional `-prerelease`
//! and `+metadata` made of dot-separated `[0-9A-Za-z-]` identifiers.

use std::borrow::Cow;

/// A comparison operator as written in a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    /// No operator, or `=`: equality, or a tilde range when wildcarded.
    Equal,
    /// `!=`
    NotEqual,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `>=` or `=>`
    GreaterOrEqual,
    /// `<=` or `=<`
    LessOrEqual,
    /// `~` or `~>`: patch-level range.
    Tilde,
    /// `^`: range up to the next breaking version.
    Caret,
}

/// Go's `\s`: exactly these five ASCII characters.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// `text` without its leading whitespace.
pub(crate) fn skip_space(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8))
}

/// Reads an operator at the start of `text`; no operator means `=`.
pub(crate) fn scan_operator(text: &str) -> (Operator, &str) {
    // Two-character operators first: a cv never starts with `=`, `>` or `<`,
    // so the longest operator is always the one Masterminds' regex settles on.
    const TWO: [(&str, Operator); 6] = [
        ("!=", Operator::NotEqual),
        (">=", Operator::GreaterOrEqual),
        ("=>", Operator::GreaterOrEqual),
        ("<=", Operator::LessOrEqual),
        ("=<", Operator::LessOrEqual),
        ("~>", Operator::Tilde),
    ];
    const ONE: [(&str, Operator); 5] = [
        ("=", Operator::Equal),
        (">", Operator::Greater),
        ("<", Operator::Less),
        ("~", Operator::Tilde),
        ("^", Operator::Caret),
    ];
    for (token, operator) in TWO.iter().chain(ONE.iter()) {
        if let Some(rest) = text.strip_prefix(token) {
            return (*operator, rest);
        }
    }
    (Operator::Equal, text)
}

fn is_segment_byte(byte: u8) -> bool {
    byte.is_ascii_digit() || matches!(byte, b'x' | b'X' | b'*' | b'|')
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-'
}

/// Length of the run of bytes at `from` that satisfy `accept`.
fn run_length(bytes: &[u8], from: usize, accept: fn(u8) -> bool) -> usize {
    bytes[from..].iter().take_while(|b| accept(**b)).count()
}

/// The pieces of a constraint version, borrowed from the constraint text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionWord<'a> {
    /// One to three segments: digits, a wildcard, or (refused later) junk.
    pub(crate) segments: Vec<&'a str>,
    /// The prerelease without its `-`; empty when absent.
    pub(crate) pre: &'a str,
}

/// Scans the longest constraint version at the start of `text`.
///
/// Returns the version and the number of bytes it spans, or `None` when
/// `text` does not start with one. Every part is optional except the first
/// segment, and each optional part is taken whenever it can be, which is the
/// longest match, as Go's regular expression engine prefers.
pub(crate) fn scan_version_word(text: &str) -> Option<(VersionWord<'_>, usize)> {
    let bytes = text.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'v'));

    let mut segments = Vec::with_capacity(3);
    let first = run_length(bytes, at, is_segment_byte);
    if first == 0 {
        return None;
    }
    segments.push(&text[at..at + first]);
    at += first;
    while segments.len() < 3 && bytes.get(at) == Some(&b'.') {
        let length = run_length(bytes, at + 1, is_segment_byte);
        if length == 0 {
            break;
        }
        segments.push(&text[at + 1..at + 1 + length]);
        at += 1 + length;
    }

    let mut pre = "";
    if bytes.get(at) == Some(&b'-') {
        let length = identifiers_length(bytes, at + 1);
        if length > 0 {
            pre = &text[at + 1..at + 1 + length];
            at += 1 + length;
        }
    }
    if bytes.get(at) == Some(&b'+') {
        // Metadata is accepted and then ignored, as Masterminds does.
        let length = identifiers_length(bytes, at + 1);
        if length > 0 {
            at += 1 + length;
        }
    }
    Some((VersionWord { segments, pre }, at))
}

/// Length of the dot-separated identifiers starting at `from` (0 if none).
fn identifiers_length(bytes: &[u8], from: usize) -> usize {
    let mut end = from;
    loop {
        let length = run_length(bytes, end, is_identifier_byte);
        if length == 0 {
            // Nothing after the last dot: the dot is not ours.
            return if end == from { 0 } else { end - 1 - from };
        }
        end += length;
        if bytes.get(end) != Some(&b'.') {
            return end - from;
        }
        end += 1;
    }
}

/// Rewrites each hyphen range `A - B` into `>= A, <= B ` the way Masterminds
/// does before anything else is parsed, quirks included: the whitespace
/// around the range is consumed, so `1.0 2.0 - 3.0` turns into an invalid
/// `1.0>= 2.0, <= 3.0 `, exactly as Kargo would see it.
pub(crate) fn rewrite_hyphen_ranges(constraint: &str) -> Cow<'_, str> {
    if !constraint.contains('-') {
        return Cow::Borrowed(constraint);
    }
    let bytes = constraint.as_bytes();
    let mut rewritten = String::new();
    let mut copied_up_to = 0;
    let mut at = 0;
    while at < bytes.len() {
        // Only an ASCII byte can start a range, and slicing there is safe.
        if let Some((low, high, end)) = bytes[at]
            .is_ascii()
            .then(|| range_at(constraint, at))
            .flatten()
        {
            rewritten.push_str(&constraint[copied_up_to..at]);
            rewritten.push_str(">= ");
            rewritten.push_str(low);
            rewritten.push_str(", <= ");
            rewritten.push_str(high);
            rewritten.push(' ');
            copied_up_to = end;
            at = end;
        } else {
            at += 1;
        }
    }
    if copied_up_to == 0 {
        return Cow::Borrowed(constraint);
    }
    rewritten.push_str(&constraint[copied_up_to..]);
    Cow::Owned(rewritten)
}

/// Matches `\s*(cv)\s+-\s+(cv)\s*` at byte `start`, returning both versions
/// and the end of the match.
fn range_at(text: &str, start: usize) -> Option<(&str, &str, usize)> {
    let low_start = text.len() - skip_space(&text[start..]).len();
    let (_, low_length) = scan_version_word(&text[low_start..])?;
    let low_end = low_start + low_length;

    let after_low = &text[low_end..];
    let dash = skip_space(after_low);
    if dash.len() == after_low.len() || !dash.starts_with('-') {
        return None;
    }
    let after_dash = &dash[1..];
    let high = skip_space(after_dash);
    if high.len() == after_dash.len() {
        return None;
    }
    let high_start = text.len() - high.len();
    let (_, high_length) = scan_version_word(high)?;
    let high_end = high_start + high_length;
    let end = text.len() - skip_space(&text[high_end..]).len();
    Some((&text[low_start..low_end], &text[high_start..high_end], end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_read_longest_first() {
        let cases: &[(&str, Operator, &str)] = &[
            (">=1", Operator::GreaterOrEqual, "1"),
            ("=>1", Operator::GreaterOrEqual, "1"),
            ("<=1", Operator::LessOrEqual, "1"),
            ("=<1", Operator::LessOrEqual, "1"),
            ("!=1", Operator::NotEqual, "1"),
            ("~>1", Operator::Tilde, "1"),
            ("~1", Operator::Tilde, "1"),
            ("^1", Operator::Caret, "1"),
            (">1", Operator::Greater, "1"),
            ("<1", Operator::Less, "1"),
            ("=1", Operator::Equal, "1"),
            ("1", Operator::Equal, "1"),
            ("> 1", Operator::Greater, " 1"),
        ];
        for (text, operator, rest) in cases {
            assert_eq!(
                scan_operator(text),
                (*operator, *rest),
                "operator of {text:?}"
            );
        }
    }

    /// Segments, prerelease and length of the version word expected.
    type ExpectedWord<'a> = Option<(&'a [&'a str], &'a str, usize)>;

    #[test]
    fn version_words_take_the_longest_match() {
        let cases: &[(&str, ExpectedWord<'_>)] = &[
            ("1.2.3", Some((&["1", "2", "3"], "", 5))),
            ("v1.x", Some((&["1", "x"], "", 4))),
            ("1.2.3.4", Some((&["1", "2", "3"], "", 5))),
            ("1.2.", Some((&["1", "2"], "", 3))),
            ("1.2.3-beta.1 <2", Some((&["1", "2", "3"], "beta.1", 12))),
            ("1.2.3-beta. x", Some((&["1", "2", "3"], "beta", 10))),
            ("1.2.3-", Some((&["1", "2", "3"], "", 5))),
            ("1.2.3+build.7,", Some((&["1", "2", "3"], "", 13))),
            ("1.2.3+", Some((&["1", "2", "3"], "", 5))),
            ("1.2.3-rc+b", Some((&["1", "2", "3"], "rc", 10))),
            ("*-0", Some((&["*"], "0", 3))),
            ("v", None),
            ("beta", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got =
                scan_version_word(text).map(|(word, length)| (word.segments, word.pre, length));
            let want = want.map(|(segments, pre, length)| (segments.to_vec(), pre, length));
            assert_eq!(got, want, "version word in {text:?}");
        }
    }

    #[test]
    fn hyphen_ranges_are_rewritten_like_masterminds() {
        let cases: &[(&str, &str)] = &[
            ("2 - 3", ">= 2, <= 3 "),
            ("2 - 3, 2 - 3", ">= 2, <= 3 ,>= 2, <= 3 "),
            ("1.2 - 1.4.5", ">= 1.2, <= 1.4.5 "),
            ("1.2.3-beta - 2", ">= 1.2.3-beta, <= 2 "),
            ("1 - 2 || 3 - 4", ">= 1, <= 2 ||>= 3, <= 4 "),
            // Not ranges: the hyphen needs whitespace on both sides.
            ("1.1-3", "1.1-3"),
            ("1 -2", "1 -2"),
            ("1- 2", "1- 2"),
            (">= 1.2.3-alpha", ">= 1.2.3-alpha"),
            // The surrounding whitespace is eaten, as in Masterminds.
            ("1.0 2.0 - 3.0", "1.0>= 2.0, <= 3.0 "),
            (">=1 - 2", ">=>= 1, <= 2 "),
        ];
        for (text, want) in cases {
            assert_eq!(rewrite_hyphen_ranges(text), *want, "rewrite of {text:?}");
        }
    }
}
