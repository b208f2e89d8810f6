//! The receiver option `virtualRepoName`: the virtual repository that
//! Warehouses subscribe through, which replaces the local repository key a
//! push names.
//!
//! Its value becomes a path component of an image reference
//! (`<host>/<virtualRepoName>/<image>`), so it is checked when the receiver
//! is built: a value that cannot be a repository key makes the receiver not
//! ready, with the reason, instead of failing every delivery.
//!
//! Artifactory's rules for repository keys: not empty, at most 64
//! characters for local and virtual repositories, none of
//! `/ \ : | ? * " < >`, not `.` or `..`; its UI also refuses spaces and
//! other special characters. What is accepted here is what both allow and an
//! image path can hold: letters, digits, `-`, `_` and `.`.
//!
//! The empty string is accepted and means "not set", as it does for Kargo
//! (the field is `omitempty`, and its receiver ignores an empty value), so
//! that a ProjectConfig rendered with `virtualRepoName: ""` keeps working.

use kargo_webhook_provider::OptionSpec;

/// The option's field in `spec.webhookReceivers[].artifactory`.
pub const FIELD: &str = "virtualRepoName";

/// Artifactory's longest key for a local or virtual repository.
const MAX_LENGTH: usize = 64;

/// The option as the provider declares it.
pub(crate) const SPEC: OptionSpec = OptionSpec {
    field: FIELD,
    description: "the key of the virtual repository Warehouses subscribe through; replaces the local repository key of each push",
    check,
};

/// Checks a value; the error says what is wrong, never the value.
fn check(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        // Not set, as for Kargo: see the module doc.
        return Ok(());
    }
    if value.contains('/') {
        return Err("must be one repository key, without '/'");
    }
    if value.chars().any(char::is_whitespace) {
        return Err("must not contain whitespace");
    }
    if value == "." || value == ".." {
        return Err("must not be '.' or '..'");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err("may only contain letters, digits, '-', '_' and '.'");
    }
    if value.len() > MAX_LENGTH {
        return Err("must be at most 64 characters long");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_keys_pass() {
        for value in [
            "proj-virtual",
            "docker",
            "Team_A.images",
            "a",
            &"v".repeat(64),
        ] {
            assert_eq!(check(value), Ok(()), "{value}");
        }
    }

    #[test]
    fn other_values_say_what_is_wrong() {
        for (value, problem) in [
            ("proj/virtual", "must be one repository key, without '/'"),
            ("/proj", "must be one repository key, without '/'"),
            ("proj virtual", "must not contain whitespace"),
            ("proj-virtual\n", "must not contain whitespace"),
            (" ", "must not contain whitespace"),
            (".", "must not be '.' or '..'"),
            ("..", "must not be '.' or '..'"),
            (
                "proj:virtual",
                "may only contain letters, digits, '-', '_' and '.'",
            ),
            (
                "proj@sha",
                "may only contain letters, digits, '-', '_' and '.'",
            ),
            ("prój", "may only contain letters, digits, '-', '_' and '.'"),
            ("a\\b", "may only contain letters, digits, '-', '_' and '.'"),
        ] {
            assert_eq!(check(value), Err(problem), "{value:?}");
        }
        assert_eq!(
            check(&"v".repeat(65)),
            Err("must be at most 64 characters long")
        );
    }
}
