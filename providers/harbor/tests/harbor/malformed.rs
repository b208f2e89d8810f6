//! Bodies that are not Harbor events: refused with fixed text, never
//! echoed, never a panic.

use kargo_webhook_provider::{Outcome, ProviderError, Refusal};

use crate::support::*;

#[test]
fn broken_json_is_malformed() {
    for body in [
        &b""[..],
        b"   ",
        fixture!("not-json.txt"),
        b"{",
        br#"{"type":"PUSH_ARTIFACT",}"#,
        br#"{"type":"PUSH_ARTIFACT"} {}"#,
        b"null",
        br#""PUSH_ARTIFACT""#,
        br#"[{"type":"PUSH_ARTIFACT"}]"#,
        b"\xef\xbb\xbf{}",
        b"{\"type\":\"PUSH\xff\"}",
    ] {
        assert_eq!(
            deliver(JSON, body),
            Err(INVALID_BODY),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_missing_or_null_type_is_malformed() {
    assert_eq!(
        deliver(JSON, br#"{"event_data":{"resources":[]}}"#),
        Err(INVALID_BODY)
    );
    assert_eq!(
        deliver(JSON, br#"{"type":null,"event_data":{}}"#),
        Err(INVALID_BODY)
    );
    assert_eq!(
        deliver(
            CLOUDEVENTS,
            br#"{"specversion":"1.0","data":{"resources":[]}}"#
        ),
        Err(INVALID_BODY)
    );
}

#[test]
fn wrong_json_types_are_malformed() {
    for body in [
        r#"{"type":5,"event_data":{"resources":[]}}"#,
        r#"{"type":["PUSH_ARTIFACT"],"event_data":{"resources":[]}}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":{"resources":"harbor.example.com/team/app:v1"}}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":{"resources":{"resource_url":"harbor.example.com/a"}}}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":{"resources":["harbor.example.com/team/app:v1"]}}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"resource_url":7}]}}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"resource_url":"harbor.example.com/a","tag":1.5}]}}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"resource_url":"harbor.example.com/a","digest":false}]}}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":"resources"}"#,
        r#"{"type":"PUSH_ARTIFACT","event_data":[]}"#,
        r#"{"type":"PUSH_ARTIFACT","type":"PUSH_ARTIFACT","event_data":{"resources":[]}}"#,
    ] {
        let error = deliver(JSON, body.as_bytes()).expect_err(body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

/// Only a push's data is read: another event's objects may have any shape.
#[test]
fn other_events_are_ignored_whatever_their_data() {
    for data in ["5", "\"text\"", "[1,2]", r#"{"resources":"x"}"#, "null"] {
        let body = format!(r#"{{"type":"PULL_ARTIFACT","event_data":{data}}}"#);
        assert_eq!(
            deliver(JSON, body.as_bytes()),
            Ok(Outcome::Ignored(
                "event type PULL_ARTIFACT announces no new artifact"
            )),
            "{data}"
        );
    }
}

#[test]
fn unknown_event_types_are_ignored_without_echoing_them() {
    for name in [
        "ARTIFACT_LABELED",
        "push_artifact",
        "harbor.artifact.signed",
        "<b>x</b>",
    ] {
        let body = format!(r#"{{"type":"{name}","event_data":{{}}}}"#);
        let outcome = deliver(JSON, body.as_bytes()).expect("ignored");
        let Outcome::Ignored(reason) = outcome else {
            panic!("{name}: expected ignored, got {outcome:?}");
        };
        assert_eq!(reason, "unknown event type announces no new artifact");
        assert!(!reason.contains(name));
    }
}

#[test]
fn refusals_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    let bodies = [
        format!(r#"{{"type":"PUSH_ARTIFACT","event_data":{{"resources":"{marker}"}}}}"#),
        format!(r#"{{"type":"{marker}"#),
        format!(
            r#"{{"type":"PUSH_ARTIFACT","event_data":{{"resources":[{{"resource_url":"{marker} x"}}]}}}}"#
        ),
    ];
    for body in &bodies {
        let error = deliver(JSON, body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?}").contains(marker));
    }
}

/// Nesting where the provider reads is refused; a well-formed value in a
/// field it skips is skipped without recursion, so such a push is read
/// like any other (here: one without resources).
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let depth = 100_000;
    let bomb = |open: &str, close: &str| -> String {
        format!(
            r#"{{"type":"PUSH_ARTIFACT","event_data":{{"x":{}0{}}}}}"#,
            open.repeat(depth),
            close.repeat(depth)
        )
    };
    // In a skipped field, within a typed field, and at the top level.
    let unclosed_array = bomb("[", "");
    let closed_array = bomb("[", "]");
    let objects = bomb(r#"{"a":"#, "}");
    let resources = format!(
        r#"{{"type":"PUSH_ARTIFACT","event_data":{{"resources":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let top = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    for body in [unclosed_array, resources, top] {
        for content_type in [JSON, CLOUDEVENTS, None] {
            let result = deliver(content_type, body.as_bytes());
            assert!(
                matches!(
                    result,
                    Err(Refusal::Provider(ProviderError::MalformedBody(_)))
                ),
                "{content_type:?}: {result:?}"
            );
        }
    }
    for body in [closed_array, objects] {
        // Read as the Default format that its shape and label say it is.
        for content_type in [JSON, None] {
            assert_eq!(
                deliver(content_type, body.as_bytes()),
                Ok(Outcome::Ignored(
                    "a push without resources announces no new artifact"
                )),
                "{content_type:?}"
            );
        }
        // Labelled CloudEvents, it lacks `data`: malformed.
        assert_eq!(deliver(CLOUDEVENTS, body.as_bytes()), Err(INVALID_BODY));
    }
}
