//! JSON strings and objects read without copying.

use std::borrow::Cow;
use std::ops::Deref;

use serde::Deserialize;

/// A string field borrowed from the body, owned only when the JSON text has
/// escapes. serde borrows a `Cow<str>` only when it is a field's whole type,
/// not inside `Option` or `Vec`, hence this newtype.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Text<'_> {
    /// True when the string was borrowed from the body.
    #[cfg(test)]
    pub(crate) fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Parses a body that must be one JSON object; `None` for anything else.
/// serde would also build a struct from a JSON array (fields by position),
/// which no GitLab body is.
pub(crate) fn from_object<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Option<T> {
    let first = body
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Field<'a> {
        #[serde(borrow)]
        value: Option<Text<'a>>,
    }

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_decoded() {
        let plain: Field<'_> = from_object(br#"{"value":"a/b"}"#).expect("valid");
        let plain = plain.value.expect("present");
        assert!(plain.is_borrowed());
        assert_eq!(&*plain, "a/b");

        let escaped: Field<'_> = from_object(br#"{"value":"a\/b"}"#).expect("valid");
        let escaped = escaped.value.expect("present");
        assert!(!escaped.is_borrowed());
        assert_eq!(&*escaped, "a/b");
    }

    #[test]
    fn only_an_object_is_read() {
        assert!(from_object::<Field<'_>>(b" \n{}").is_some());
        assert!(from_object::<Field<'_>>(br#"["a"]"#).is_none());
        assert!(from_object::<Field<'_>>(b"null").is_none());
        assert!(from_object::<Field<'_>>(b"").is_none());
        assert!(from_object::<Field<'_>>(b"{} {}").is_none());
    }
}
