//! Bodies and requests that are not Gitea events of the types acted on:
//! refused with fixed text or acknowledged, never echoed, never a panic.

use kargo_webhook_provider::{Outcome, ProviderError, Refusal};

use crate::support::*;

const UNKNOWN: &str = "event type is not one that announces new commits";

#[test]
fn broken_json_is_malformed_for_every_event_acted_on() {
    for event in ["push", "pull_request"] {
        for body in [
            &b""[..],
            fixture!("not-json.txt"),
            b"{",
            br#"{"ref":"refs/heads/main",}"#,
            br#"{"ref":"refs/heads/main"}{}"#,
            b"null",
            b"[]",
            br#"[{"ref":"refs/heads/main"}]"#,
            b"\xef\xbb\xbf{}",
            b"{\"ref\":\"refs/heads/m\xffin\"}",
            b"payload=%7B%7D",
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
        r#"{"ref":5,"repository":{"clone_url":"https://gitea.example.com/o/r.git"}}"#,
        r#"{"ref":"refs/heads/main","repository":"https://gitea.example.com/o/r.git"}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":7}}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://gitea.example.com/o/r.git"},"commits":{}}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://gitea.example.com/o/r.git"},"commits":[{"added":"a.txt"}]}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://gitea.example.com/o/r.git"},"total_commits":"5"}"#,
        r#"{"ref":"refs/heads/main","repository":{"clone_url":"https://gitea.example.com/o/r.git"},"total_commits":1.5}"#,
        r#"{"ref":"refs/heads/main","ref":"refs/heads/x","repository":{"clone_url":"https://gitea.example.com/o/r.git"}}"#,
    ] {
        let error = deliver("push", body.as_bytes()).expect_err(body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

#[test]
fn other_event_types_are_ignored_without_reading_the_body() {
    for (event, reason) in [
        ("create", "event type create announces no new commits"),
        ("release", "event type release announces no new commits"),
        ("issues", "event type issues announces no new commits"),
        ("Push", UNKNOWN),
        ("ping", UNKNOWN),
        ("<img src=x>", UNKNOWN),
        ("", UNKNOWN),
    ] {
        for body in [&b"{}"[..], b"not json", fixture!("push-branch.json")] {
            assert_eq!(
                deliver(event, body),
                Ok(Outcome::Ignored(reason)),
                "{event:?}"
            );
            if reason == UNKNOWN && !event.is_empty() {
                assert!(!reason.contains(event), "{event:?}");
            }
        }
    }
}

/// Only `X-Gitea-Event` names the event (Gitea also sends it as
/// `X-GitHub-Event` and `X-Gogs-Event`, which are not read).
#[test]
fn the_event_comes_from_x_gitea_event_alone() {
    let body = fixture!("push-branch.json");
    let signature = hub_signature(SECRET, body);
    let headers = [
        ("X-GitHub-Event", &b"push"[..]),
        ("X-Gogs-Event", b"push"),
        ("X-Hub-Signature-256", signature.as_bytes()),
    ];
    assert_eq!(
        handle_with(&headers, body, &credentials(SECRET)),
        Ok(Outcome::Ignored(UNKNOWN))
    );
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
    ] {
        let error = deliver(event, body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?}").contains(marker));
    }
}

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
}
