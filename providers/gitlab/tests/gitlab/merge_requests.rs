//! Merge request events: merged or closed ones let the Promotions waiting
//! on them look again; all others are acknowledged.

use kargo_webhook_provider::Outcome;

use crate::support::*;

fn merge_request(action: &str, url: &str) -> String {
    format!(
        r#"{{"object_kind":"merge_request","object_attributes":{{"iid":3,"action":{action},"url":{url},"state":"merged"}}}}"#
    )
}

const URL: &str = r#""https://gitlab.example.com/platform/app-config/-/merge_requests/3""#;

#[test]
fn merge_and_close_report_the_merge_requests_url() {
    for action in [r#""merge""#, r#""close""#] {
        assert_eq!(
            deliver(Some(MERGE_REQUEST), merge_request(action, URL).as_bytes()),
            closed("https://gitlab.example.com/platform/app-config/-/merge_requests/3"),
            "{action}"
        );
    }
}

/// The URL is reported as GitLab gives it: the gateway compares it with the
/// one `git-wait-for-pr` recorded, which came from GitLab too.
#[test]
fn the_url_is_reported_verbatim() {
    let url = r#""https://GitLab.example.com/Platform/app-config/-/merge_requests/3/""#;
    assert_eq!(
        deliver(
            Some(MERGE_REQUEST),
            merge_request(r#""merge""#, url).as_bytes()
        ),
        closed("https://GitLab.example.com/Platform/app-config/-/merge_requests/3/")
    );
}

#[test]
fn every_other_action_is_acknowledged() {
    for action in [
        r#""open""#,
        r#""reopen""#,
        r#""update""#,
        r#""approved""#,
        r#""unapproved""#,
        r#""approval""#,
        r#""unapproval""#,
        r#""Merge""#,
        r#""closed""#,
        r#""""#,
        "null",
    ] {
        assert_eq!(
            deliver(Some(MERGE_REQUEST), merge_request(action, URL).as_bytes()),
            Ok(Outcome::Ignored(NOT_CLOSED)),
            "{action}"
        );
    }
    let no_action = br#"{"object_kind":"merge_request","object_attributes":{"url":"u"}}"#;
    assert_eq!(
        deliver(Some(MERGE_REQUEST), no_action),
        Ok(Outcome::Ignored(NOT_CLOSED))
    );
}

/// GitLab always sends the merge request's attributes and URL.
#[test]
fn a_closed_merge_request_without_its_url_is_malformed() {
    for body in [
        merge_request(r#""merge""#, r#""""#),
        merge_request(r#""close""#, "null"),
        r#"{"object_kind":"merge_request","object_attributes":{"action":"merge"}}"#.to_owned(),
        r#"{"object_kind":"merge_request"}"#.to_owned(),
        r#"{"object_kind":"merge_request","object_attributes":null}"#.to_owned(),
    ] {
        assert_eq!(
            deliver(Some(MERGE_REQUEST), body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}
