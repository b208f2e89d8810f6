//! Signed bodies that are not Artifactory events: refused with fixed text,
//! never echoed, never a panic.

use kargo_webhook_provider::Outcome;

use crate::support::*;

#[test]
fn broken_json_is_malformed() {
    for body in [
        &b""[..],
        b"   ",
        fixture!("not-json.txt"),
        b"{",
        br#"{"domain":"docker",}"#,
        br#"{"domain":"docker","event_type":"deleted"} {}"#,
        b"null",
        br#""docker""#,
        br#"[{"domain":"docker","event_type":"pushed"}]"#,
        b"\xef\xbb\xbf{}",
        b"{\"domain\":\"dock\xffer\"}",
    ] {
        assert_eq!(
            deliver(body),
            Err(INVALID_BODY),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_missing_or_mistyped_domain_or_event_type_is_malformed() {
    for body in [
        r#"{"event_type":"pushed","data":{}}"#,
        r#"{"domain":"docker","data":{}}"#,
        r#"{"domain":null,"event_type":"pushed"}"#,
        r#"{"domain":"docker","event_type":5}"#,
        r#"{"domain":["docker"],"event_type":"pushed"}"#,
        r#"{"domain":"docker","domain":"docker","event_type":"pushed"}"#,
        r#"{"domain":"artifact","event_type":"deployed","jpd_origin":7}"#,
    ] {
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
}

#[test]
fn a_push_without_data_or_with_mistyped_data_is_malformed() {
    for body in [
        r#"{"domain":"docker","event_type":"pushed","jpd_origin":"https://contoso.jfrog.io"}"#.to_owned(),
        r#"{"domain":"docker","event_type":"pushed","data":null,"jpd_origin":"https://contoso.jfrog.io"}"#.to_owned(),
        r#"{"domain":"docker","event_type":"pushed","data":[],"jpd_origin":"https://contoso.jfrog.io"}"#.to_owned(),
        pushed(r#""repo_key":"r","path":["app","v1","manifest.json"],"tag":"v1""#, r#""https://contoso.jfrog.io""#),
        pushed(r#""repo_key":5,"path":"app/v1/manifest.json","tag":"v1""#, r#""https://contoso.jfrog.io""#),
        pushed(r#""repo_key":"r","path":"app/v1/manifest.json","tag":1.0"#, r#""https://contoso.jfrog.io""#),
        pushed(r#""repo_key":"r","path":"app/v1/manifest.json","image_type":{}"#, r#""https://contoso.jfrog.io""#),
    ] {
        let error = deliver(body.as_bytes()).expect_err(&body);
        assert_eq!(error, INVALID_BODY, "{body}");
        assert_eq!(error.kind(), "malformed_body");
    }
}

#[test]
fn refusals_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    for body in [
        pushed(
            &format!(r#""repo_key":"r","path":"{marker}","tag":"v1""#),
            r#""https://contoso.jfrog.io""#,
        ),
        pushed(
            r#""repo_key":"r","path":"a/v1/m","tag":"v1""#,
            &format!(r#""{marker}""#),
        ),
        format!(r#"{{"domain":"{marker}"#),
    ] {
        let error = deliver(body.as_bytes()).expect_err("refused");
        assert!(!error.reason().contains(marker));
        assert!(!format!("{error:?}").contains(marker));
    }
    let ignored = format!(r#"{{"domain":"{marker}","event_type":"{marker}"}}"#);
    let Ok(Outcome::Ignored(reason)) = deliver(ignored.as_bytes()) else {
        panic!("an unknown domain is ignored");
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
    for body in [
        format!(r#"{{"domain":"docker","event_type":"pushed","data":{open}{close}}}"#),
        format!(r#"{{"domain":"docker","event_type":"pushed","data":{{"path":{open}{close}}}}}"#),
        format!("{open}{close}"),
        format!(r#"{{"domain":{open}"#),
    ] {
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY));
    }
    let skipped =
        format!(r#"{{"domain":"docker","event_type":"deleted","source":{open}0{close}}}"#);
    assert_eq!(
        deliver(skipped.as_bytes()),
        Ok(Outcome::Ignored(
            "docker event deleted announces no new image"
        ))
    );
}
