//! Quay's other notification kinds: told apart by their fields and
//! acknowledged (200) with a fixed reason, since Quay retries anything else.

use kargo_webhook_provider::Outcome;

use crate::support::*;

const BUILD: &str = "build notification announces no push (the build's push sends its own)";
const VULNERABILITY: &str = "vulnerability notification announces no push";

/// Each Dockerfile build event carries `build_id`; `docker_tags` are the
/// tags the build will push, which its own push notification reports.
#[test]
fn build_notifications_are_ignored() {
    for extra in [
        r#""is_manual":false,"manual_user":null"#,
        r#""trigger_metadata":{"ref":"refs/heads/main"}"#,
        r#""image_id":"1245657346""#,
        r#""error_message":"This is a fake error message""#,
    ] {
        let body = format!(
            r#"{{"docker_url":"quay.io/acme/app","build_id":"b-1","docker_tags":["latest"],{extra}}}"#
        );
        assert_eq!(
            deliver(body.as_bytes()),
            Ok(Outcome::Ignored(BUILD)),
            "{body}"
        );
    }
}

/// Clair v2 sends one `vulnerability`, Clair v4 on a new index report adds
/// `vulnerable_index_report_created`; a summary may list `vulnerabilities`.
#[test]
fn vulnerability_notifications_are_ignored() {
    for body in [
        r#"{"docker_url":"quay.io/acme/app","tags":["latest"],"vulnerability":{"id":"CVE-1","priority":"High"}}"#,
        r#"{"docker_url":"quay.io/acme/app","tags":["sha256:ab"],"vulnerable_index_report_created":"true","vulnerability":{}}"#,
        r#"{"docker_url":"quay.io/acme/app","tags":["latest"],"vulnerabilities":[{"priority":"Critical"}]}"#,
        r#"{"docker_url":"quay.io/acme/app","image":"some-image-id","tags":["latest","prod"],"vulnerability":{"id":"CVE-FAKE-CVE"}}"#,
    ] {
        assert_eq!(
            deliver(body.as_bytes()),
            Ok(Outcome::Ignored(VULNERABILITY)),
            "{body}"
        );
    }
}

/// The reasons are fixed text: nothing from the body is echoed.
#[test]
fn reasons_never_echo_the_body() {
    let marker = "echo-marker-7f3a";
    for key in [
        "build_id",
        "vulnerability",
        "message",
        "expiring_in",
        "usage_percent",
    ] {
        let body = format!(r#"{{"docker_url":"quay.io/acme/{marker}","{key}":"{marker}"}}"#);
        let Ok(Outcome::Ignored(reason)) = deliver(body.as_bytes()) else {
            panic!("{body}: expected ignored");
        };
        assert!(!reason.contains(marker), "{reason}");
    }
}

/// A marker set to `null` is absent: such a body is read by what else it
/// holds.
#[test]
fn null_markers_count_as_absent() {
    let body = br#"{"docker_url":"quay.io/acme/app","updated_tags":["v1"],"build_id":null,"vulnerability":null}"#;
    assert_eq!(
        refreshed(deliver(body)),
        [pushed("quay.io/acme/app", &["v1"])]
    );
    let body = br#"{"docker_url":"quay.io/acme/app","build_id":null,"message":null}"#;
    assert_eq!(refreshed(deliver(body)), [pushed("quay.io/acme/app", &[])]);
}
