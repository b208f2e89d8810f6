//! The top level of a Harbor event, in either format, read without copying.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::format::Format;
use kargo_webhook_provider::json::Text;

/// The fields of both formats that matter, read in one pass, with the
/// event's objects as `D`: [`RawValue`] keeps them unparsed until the type
/// says they matter (a pull or a scan report costs one scan of the body and
/// no allocation for its contents); `push::PushObject` reads a push's
/// objects in the same pass. Unknown fields are skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<'a, D = &'a RawValue> {
    /// CloudEvents' version attribute: only its presence is used, to tell
    /// the formats apart when the content type does not.
    #[serde(default)]
    specversion: Option<IgnoredAny>,
    /// `PUSH_ARTIFACT` in the Default format, `harbor.artifact.pushed` in
    /// CloudEvents. Borrowed unless it contains escapes.
    #[serde(rename = "type", borrow, default)]
    pub(crate) event_type: Option<Text<'a>>,
    /// The Default format's objects.
    #[serde(default = "none")]
    pub(crate) event_data: Option<D>,
    /// The CloudEvents format's objects (the same as `event_data`).
    #[serde(default = "none")]
    pub(crate) data: Option<D>,
}

/// serde's `default` would ask for `D: Default`.
fn none<D>() -> Option<D> {
    None
}

impl<'a, D: Deserialize<'a>> Envelope<'a, D> {
    /// Parses a body that must be one JSON object; `None` for anything else.
    pub(crate) fn parse(body: &'a [u8]) -> Option<Self> {
        kargo_webhook_provider::json::from_object(body)
    }
}

impl<D> Envelope<'_, D> {
    /// The format the body's shape shows: CloudEvents carries `specversion`;
    /// the Default format carries `type` and `event_data`.
    pub(crate) fn recognized_format(&self) -> Option<Format> {
        if self.specversion.is_some() {
            Some(Format::CloudEvents)
        } else if self.event_type.is_some() && self.event_data.is_some() {
            Some(Format::Default)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_tells_the_formats_apart() {
        let cloud = br#"{"specversion":"1.0","type":"harbor.artifact.pulled","data":{}}"#;
        let default = br#"{"type":"PULL_ARTIFACT","event_data":{}}"#;
        let neither = br#"{"type":"PULL_ARTIFACT"}"#;
        let parse = |body: &'static [u8]| Envelope::<&RawValue>::parse(body).expect("an object");
        assert_eq!(parse(cloud).recognized_format(), Some(Format::CloudEvents));
        assert_eq!(parse(default).recognized_format(), Some(Format::Default));
        assert_eq!(parse(neither).recognized_format(), None);
    }

    #[test]
    fn only_an_object_is_an_envelope() {
        let parse = Envelope::<&RawValue>::parse;
        assert!(parse(b" \n{}").is_some());
        assert!(parse(br#"[null,"PUSH_ARTIFACT",{}]"#).is_none());
        assert!(parse(b"\"PUSH_ARTIFACT\"").is_none());
        assert!(parse(b"").is_none());
        assert!(parse(b"{} trailing").is_none());
    }

    #[test]
    fn unescaped_strings_are_borrowed_from_the_body() {
        let body = br#"{"type":"PUSH_ARTIFACT","event_data":{"resources":[]}}"#;
        let envelope = Envelope::<&RawValue>::parse(body).expect("an object");
        let event_type = envelope.event_type.expect("present");
        assert!(event_type.is_borrowed());
        assert_eq!(&*event_type, "PUSH_ARTIFACT");
        let data = envelope.event_data.expect("present").get();
        assert_eq!(data, r#"{"resources":[]}"#);
        // The raw data is a slice of the body itself, not a copy.
        let body_range = body.as_ptr_range();
        assert!(body_range.contains(&data.as_ptr()));
    }
}
