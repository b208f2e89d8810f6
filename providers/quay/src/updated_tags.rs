//! The tags a Quay push names, in either shape Quay has written them.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use kargo_webhook_provider::json::Text;

/// `updated_tags` of a push: a list of tag names (`["latest", "v1"]`, what
/// Quay sends today), or, in Quay's early notifications, an object from
/// each tag to its image ID (`{"latest": "b750fe79..."}`), whose keys are
/// the tags. Anything else is refused.
#[derive(Debug)]
pub(crate) struct UpdatedTags<'a>(pub(crate) Vec<Text<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for UpdatedTags<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TagsVisitor(PhantomData))
    }
}

struct TagsVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TagsVisitor<'a> {
    type Value = UpdatedTags<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of tags, or an object keyed by tag")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut tags = Vec::new();
        while let Some(tag) = seq.next_element::<Text<'a>>()? {
            tags.push(tag);
        }
        Ok(UpdatedTags(tags))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tags = Vec::new();
        while let Some((tag, _image)) = map.next_entry::<Text<'a>, IgnoredAny>()? {
            tags.push(tag);
        }
        Ok(UpdatedTags(tags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body<'a> {
        #[serde(borrow, default)]
        updated_tags: Option<UpdatedTags<'a>>,
    }

    fn tags(json: &str) -> Option<Vec<String>> {
        let body: Body<'_> = serde_json::from_str(json).ok()?;
        Some(
            body.updated_tags
                .map(|tags| tags.0.iter().map(|t| t.to_string()).collect())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn both_shapes_give_the_tags() {
        assert_eq!(
            tags(r#"{"updated_tags":["latest","v1"]}"#),
            Some(vec!["latest".into(), "v1".into()])
        );
        assert_eq!(
            tags(r#"{"updated_tags":{"latest":"b750fe79","v1":"a1b2"}}"#),
            Some(vec!["latest".into(), "v1".into()])
        );
        assert_eq!(tags(r#"{"updated_tags":[]}"#), Some(vec![]));
        assert_eq!(tags(r#"{"updated_tags":{}}"#), Some(vec![]));
        assert_eq!(tags(r#"{"updated_tags":null}"#), Some(vec![]));
        assert_eq!(tags(r#"{}"#), Some(vec![]));
    }

    #[test]
    fn other_shapes_are_refused() {
        for json in [
            r#"{"updated_tags":"latest"}"#,
            r#"{"updated_tags":7}"#,
            r#"{"updated_tags":true}"#,
            r#"{"updated_tags":[1]}"#,
            r#"{"updated_tags":[["latest"]]}"#,
            r#"{"updated_tags":[null]}"#,
        ] {
            assert_eq!(tags(json), None, "{json}");
        }
    }
}
