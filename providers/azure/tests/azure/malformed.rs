//! Bodies that are not Azure events: refused with fixed text, never echoed,
//! never a panic.

use kargo_webhook_provider::Outcome;

use crate::support::*;

#[test]
fn broken_json_is_malformed_for_both_services() {
    for body in [
        &b""[..],
        b"   ",
        fixture!("not-json.txt"),
        b"{",
        br#"{"eventType":"git.push",}"#,
        br#"{"action":"ping"} {}"#,
        b"null",
        br#""git.push""#,
        br#"[{"eventType":"git.push"},{"action":"ping"}]"#,
        b"\xef\xbb\xbf{}",
        b"{\"action\":\"pi\xffng\"}",
    ] {
        for user_agent in [DEVOPS, ACR] {
            assert_eq!(
                deliver(user_agent, body),
                Err(INVALID_BODY),
                "{user_agent:?} {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[test]
fn a_missing_or_mistyped_event_name_is_malformed() {
    for body in [
        r#"{"resource":{}}"#,
        r#"{"eventType":null,"resource":{}}"#,
        r#"{"eventType":5}"#,
        r#"{"eventType":["git.push"]}"#,
        r#"{"eventType":"git.push","eventType":"git.push"}"#,
    ] {
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
    for body in [
        r#"{"target":{}}"#,
        r#"{"action":null}"#,
        r#"{"action":{"name":"push"}}"#,
        r#"{"action":"ping","action":"ping"}"#,
    ] {
        assert_eq!(deliver(ACR, body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
}

#[test]
fn wrong_json_types_in_what_is_read_are_malformed() {
    for resource in [
        r#"{"refUpdates":"refs/heads/main","repository":{"remoteUrl":"https://dev.azure.com/o/p/_git/r"}}"#,
        r#"{"refUpdates":[{"name":5}],"repository":{"remoteUrl":"https://dev.azure.com/o/p/_git/r"}}"#,
        r#"{"refUpdates":["refs/heads/main"],"repository":{"remoteUrl":"https://dev.azure.com/o/p/_git/r"}}"#,
        r#"{"repository":"https://dev.azure.com/o/p/_git/r"}"#,
        r#"{"repository":{"remoteUrl":["https://dev.azure.com/o/p/_git/r"]}}"#,
        r#"{"repository":{"remoteUrl":"https://dev.azure.com/o/p/_git/r","sshUrl":1}}"#,
    ] {
        let body = format!(r#"{{"eventType":"git.push","resource":{resource}}}"#);
        let error = deliver(DEVOPS, body.as_bytes()).expect_err(&body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

#[test]
fn refusals_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    let bodies = [
        (
            DEVOPS,
            format!(
                r#"{{"eventType":"git.push","resource":{{"repository":{{"remoteUrl":"{marker} x"}}}}}}"#
            ),
        ),
        (DEVOPS, format!(r#"{{"eventType":"{marker}"#)),
        (
            ACR,
            format!(
                r#"{{"action":"push","target":{{"repository":"{marker} x"}},"request":{{"host":"h.io"}}}}"#
            ),
        ),
    ];
    for (user_agent, body) in &bodies {
        let error = deliver(*user_agent, body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?}").contains(marker));
    }
    let ignored = format!(r#"{{"eventType":"{marker}"}}"#);
    let Ok(Outcome::Ignored(reason)) = deliver(DEVOPS, ignored.as_bytes()) else {
        panic!("an unknown event type is ignored");
    };
    assert!(!reason.contains(marker));
}

/// Nesting where the provider reads is refused; in a field it skips, it is
/// skipped without recursion.
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let depth = 100_000;
    let open = "[".repeat(depth);
    let close = "]".repeat(depth);
    for (user_agent, body) in [
        (
            DEVOPS,
            format!(r#"{{"eventType":"git.push","resource":{open}{close}}}"#),
        ),
        (
            DEVOPS,
            format!(r#"{{"eventType":"git.push","resource":{{"refUpdates":{open}{close}}}}}"#),
        ),
        (ACR, format!(r#"{{"action":"push","target":{open}"#)),
        (DEVOPS, format!("{open}{close}")),
    ] {
        assert_eq!(deliver(user_agent, body.as_bytes()), Err(INVALID_BODY));
    }
    let skipped = format!(r#"{{"eventType":"build.complete","message":{open}0{close}}}"#);
    assert_eq!(
        deliver(DEVOPS, skipped.as_bytes()),
        Ok(Outcome::Ignored(
            "event type build.complete announces no new commits"
        ))
    );
}
