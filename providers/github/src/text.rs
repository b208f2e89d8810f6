//! JSON strings read without copying whenever they have no escapes.

use std::borrow::Cow;
use std::ops::Deref;

use serde::Deserialize;

/// A string field borrowed from the body, owned only when its JSON text has
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

/// The text of an optional field, `None` when absent, `null` or empty.
pub(crate) fn non_empty<'t>(text: &'t Option<Text<'_>>) -> Option<&'t str> {
    text.as_deref().filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Field<'a> {
        #[serde(borrow, default)]
        value: Option<Text<'a>>,
        #[serde(borrow, default)]
        list: Vec<Text<'a>>,
    }

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_decoded() {
        let plain: Field<'_> =
            serde_json::from_str(r#"{"value":"a/b","list":["c"]}"#).expect("valid");
        let value = plain.value.expect("present");
        assert!(value.is_borrowed());
        assert_eq!(&*value, "a/b");
        assert!(plain.list[0].is_borrowed());

        let escaped: Field<'_> = serde_json::from_str(r#"{"value":"a\/b"}"#).expect("valid");
        let value = escaped.value.expect("present");
        assert!(!value.is_borrowed());
        assert_eq!(&*value, "a/b");
    }

    #[test]
    fn empty_and_absent_text_is_none() {
        let empty: Field<'_> = serde_json::from_str(r#"{"value":""}"#).expect("valid");
        assert_eq!(non_empty(&empty.value), None);
        let null: Field<'_> = serde_json::from_str(r#"{"value":null}"#).expect("valid");
        assert_eq!(non_empty(&null.value), None);
        let set: Field<'_> = serde_json::from_str(r#"{"value":"x"}"#).expect("valid");
        assert_eq!(non_empty(&set.value), Some("x"));
    }
}
