//! The receiver option `virtualRepoName`: declared by the provider, checked
//! when the receiver is built (a bad value makes the receiver not ready,
//! never a failed delivery), and read by the parse step.

use kargo_webhook_artifactory::{Artifactory, VIRTUAL_REPO_NAME};
use kargo_webhook_provider::{OptionError, Provider, ReceiverOptions};

use crate::support::*;

fn checked(value: &str) -> Result<ReceiverOptions, OptionError> {
    ReceiverOptions::from_lookup(Artifactory.options(), |field| {
        Ok((field == VIRTUAL_REPO_NAME).then_some(value))
    })
}

#[test]
fn the_option_is_declared_under_kargos_field_name() {
    let specs = Artifactory.options();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].field, "virtualRepoName");
    assert!(!specs[0].description.is_empty());
}

#[test]
fn repository_keys_are_accepted_and_handed_to_parse() {
    for value in ["proj-virtual", "docker", "Team_A.images"] {
        let options = checked(value).expect("a repository key");
        assert_eq!(options.get(VIRTUAL_REPO_NAME), Some(value));
    }
    let unset = ReceiverOptions::from_lookup(Artifactory.options(), |_| Ok(None))
        .expect("the option is optional");
    assert_eq!(unset.get(VIRTUAL_REPO_NAME), None);
}

/// Kargo's field is `omitempty` and its receiver ignores an empty value: a
/// ProjectConfig rendered with `virtualRepoName: ""` is a receiver without
/// the option, not a broken one.
#[test]
fn an_empty_value_means_not_set() {
    checked("").expect("empty is not set");
    let body = fixture!("docker-pushed.json");
    assert_eq!(
        pushes(deliver_to_receiver(Some(""), body)),
        pushes(deliver(body))
    );
}

/// Each value that cannot be a repository key is refused with a reason
/// that names the field and the rule, never the value.
#[test]
fn values_that_are_no_repository_key_are_refused() {
    let long = "v".repeat(65);
    for (value, problem) in [
        ("proj/virtual", "must be one repository key, without '/'"),
        ("proj virtual", "must not contain whitespace"),
        ("proj-virtual\n", "must not contain whitespace"),
        ("..", "must not be '.' or '..'"),
        (
            "proj:virtual",
            "may only contain letters, digits, '-', '_' and '.'",
        ),
        (
            "proj@virtual",
            "may only contain letters, digits, '-', '_' and '.'",
        ),
        (long.as_str(), "must be at most 64 characters long"),
    ] {
        let error = checked(value).expect_err(value);
        assert_eq!(
            error,
            OptionError {
                field: "virtualRepoName",
                problem
            },
            "{value:?}"
        );
        let printed = error.to_string();
        assert!(
            printed.starts_with("field \"virtualRepoName\" "),
            "{printed}"
        );
        if value != ".." {
            assert!(!printed.contains(value), "{printed}");
        }
    }
    let not_text = ReceiverOptions::from_lookup(Artifactory.options(), |_| Err(()));
    assert_eq!(
        not_text,
        Err(OptionError {
            field: "virtualRepoName",
            problem: "must be a string"
        })
    );
}

/// The same push, to a receiver with and without the option.
#[test]
fn parse_reads_the_option() {
    let body = fixture!("docker-pushed.json");
    assert_eq!(
        pushes(deliver(body))[0].repository.as_str(),
        "contoso.jfrog.io/docker-local/payments/api"
    );
    assert_eq!(
        pushes(deliver_to_receiver(Some("payments-virtual"), body))[0]
            .repository
            .as_str(),
        "contoso.jfrog.io/payments-virtual/payments/api"
    );
}
