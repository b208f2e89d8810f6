//! Bodies that are not Docker Hub pushes: refused with fixed text (400),
//! never echoed, never a panic.

use crate::support::*;

#[test]
fn broken_json_is_malformed() {
    for body in [
        &b""[..],
        b"   ",
        fixture!("not-json.txt"),
        b"{",
        br#"{"repository":{"repo_name":"myorg/app"},}"#,
        br#"{"repository":{"repo_name":"myorg/app"}} {}"#,
        b"null",
        br#""myorg/app""#,
        br#"[{"repository":{"repo_name":"myorg/app"}}]"#,
        b"\xef\xbb\xbf{\"repository\":{\"repo_name\":\"myorg/app\"}}",
        b"{\"repository\":{\"repo_name\":\"myorg/app\xff\"}}",
    ] {
        assert_eq!(
            deliver(body),
            Err(INVALID_BODY),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

/// `repository.repo_name` is what a push is about: without it there is
/// nothing to refresh, and Docker Hub always sends it.
#[test]
fn a_missing_or_unusable_repo_name_is_malformed() {
    for body in [
        r#"{}"#,
        r#"{"push_data":{"tag":"v1"}}"#,
        r#"{"repository":null}"#,
        r#"{"repository":{}}"#,
        r#"{"repository":{"repo_name":null}}"#,
        r#"{"repository":{"repo_name":""}}"#,
        r#"{"repository":{"repo_name":"  "}}"#,
        r#"{"repository":{"repo_name":"myorg/team//app"}}"#,
        r#"{"repository":{"repo_name":"my org/app"}}"#,
        r#"{"repository":{"name":"app","namespace":"myorg"}}"#,
    ] {
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
}

/// Docker Hub only sends its own repositories: a name on another registry
/// is not a Docker Hub body, and refreshes nothing.
#[test]
fn repositories_of_other_registries_are_malformed() {
    for repo_name in [
        "quay.io/ns/app",
        "ghcr.io/org/app",
        "registry.example.com:8443/team/app",
        "localhost/app",
    ] {
        assert_eq!(
            deliver(&body(repo_name, r#"{"tag":"v1"}"#)),
            Err(INVALID_BODY),
            "{repo_name}"
        );
    }
}

#[test]
fn wrong_json_types_are_malformed() {
    for body in [
        r#"{"repository":"myorg/app"}"#,
        r#"{"repository":["myorg/app"]}"#,
        r#"{"repository":{"repo_name":7}}"#,
        r#"{"repository":{"repo_name":["myorg/app"]}}"#,
        r#"{"push_data":"v1","repository":{"repo_name":"myorg/app"}}"#,
        r#"{"push_data":[],"repository":{"repo_name":"myorg/app"}}"#,
        r#"{"push_data":{"tag":1.5},"repository":{"repo_name":"myorg/app"}}"#,
        r#"{"push_data":{"tag":["v1"]},"repository":{"repo_name":"myorg/app"}}"#,
        r#"{"push_data":{"media_type":false},"repository":{"repo_name":"myorg/app"}}"#,
        r#"{"repository":{"repo_name":"a/b","repo_name":"a/b"}}"#,
        r#"{"repository":{"repo_name":"a/b"},"repository":{"repo_name":"a/b"}}"#,
    ] {
        let error = deliver(body.as_bytes()).expect_err(body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

#[test]
fn refusals_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    let bodies = [
        format!(r#"{{"repository":{{"repo_name":"{marker} x"}}}}"#),
        format!(r#"{{"repository":"{marker}"}}"#),
        format!(r#"{{"{marker}"#),
    ];
    for body in &bodies {
        let error = deliver(body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?} {error}").contains(marker));
    }
}

/// Nesting where the provider reads is refused; a well-formed value in a
/// field it skips is skipped, so such a push is read like any other.
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let depth = 100_000;
    let open = "[".repeat(depth);
    let close = "]".repeat(depth);
    let unclosed = format!(r#"{{"repository":{{"repo_name":"myorg/app"}},"x":{open}0}}"#);
    let in_read_field = format!(r#"{{"repository":{{"repo_name":{open}{close}}}}}"#);
    let top = format!("{open}{close}");
    for body in [unclosed, in_read_field, top] {
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY));
    }
    let skipped = format!(r#"{{"repository":{{"repo_name":"myorg/app"}},"x":{open}0{close}}}"#);
    assert_eq!(
        refreshed(deliver(skipped.as_bytes())),
        [pushed(
            "docker.io/myorg/app",
            &[],
            kargo_webhook_provider::PushedContent::Either
        )]
    );
}
