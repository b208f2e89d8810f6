//! Bodies that are not GitLab events, and events that are not acted on:
//! refused or acknowledged with fixed text, never echoed, never a panic.

use kargo_webhook_provider::{Outcome, ProviderError, Refusal};

use crate::support::*;

#[test]
fn broken_json_is_malformed_for_every_event_that_is_read() {
    for event in [PUSH, TAG_PUSH, MERGE_REQUEST] {
        for body in [
            &b""[..],
            b"   ",
            fixture!("not-json.txt"),
            b"{",
            br#"{"ref":"refs/heads/main",}"#,
            br#"{"ref":"refs/heads/main"} {}"#,
            b"null",
            br#""Push Hook""#,
            br#"[{"ref":"refs/heads/main"}]"#,
            b"\xef\xbb\xbf{}",
            b"{\"ref\":\"refs/heads/ma\xff\"}",
        ] {
            assert_eq!(
                deliver(Some(event), body),
                Err(INVALID_BODY),
                "{event}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[test]
fn wrong_json_types_are_malformed() {
    let http = r#""git_http_url":"https://gitlab.example.com/platform/app-config.git""#;
    for (event, body) in [
        (PUSH, format!(r#"{{"ref":5,"repository":{{{http}}}}}"#)),
        (
            PUSH,
            format!(r#"{{"ref":["refs/heads/main"],"repository":{{{http}}}}}"#),
        ),
        (
            PUSH,
            r#"{"ref":"refs/heads/main","repository":"https://gitlab.example.com/a.git"}"#
                .to_owned(),
        ),
        (
            PUSH,
            r#"{"ref":"refs/heads/main","repository":{"git_http_url":7}}"#.to_owned(),
        ),
        (
            PUSH,
            format!(r#"{{"ref":"refs/heads/main","repository":{{{http}}},"commits":{{}}}}"#),
        ),
        (
            PUSH,
            format!(
                r#"{{"ref":"refs/heads/main","repository":{{{http}}},"commits":[{{"added":"a.yaml"}}]}}"#
            ),
        ),
        (
            PUSH,
            format!(
                r#"{{"ref":"refs/heads/main","repository":{{{http}}},"commits":[{{"added":[1]}}]}}"#
            ),
        ),
        (
            PUSH,
            format!(
                r#"{{"ref":"refs/heads/main","repository":{{{http}}},"total_commits_count":"2"}}"#
            ),
        ),
        (
            PUSH,
            format!(
                r#"{{"ref":"refs/heads/main","repository":{{{http}}},"total_commits_count":-1}}"#
            ),
        ),
        (
            PUSH,
            format!(r#"{{"ref":"refs/heads/main","ref":"refs/heads/x","repository":{{{http}}}}}"#),
        ),
        (
            TAG_PUSH,
            format!(r#"{{"ref":true,"repository":{{{http}}}}}"#),
        ),
        (
            MERGE_REQUEST,
            r#"{"object_attributes":{"action":"merge","url":5}}"#.to_owned(),
        ),
        (
            MERGE_REQUEST,
            r#"{"object_attributes":{"action":["merge"],"url":"u"}}"#.to_owned(),
        ),
        (MERGE_REQUEST, r#"{"object_attributes":"merge"}"#.to_owned()),
    ] {
        let error = deliver(Some(event), body.as_bytes()).expect_err(&body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

/// Only the events acted on are read: any other is acknowledged whatever
/// its body, so that GitLab neither retries nor disables the webhook.
#[test]
fn other_events_are_ignored_unread() {
    for body in [&b""[..], b"not json", b"[1,2]", fixture!("push.json")] {
        for (event, reason) in [
            ("Issue Hook", "event type Issue Hook is not acted on"),
            ("Job Hook", "event type Job Hook is not acted on"),
            ("System Hook", "event type System Hook is not acted on"),
            ("Release Hook", "event type Release Hook is not acted on"),
        ] {
            assert_eq!(
                deliver(Some(event), body),
                Ok(Outcome::Ignored(reason)),
                "{event}"
            );
        }
    }
}

#[test]
fn unknown_or_missing_event_types_are_ignored_without_echoing_them() {
    for name in [
        "push hook",
        "Push",
        "Push Hook ",
        "Repository Update Hook",
        "<b>x</b>",
        "",
    ] {
        let outcome = deliver(Some(name), fixture!("push.json")).expect("ignored");
        let Outcome::Ignored(reason) = outcome else {
            panic!("{name:?}: expected ignored, got {outcome:?}");
        };
        assert_eq!(reason, "unknown event type is not acted on");
        assert!(name.is_empty() || !reason.contains(name));
    }
    assert_eq!(
        deliver(None, fixture!("push.json")),
        Ok(Outcome::Ignored(
            "a delivery without X-Gitlab-Event is not acted on"
        ))
    );
    let headers = [
        ("X-Gitlab-Token", TOKEN),
        ("X-Gitlab-Event", &b"Push\xffHook"[..]),
    ];
    assert_eq!(
        handle_with(&headers, fixture!("push.json"), &credentials(TOKEN)),
        Ok(Outcome::Ignored("unknown event type is not acted on"))
    );
}

#[test]
fn refusals_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    for (event, body) in [
        (
            PUSH,
            format!(r#"{{"ref":"{marker}","repository":"{marker}"}}"#),
        ),
        (PUSH, format!(r#"{{"ref":"{marker}"#)),
        (
            PUSH,
            format!(r#"{{"ref":"r","repository":{{"git_http_url":"{marker} x"}}}}"#),
        ),
        (
            MERGE_REQUEST,
            format!(r#"{{"object_attributes":{{"action":"merge","url":{marker}}}}}"#),
        ),
    ] {
        let error = deliver(Some(event), body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?}").contains(marker));
    }
}

/// Nesting where the provider reads is refused; a well-formed value in a
/// field it skips is skipped, so such a push is read like any other.
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let depth = 100_000;
    let http =
        r#""repository":{"git_http_url":"https://gitlab.example.com/platform/app-config.git"}"#;
    let skipped_array = format!(
        r#"{{"ref":"refs/heads/main",{http},"x":{}0{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let unclosed = format!(
        r#"{{"ref":"refs/heads/main",{http},"x":{}0"#,
        "[".repeat(depth)
    );
    let in_commits = format!(
        r#"{{"ref":"refs/heads/main",{http},"commits":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let top = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    for body in [unclosed, in_commits, top] {
        for event in [PUSH, TAG_PUSH, MERGE_REQUEST] {
            let result = deliver(Some(event), body.as_bytes());
            assert!(
                matches!(
                    result,
                    Err(Refusal::Provider(ProviderError::MalformedBody(_)))
                ),
                "{event}: {result:?}"
            );
        }
    }
    assert_eq!(
        refreshed(deliver(Some(PUSH), skipped_array.as_bytes())).len(),
        1
    );
}
