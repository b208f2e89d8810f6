//! JSON read without copying: strings borrowed from the body, and the check
//! that a body is one JSON object.

use std::borrow::Cow;
use std::ops::Deref;

use serde::Deserialize;

/// A string field borrowed from the body, owned only when the JSON text has
/// escapes. serde borrows a `Cow<str>` only when it is a field's whole type,
/// not inside `Option`, hence this newtype for optional fields.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// The non-empty text of an optional field.
pub(crate) fn non_empty<'t>(text: &'t Option<Text<'_>>) -> Option<&'t str> {
    text.as_deref().filter(|value| !value.is_empty())
}

/// Parses `json` into `T` when it is one JSON object. serde would also build
/// a struct from a JSON array (fields by position), which no Azure body is.
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Option<T> {
    let first = json
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Field<'a> {
        #[serde(borrow)]
        value: Option<Text<'a>>,
    }

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_decoded() {
        let plain: Field<'_> = serde_json::from_str(r#"{"value":"a/b"}"#).expect("valid");
        let plain = plain.value.expect("present");
        assert!(matches!(plain.0, Cow::Borrowed("a/b")));
        let escaped: Field<'_> = serde_json::from_str(r#"{"value":"a\/b"}"#).expect("valid");
        assert_eq!(escaped.value.as_deref(), Some("a/b"));
    }

    #[test]
    fn only_an_object_is_parsed() {
        assert!(parse_object::<Field<'_>>(b" \n{}").is_some());
        assert!(parse_object::<Field<'_>>(br#"["x"]"#).is_none());
        assert!(parse_object::<Field<'_>>(b"null").is_none());
        assert!(parse_object::<Field<'_>>(b"").is_none());
        assert!(parse_object::<Field<'_>>(b"{} {}").is_none());
    }

    #[test]
    fn empty_text_is_absent() {
        let empty: Field<'_> = serde_json::from_str(r#"{"value":""}"#).expect("valid");
        assert_eq!(non_empty(&empty.value), None);
        let set: Field<'_> = serde_json::from_str(r#"{"value":"x"}"#).expect("valid");
        assert_eq!(non_empty(&set.value), Some("x"));
    }
}
