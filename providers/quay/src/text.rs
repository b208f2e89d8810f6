//! A JSON string read without copying whenever it has no escapes.

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
        let plain: Field<'_> = serde_json::from_str(r#"{"value":"a/b"}"#).expect("valid");
        let plain = plain.value.expect("present");
        assert!(matches!(plain.0, Cow::Borrowed("a/b")));

        let escaped: Field<'_> = serde_json::from_str(r#"{"value":"a\/b"}"#).expect("valid");
        let escaped = escaped.value.expect("present");
        assert!(matches!(escaped.0, Cow::Owned(_)));
        assert_eq!(&*escaped, "a/b");
    }
}
