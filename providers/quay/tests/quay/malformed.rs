//! Bodies that are none of Quay's notifications: refused with fixed text
//! (400), never echoed, never a panic.

use kargo_webhook_provider::Outcome;

use crate::support::*;

#[test]
fn broken_json_is_malformed() {
    for body in [
        &b""[..],
        b"   ",
        fixture!("not-json.txt"),
        b"{",
        br#"{"docker_url":"quay.io/acme/app",}"#,
        br#"{"docker_url":"quay.io/acme/app"} {}"#,
        b"null",
        br#""quay.io/acme/app""#,
        br#"[{"docker_url":"quay.io/acme/app","updated_tags":["v1"]}]"#,
        br#"["quay.io/acme/app",["v1"]]"#,
        b"\xef\xbb\xbf{\"docker_url\":\"quay.io/acme/app\"}",
        b"{\"docker_url\":\"quay.io/acme/app\xff\"}",
    ] {
        assert_eq!(
            deliver(body),
            Err(INVALID_BODY),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

/// A push must name its repository: without a usable `docker_url` there is
/// nothing to refresh, and Quay always sends one.
#[test]
fn a_push_without_a_usable_docker_url_is_malformed() {
    for body in [
        r#"{"updated_tags":["v1"]}"#,
        r#"{"docker_url":null,"updated_tags":["v1"]}"#,
        r#"{"docker_url":"","updated_tags":["v1"]}"#,
        r#"{"docker_url":"   ","updated_tags":[]}"#,
        r#"{"docker_url":"quay.io/acme//app","updated_tags":["v1"]}"#,
        r#"{"docker_url":"quay.io/acme app","updated_tags":["v1"]}"#,
        r#"{"repository":"acme/app","namespace":"acme","name":"app","updated_tags":["v1"]}"#,
    ] {
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
}

/// A body with none of the fields of any Quay notification is not Quay's
/// (a user-defined body template makes such bodies).
#[test]
fn bodies_of_no_known_shape_are_malformed() {
    for body in [
        r#"{}"#,
        r#"{"repository":"acme/app"}"#,
        r#"{"text":"pushed"}"#,
        r#"{"tags":["v1"]}"#,
        r#"{"docker_tags":["v1"]}"#,
    ] {
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
}

#[test]
fn wrong_json_types_are_malformed() {
    for body in [
        r#"{"docker_url":7,"updated_tags":["v1"]}"#,
        r#"{"docker_url":["quay.io/acme/app"],"updated_tags":["v1"]}"#,
        r#"{"docker_url":{"host":"quay.io"},"updated_tags":["v1"]}"#,
        r#"{"docker_url":"quay.io/acme/app","updated_tags":"v1"}"#,
        r#"{"docker_url":"quay.io/acme/app","updated_tags":7}"#,
        r#"{"docker_url":"quay.io/acme/app","updated_tags":[1]}"#,
        r#"{"docker_url":"quay.io/acme/app","updated_tags":[null]}"#,
        r#"{"docker_url":"quay.io/acme/app","updated_tags":[["v1"]]}"#,
        r#"{"docker_url":"quay.io/acme/app","docker_url":"quay.io/acme/app"}"#,
        r#"{"docker_url":"quay.io/acme/app","updated_tags":[],"updated_tags":[]}"#,
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
        format!(r#"{{"docker_url":"{marker} x","updated_tags":[]}}"#),
        format!(r#"{{"docker_url":"quay.io/a/b","updated_tags":"{marker}"}}"#),
        format!(r#"{{"{marker}"#),
    ];
    for body in &bodies {
        let error = deliver(body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?} {error}").contains(marker));
    }
}

/// Nesting where the provider reads is refused; a well-formed value in a
/// field it skips (or only checks for presence) is skipped.
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let depth = 100_000;
    let open = "[".repeat(depth);
    let close = "]".repeat(depth);
    let unclosed = format!(r#"{{"docker_url":"quay.io/acme/app","x":{open}0}}"#);
    let in_read_field =
        format!(r#"{{"docker_url":"quay.io/acme/app","updated_tags":{open}{close}}}"#);
    let top = format!("{open}{close}");
    for body in [unclosed, in_read_field, top] {
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY));
    }
    let skipped =
        format!(r#"{{"docker_url":"quay.io/acme/app","updated_tags":[],"x":{open}0{close}}}"#);
    assert_eq!(
        refreshed(deliver(skipped.as_bytes())),
        [pushed("quay.io/acme/app", &[])]
    );
    let marker = format!(r#"{{"docker_url":"quay.io/acme/app","build_id":{open}0{close}}}"#);
    assert!(matches!(
        deliver(marker.as_bytes()),
        Ok(Outcome::Ignored(_))
    ));
}
