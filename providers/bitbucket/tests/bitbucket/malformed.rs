//! Bodies that are not Bitbucket events, and events that are not acted on:
//! refused or acknowledged with fixed text, never echoed, never a panic.

use kargo_webhook_provider::{Outcome, ProviderError, Refusal};

use crate::support::*;

/// The keys whose bodies are read.
const READ: [&str; 6] = [
    "repo:push",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
    "repo:refs_changed",
    "pr:merged",
    "pr:declined",
];

#[test]
fn broken_json_is_malformed_for_every_event_that_is_read() {
    for key in READ {
        for body in [
            &b""[..],
            b"   ",
            fixture!("not-json.txt"),
            b"{",
            br#"{"push":{},}"#,
            br#"{"push":{}} {}"#,
            b"null",
            br#""repo:push""#,
            br#"[{"push":{}}]"#,
            b"\xef\xbb\xbf{}",
            b"{\"push\":\"\xff\"}",
        ] {
            assert_eq!(
                deliver(Some(key), body),
                Err(INVALID_BODY),
                "{key}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[test]
fn wrong_json_types_are_malformed() {
    let html =
        r#""repository":{"links":{"html":{"href":"https://bitbucket.org/acme/app-config"}}}"#;
    let clone = r#""repository":{"links":{"clone":[{"href":"https://bitbucket.example.com/scm/plat/app-config.git"}]}}"#;
    for (key, body) in [
        ("repo:push", format!(r#"{{{html},"push":"main"}}"#)),
        ("repo:push", format!(r#"{{{html},"push":{{"changes":{{}}}}}}"#)),
        ("repo:push", format!(r#"{{{html},"push":{{"changes":["main"]}}}}"#)),
        ("repo:push", format!(r#"{{{html},"push":{{"changes":[{{"new":"main"}}]}}}}"#)),
        ("repo:push", format!(r#"{{{html},"push":{{"changes":[{{"new":{{"type":"branch","name":7}}}}]}}}}"#)),
        ("repo:push", format!(r#"{{{html},"push":{{"changes":[{{"old":{{"type":1,"name":"x"}}}}]}}}}"#)),
        ("repo:push", r#"{"repository":{"links":{"html":{"href":5}}},"push":{}}"#.to_owned()),
        ("repo:push", r#"{"repository":{"links":{"html":"https://bitbucket.org/a/b"}},"push":{}}"#.to_owned()),
        ("repo:push", format!(r#"{{{html},{html},"push":{{}}}}"#)),
        ("pullrequest:fulfilled", r#"{"pullrequest":{"links":{"html":{"href":true}}}}"#.to_owned()),
        ("pullrequest:rejected", r#"{"pullrequest":"https://bitbucket.org/a/b/pull-requests/1"}"#.to_owned()),
        ("repo:refs_changed", format!(r#"{{{clone},"changes":{{}}}}"#)),
        ("repo:refs_changed", format!(r#"{{{clone},"changes":[{{"ref":{{"id":5}}}}]}}"#)),
        ("repo:refs_changed", format!(r#"{{{clone},"changes":[{{"refId":["refs/heads/main"]}}]}}"#)),
        ("repo:refs_changed", r#"{"repository":{"links":{"clone":{"href":"https://bitbucket.example.com/scm/a/b.git"}}}}"#.to_owned()),
        ("repo:refs_changed", r#"{"repository":{"links":{"clone":["https://bitbucket.example.com/scm/a/b.git"]}}}"#.to_owned()),
        ("pr:merged", r#"{"pullRequest":{"links":{"self":{"href":"https://bitbucket.example.com/x"}}}}"#.to_owned()),
        ("pr:declined", r#"{"pullRequest":{"links":{"self":[{"href":1}]}}}"#.to_owned()),
    ] {
        let error = deliver(Some(key), body.as_bytes()).expect_err(&body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

/// Only the events acted on are read: any other is acknowledged whatever
/// its body, so that Bitbucket does not retry it.
#[test]
fn other_events_are_ignored_unread() {
    for body in [
        &b""[..],
        b"not json",
        b"[1,2]",
        fixture!("cloud-repo-push-branch.json"),
    ] {
        for (key, reason) in [
            ("repo:fork", "event key repo:fork is not acted on"),
            (
                "pullrequest:updated",
                "event key pullrequest:updated is not acted on",
            ),
            (
                "pullrequest:approved",
                "event key pullrequest:approved is not acted on",
            ),
            (
                "pr:from_ref_updated",
                "event key pr:from_ref_updated is not acted on",
            ),
            ("pr:deleted", "event key pr:deleted is not acted on"),
            ("repo:modified", "event key repo:modified is not acted on"),
        ] {
            assert_eq!(
                deliver(Some(key), body),
                Ok(Outcome::Ignored(reason)),
                "{key}"
            );
        }
    }
}

#[test]
fn unknown_or_missing_event_keys_are_ignored_without_echoing_them() {
    for key in [
        "repo:Push",
        "repo:push ",
        "repo:pushed",
        "pullrequest:merged",
        "pr:fulfilled",
        "<b>x</b>",
        "",
    ] {
        let outcome = deliver(Some(key), fixture!("cloud-repo-push-branch.json")).expect("ignored");
        let Outcome::Ignored(reason) = outcome else {
            panic!("{key:?}: expected ignored, got {outcome:?}");
        };
        assert_eq!(reason, "unknown event key is not acted on");
        assert!(key.is_empty() || !reason.contains(key));
    }
    assert_eq!(
        deliver(None, fixture!("cloud-repo-push-branch.json")),
        Ok(Outcome::Ignored(
            "a delivery without X-Event-Key is not acted on"
        ))
    );
}

#[test]
fn refusals_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    for (key, body) in [
        ("repo:push", format!(r#"{{"push":"{marker}"}}"#)),
        ("repo:push", format!(r#"{{"push":{{"changes":"{marker}"#)),
        (
            "repo:push",
            format!(
                r#"{{"repository":{{"links":{{"html":{{"href":"{marker} x"}}}}}},"push":{{}}}}"#
            ),
        ),
        (
            "pr:merged",
            format!(r#"{{"pullRequest":{{"links":{{"self":{marker}}}}}}}"#),
        ),
    ] {
        let error = deliver(Some(key), body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?}").contains(marker));
    }
}

/// Nesting where the provider reads is refused; a well-formed value in a
/// field it skips is skipped, so such a push is read like any other.
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let depth = 100_000;
    let html =
        r#""repository":{"links":{"html":{"href":"https://bitbucket.org/acme/app-config"}}}"#;
    let skipped = format!(
        r#"{{{html},"push":{{"changes":[]}},"x":{}0{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let unclosed = format!(r#"{{{html},"push":{{"x":{}0"#, "[".repeat(depth));
    let in_changes = format!(
        r#"{{{html},"push":{{"changes":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let top = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    for body in [unclosed, in_changes, top] {
        for key in READ {
            let result = deliver(Some(key), body.as_bytes());
            assert!(
                matches!(
                    result,
                    Err(Refusal::Provider(ProviderError::MalformedBody(_)))
                ),
                "{key}: {result:?}"
            );
        }
    }
    assert_eq!(
        refreshed(deliver(Some("repo:push"), skipped.as_bytes())),
        vec![repo(CLOUD_REPO, &[])]
    );
}
