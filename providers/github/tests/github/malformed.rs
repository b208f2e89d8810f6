//! Bodies and requests that are not GitHub events of the types acted on:
//! refused with fixed text or acknowledged, never echoed, never a panic.

use kargo_webhook_provider::{Outcome, ProviderError, Refusal};

use crate::support::*;

const UNKNOWN: &str = "event type is not one that announces new commits or images";

#[test]
fn broken_json_is_malformed_for_every_event_acted_on() {
    for event in [
        "ping",
        "push",
        "pull_request",
        "package",
        "registry_package",
    ] {
        for body in [
            &b""[..],
            b"   ",
            fixture!("not-json.txt"),
            b"{",
            br#"{"ref":"refs/heads/main",}"#,
            br#"{"ref":"refs/heads/main"} {}"#,
            b"null",
            b"[]",
            br#"[{"ref":"refs/heads/main"}]"#,
            br#""push""#,
            b"\xef\xbb\xbf{}",
            b"{\"ref\":\"refs/heads/m\xffin\"}",
        ] {
            assert_eq!(
                deliver(event, body),
                Err(INVALID_BODY),
                "{event}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[test]
fn wrong_json_types_are_malformed() {
    for body in [
        r#"{"ref":5,"repository":{"clone_url":"https://github.com/o/r"}}"#,
        r#"{"ref":"refs/heads/main","repository":"https://github.com/o/r"}"#,
        r#"{"ref":"refs/heads/main","repository":[]}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":["https://github.com/o/r"]}}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/o/r"},"commits":{}}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/o/r"},"commits":[5]}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/o/r"},"commits":[{"added":"a.txt"}]}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/o/r"},"commits":[{"added":[1]}]}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/o/r"},"head_commit":"abc"}"#,
        r#"{"ref":"refs/heads/main","ref":"refs/heads/other","repository":{"clone_url":"https://github.com/o/r"}}"#,
    ] {
        let error = deliver("push", body.as_bytes()).expect_err(body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

/// Event types that are not acted on are acknowledged whatever their
/// body, and the header is never echoed.
#[test]
fn other_event_types_are_ignored_without_reading_the_body() {
    for (event, reason) in [
        (
            "issues",
            "event type issues announces no new commits or images",
        ),
        (
            "create",
            "event type create announces no new commits or images",
        ),
        (
            "workflow_run",
            "event type workflow_run announces no new commits or images",
        ),
        ("Push", UNKNOWN),
        ("push ", UNKNOWN),
        ("<script>alert(1)</script>", UNKNOWN),
        ("", UNKNOWN),
    ] {
        for body in [&b"{}"[..], b"not json", fixture!("push-branch.json")] {
            assert_eq!(
                deliver(event, body),
                Ok(Outcome::Ignored(reason)),
                "{event:?}"
            );
            if reason == UNKNOWN && !event.is_empty() {
                assert!(!reason.contains(event.trim()), "{event:?}");
            }
        }
    }
}

#[test]
fn a_request_without_an_event_type_is_ignored() {
    let body = fixture!("push-branch.json");
    let signature = sign(body);
    let headers = [("X-Hub-Signature-256", signature.as_bytes())];
    assert_eq!(
        handle_with(&headers, body, &credentials(SECRET)),
        Ok(Outcome::Ignored(UNKNOWN))
    );
}

/// A webhook left on GitHub's form encoding sends `payload=<json>`: a
/// refusal that tells the operator what to change, rather than a 400 for a
/// body GitHub did send.
#[test]
fn form_encoded_deliveries_are_unsupported() {
    let body = b"payload=%7B%22zen%22%3A%22Design+for+failure.%22%7D";
    for content_type in [
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-Urlencoded; charset=utf-8",
    ] {
        for event in ["ping", "push", "package"] {
            assert_eq!(
                deliver_as(event, Some(content_type), body),
                Err(FORM_ENCODED),
                "{event} {content_type}"
            );
        }
    }
}

/// Any other label, or none, is read as JSON.
#[test]
fn other_content_types_are_read_as_json() {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/json; charset=utf-8"),
    ] {
        assert_eq!(
            deliver_as("ping", content_type, fixture!("ping.json")),
            Ok(Outcome::Ping),
            "{content_type:?}"
        );
    }
}

#[test]
fn refusals_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    for (event, body) in [
        (
            "push",
            format!(r#"{{"ref":"{marker}","repository":"{marker}"}}"#),
        ),
        ("push", format!(r#"{{"ref":"{marker}"#)),
        (
            "pull_request",
            format!(r#"{{"action":"closed","pull_request":{{"html_url":7,"x":"{marker}"}}}}"#),
        ),
        (
            "package",
            format!(
                r#"{{"action":"published","package":{{"package_type":"CONTAINER","package_version":{{"package_url":"{marker} x"}}}}}}"#
            ),
        ),
    ] {
        let error = deliver(event, body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?}").contains(marker));
    }
}

/// Nesting is refused where the provider reads (serde_json's recursion
/// limit), and skipped without recursion where it does not.
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let depth = 100_000;
    let open = "[".repeat(depth);
    let close = "]".repeat(depth);
    for (event, body) in [
        (
            "push",
            format!(r#"{{"ref":"refs/heads/main","commits":{open}{close}}}"#),
        ),
        ("push", format!(r#"{{"ref":"refs/heads/main","x":{open}"#)),
        ("ping", format!("{open}{close}")),
        (
            "pull_request",
            format!(r#"{{"action":"closed","pull_request":{open}{close}}}"#),
        ),
    ] {
        let result = deliver(event, body.as_bytes());
        assert!(
            matches!(
                result,
                Err(Refusal::Provider(ProviderError::MalformedBody(_)))
            ),
            "{event}: {result:?}"
        );
    }
    // Deep, well-formed and in a field that is skipped: read like any push.
    let skipped = format!(
        r#"{{"ref":"refs/heads/main","x":{open}0{close},"repository":{{"clone_url":"{GUESTBOOK}"}}}}"#
    );
    assert!(matches!(
        deliver("push", skipped.as_bytes()),
        Ok(Outcome::Refresh(_))
    ));
}
