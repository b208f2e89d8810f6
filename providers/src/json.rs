//! Reading JSON bodies without copying: strings borrowed from the body, and
//! the check that a body is one JSON object. Every provider parses JSON, so
//! these live here once.

use std::borrow::Cow;
use std::ops::Deref;

use serde::Deserialize;

/// A string field borrowed from the body, owned only when its JSON text has
/// escapes. serde borrows a `Cow<str>` only when it is a field's whole type,
/// not inside `Option` or `Vec`, hence this newtype: declare fields as
/// `#[serde(borrow)] Option<Text<'a>>` or `Vec<Text<'a>>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Text<'_> {
    /// True when the string was borrowed from the body (it had no escapes).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// The text of an optional field, `None` when absent, `null` or empty.
pub fn non_empty<'t>(text: &'t Option<Text<'_>>) -> Option<&'t str> {
    text.as_deref().filter(|text| !text.is_empty())
}

/// Parses a body that must be one JSON object; `None` for anything else.
/// serde would also build a struct from a JSON array (fields by position),
/// which no webhook body is.
pub fn from_object<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Option<T> {
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

    #[derive(Debug, Deserialize)]
    struct Field<'a> {
        #[serde(borrow, default)]
        value: Option<Text<'a>>,
        #[serde(borrow, default)]
        list: Vec<Text<'a>>,
    }

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_decoded() {
        let plain: Field<'_> = from_object(br#"{"value":"a/b","list":["c"]}"#).expect("valid");
        let value = plain.value.expect("present");
        assert!(value.is_borrowed());
        assert_eq!(&*value, "a/b");
        assert!(plain.list[0].is_borrowed());

        let escaped: Field<'_> = from_object(br#"{"value":"a\/b"}"#).expect("valid");
        let value = escaped.value.expect("present");
        assert!(!value.is_borrowed());
        assert_eq!(&*value, "a/b");
    }

    #[test]
    fn empty_and_absent_text_is_none() {
        let empty: Field<'_> = from_object(br#"{"value":""}"#).expect("valid");
        assert_eq!(non_empty(&empty.value), None);
        let null: Field<'_> = from_object(br#"{"value":null}"#).expect("valid");
        assert_eq!(non_empty(&null.value), None);
        let absent: Field<'_> = from_object(b"{}").expect("valid");
        assert_eq!(non_empty(&absent.value), None);
        let set: Field<'_> = from_object(br#"{"value":"x"}"#).expect("valid");
        assert_eq!(non_empty(&set.value), Some("x"));
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
