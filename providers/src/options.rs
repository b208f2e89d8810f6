//! Options a receiver entry carries besides its `secretRef`, such as
//! Artifactory's `virtualRepoName`: declared by the provider, checked when
//! the receiver is built (a bad value makes the receiver not ready, with the
//! reason, instead of failing deliveries), and handed to the parse step.

use std::collections::BTreeMap;

/// One option a provider reads from its receiver entry.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// The field in `spec.webhookReceivers[].<provider>`, e.g. `virtualRepoName`.
    pub field: &'static str,
    /// What it does, for `kargo-webhook-gateway providers` and the docs.
    pub description: &'static str,
    /// Checks a value; the error is fixed text saying what is wrong.
    pub check: fn(&str) -> Result<(), &'static str>,
}

/// An option value that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field:?} {problem}")]
pub struct OptionError {
    /// The field.
    pub field: &'static str,
    /// What is wrong with it (never the value itself).
    pub problem: &'static str,
}

/// The checked options of one receiver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiverOptions {
    values: BTreeMap<&'static str, String>,
}

impl ReceiverOptions {
    /// Reads and checks each declared option through `lookup`, which gives
    /// the field's text, or `Err` for a field present with a value that is
    /// not text. Absent fields are left unset; undeclared ones are not read.
    pub fn from_lookup<'a>(
        specs: &[OptionSpec],
        lookup: impl Fn(&str) -> Result<Option<&'a str>, ()>,
    ) -> Result<Self, OptionError> {
        let mut values = BTreeMap::new();
        for spec in specs {
            let value = lookup(spec.field).map_err(|()| OptionError {
                field: spec.field,
                problem: "must be a string",
            })?;
            if let Some(value) = value {
                (spec.check)(value).map_err(|problem| OptionError {
                    field: spec.field,
                    problem,
                })?;
                values.insert(spec.field, value.to_owned());
            }
        }
        Ok(Self { values })
    }

    /// The value of `field`, if the receiver entry sets it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values.get(field).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_slashes(value: &str) -> Result<(), &'static str> {
        if value.contains('/') {
            Err("must not contain '/'")
        } else {
            Ok(())
        }
    }

    const SPECS: &[OptionSpec] = &[OptionSpec {
        field: "repoName",
        description: "a repository name",
        check: no_slashes,
    }];

    #[test]
    fn declared_options_are_checked_and_kept() {
        let options =
            ReceiverOptions::from_lookup(SPECS, |field| Ok((field == "repoName").then_some("r")))
                .expect("valid");
        assert_eq!(options.get("repoName"), Some("r"));
        assert_eq!(options.get("other"), None);
        let unset = ReceiverOptions::from_lookup(SPECS, |_| Ok(None)).expect("valid");
        assert_eq!(unset, ReceiverOptions::default());
    }

    #[test]
    fn bad_values_name_the_field_not_the_value() {
        let error = ReceiverOptions::from_lookup(SPECS, |_| Ok(Some("a/b"))).expect_err("bad");
        assert_eq!(error.to_string(), "field \"repoName\" must not contain '/'");
        let error = ReceiverOptions::from_lookup(SPECS, |_| Err(())).expect_err("not text");
        assert_eq!(error.to_string(), "field \"repoName\" must be a string");
    }
}
