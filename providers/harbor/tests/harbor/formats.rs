//! Default and CloudEvents formats, told apart by `Content-Type` or, when it
//! does not say, by the body's shape.

use kargo_webhook_provider::Outcome;

use crate::support::*;

fn default_push() -> &'static [u8] {
    fixture!("push-tag.json")
}

fn cloudevents_push() -> &'static [u8] {
    fixture!("cloudevents-push-tag.json")
}

fn expected_push() -> Refreshed {
    vec![repo(
        "registry.example.org:8443/team-a/backend/api",
        &["v2.4.0"],
        &[DIGEST_3F1C],
    )]
}

#[test]
fn one_push_in_both_formats_gives_one_outcome() {
    let default = deliver(JSON, default_push());
    let cloudevents = deliver(CLOUDEVENTS, cloudevents_push());
    assert_eq!(default, cloudevents);
    assert_eq!(refreshed(default), expected_push());
}

#[test]
fn content_type_parameters_and_case_do_not_matter() {
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        " application/json ;charset=UTF-8",
    ] {
        assert_eq!(
            refreshed(deliver(Some(content_type), default_push())),
            expected_push()
        );
    }
    for content_type in [
        "application/cloudevents+json; charset=utf-8",
        "APPLICATION/CLOUDEVENTS+JSON",
    ] {
        assert_eq!(
            refreshed(deliver(Some(content_type), cloudevents_push())),
            expected_push()
        );
    }
}

#[test]
fn without_a_usable_content_type_the_shape_decides() {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/octet-stream"),
        Some(""),
        Some("text/json"),
    ] {
        assert_eq!(
            refreshed(deliver(content_type, default_push())),
            expected_push(),
            "{content_type:?}"
        );
        assert_eq!(
            refreshed(deliver(content_type, cloudevents_push())),
            expected_push(),
            "{content_type:?}"
        );
    }
}

#[test]
fn a_content_type_header_that_is_not_text_is_no_label() {
    let headers = [
        ("Authorization", SECRET),
        ("Content-Type", &b"\xff\xfe"[..]),
    ];
    assert_eq!(
        refreshed(handle_with(&headers, default_push(), &credentials(SECRET))),
        expected_push()
    );
}

#[test]
fn unrecognized_shapes_without_a_label_are_malformed() {
    for body in [
        &br#"{"kind":"PUSH_ARTIFACT"}"#[..],
        br#"{"type":"PUSH_ARTIFACT"}"#,
        b"<event/>",
    ] {
        assert_eq!(deliver(None, body), Err(INVALID_BODY));
        assert_eq!(deliver(Some("text/plain"), body), Err(INVALID_BODY));
    }
}

#[test]
fn harbor_json_under_a_foreign_label_is_still_read() {
    assert_eq!(
        refreshed(deliver(Some("application/xml"), default_push())),
        expected_push()
    );
    assert_eq!(
        refreshed(deliver(
            Some("multipart/form-data; boundary=x"),
            cloudevents_push()
        )),
        expected_push()
    );
}

#[test]
fn foreign_bodies_under_a_foreign_label_are_unsupported() {
    let cases: [(&str, &[u8]); 5] = [
        ("application/xml", b"<event type=\"PUSH_ARTIFACT\"/>"),
        ("text/xml", b"<event/>"),
        ("application/x-www-form-urlencoded", b"type=PUSH_ARTIFACT"),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\n{}\r\n--x--"),
        ("application/xml", br#"{"kind":"not harbor"}"#),
    ];
    for (content_type, body) in cases {
        let error = deliver(Some(content_type), body).expect_err(content_type);
        assert_eq!(error, UNSUPPORTED, "{content_type}");
        assert_eq!(error.kind(), "unsupported_content");
    }
}

/// The label decides where the event's objects are: a body in the other
/// format names a push whose data is missing, which is refused (so Harbor
/// reports the failure) rather than silently dropped.
#[test]
fn a_body_in_the_other_format_than_its_label_is_malformed() {
    assert_eq!(deliver(JSON, cloudevents_push()), Err(INVALID_BODY));
    assert_eq!(deliver(CLOUDEVENTS, default_push()), Err(INVALID_BODY));
}

#[test]
fn cloudevents_non_pushes_are_ignored_by_name() {
    for name in [
        "harbor.artifact.pulled",
        "harbor.artifact.deleted",
        "harbor.quota.exceeded",
        "harbor.quota.warned",
        "harbor.replication.status.changed",
        "harbor.scan.failed",
        "harbor.scan.completed",
        "harbor.scan.stopped",
        "harbor.tag_retention.finished",
    ] {
        let body = format!(
            r#"{{"specversion":"1.0","id":"1","source":"/p","type":"{name}","data":{{}}}}"#
        );
        let outcome = deliver(CLOUDEVENTS, body.as_bytes());
        let expected = format!("event type {name} announces no new artifact");
        assert!(
            matches!(outcome, Ok(Outcome::Ignored(reason)) if reason == expected),
            "{name}: {outcome:?}"
        );
    }
}

#[test]
fn default_non_pushes_are_ignored_by_name() {
    for name in [
        "PULL_ARTIFACT",
        "DELETE_ARTIFACT",
        "QUOTA_EXCEED",
        "QUOTA_WARNING",
        "SCANNING_FAILED",
        "SCANNING_STOPPED",
        "SCANNING_COMPLETED",
        "REPLICATION",
        "TAG_RETENTION",
    ] {
        let body = format!(r#"{{"type":"{name}","occur_at":1,"event_data":{{}}}}"#);
        let outcome = deliver(JSON, body.as_bytes());
        let expected = format!("event type {name} announces no new artifact");
        assert!(
            matches!(outcome, Ok(Outcome::Ignored(reason)) if reason == expected),
            "{name}: {outcome:?}"
        );
    }
}
