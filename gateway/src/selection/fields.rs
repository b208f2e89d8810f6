//! Typed reads from a subscription's JSON, treating absent and `null` alike.

use super::error::RuleError;
use serde_json::{Map, Value};

/// The fields of one image or chart subscription.
pub(super) struct Fields<'a> {
    object: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// Reads `subscription`, which is either the subscription object itself
    /// (the value of `image` or `chart`) or the whole `spec.subscriptions[]`
    /// entry holding it under the key `kind`.
    pub(super) fn of(subscription: &'a Value, kind: &str) -> Result<Self, RuleError> {
        let object = subscription.as_object().ok_or(RuleError::NotAnObject)?;
        let object = match object.get(kind) {
            Some(Value::Object(inner)) if !object.contains_key("repoURL") => inner,
            _ => object,
        };
        Ok(Self { object })
    }

    /// The object the fields are read from.
    pub(super) fn object(&self) -> &'a Map<String, Value> {
        self.object
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|value| !value.is_null())
    }

    /// A string field; `None` when absent or null.
    pub(super) fn string(&self, field: &'static str) -> Result<Option<&'a str>, RuleError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(RuleError::WrongType {
                field,
                expected: "a string",
            }),
        }
    }

    /// A boolean field; `None` when absent or null.
    pub(super) fn boolean(&self, field: &'static str) -> Result<Option<bool>, RuleError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(RuleError::WrongType {
                field,
                expected: "a boolean",
            }),
        }
    }

    /// A list of strings; empty when absent or null.
    pub(super) fn strings(&self, field: &'static str) -> Result<Vec<&'a str>, RuleError> {
        let wrong = || RuleError::WrongType {
            field,
            expected: "a list of strings",
        };
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().ok_or_else(wrong))
                .collect(),
            Some(_) => Err(wrong()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_subscription_or_the_entry_holding_it() {
        let inner = json!({"repoURL": "r", "constraint": "^1"});
        let entry = json!({"name": "app", "image": {"repoURL": "r", "constraint": "^1"}});
        for value in [&inner, &entry] {
            let fields = Fields::of(value, "image").expect("an object");
            assert_eq!(fields.string("constraint"), Ok(Some("^1")));
        }
    }

    #[test]
    fn absent_and_null_fields_read_as_unset() {
        let value = json!({"constraint": null, "strictSemvers": null, "allowTagsRegexes": null});
        let fields = Fields::of(&value, "image").expect("an object");
        assert_eq!(fields.string("constraint"), Ok(None));
        assert_eq!(fields.boolean("strictSemvers"), Ok(None));
        assert_eq!(fields.strings("allowTagsRegexes"), Ok(vec![]));
        assert_eq!(fields.string("missing"), Ok(None));
    }

    #[test]
    fn wrong_types_are_reported_with_the_field_name() {
        let value = json!({"constraint": 3, "strictSemvers": "yes", "allowTagsRegexes": ["a", 1], "ignoreTagsRegexes": "a"});
        let fields = Fields::of(&value, "image").expect("an object");
        assert_eq!(
            fields.string("constraint"),
            Err(RuleError::WrongType {
                field: "constraint",
                expected: "a string"
            })
        );
        assert_eq!(
            fields.boolean("strictSemvers"),
            Err(RuleError::WrongType {
                field: "strictSemvers",
                expected: "a boolean"
            })
        );
        for field in ["allowTagsRegexes", "ignoreTagsRegexes"] {
            assert_eq!(
                fields.strings(field),
                Err(RuleError::WrongType {
                    field,
                    expected: "a list of strings"
                })
            );
        }
        assert_eq!(
            Fields::of(&json!("image"), "image").err(),
            Some(RuleError::NotAnObject)
        );
    }
}
