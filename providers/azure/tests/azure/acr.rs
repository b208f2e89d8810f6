//! Azure Container Registry events: what a push refreshes, pings, and the
//! actions that announce nothing.

use kargo_webhook_provider::{Outcome, PushedContent};

use crate::support::*;

fn push_of(target: &str, request: &str) -> String {
    format!(r#"{{"id":"1","action":"push","target":{target},"request":{request}}}"#)
}

const HOST: &str = r#"{"host":"contosoprod.azurecr.io"}"#;

#[test]
fn a_push_names_host_and_repository_with_tag_and_digest() {
    assert_eq!(
        pushes(deliver(ACR, fixture!("acr-push.json"))),
        vec![image_push(
            "contosoprod.azurecr.io/payments/api",
            &["2.7.0"],
            &[PUSH_DIGEST],
            PushedContent::Image
        )]
    );
}

/// A manifest pushed by digest has no `tag`: the digest is reported as a
/// digest (the gateway moves no tag for it), never as a tag.
#[test]
fn a_push_by_digest_reports_the_digest_only() {
    let pushed = pushes(deliver(ACR, fixture!("acr-push-digest-only.json")));
    assert_eq!(pushed.len(), 1);
    assert!(pushed[0].tags.is_empty());
    assert_eq!(pushed[0].digests, [CHILD_DIGEST]);
    for tag in ["null", r#""""#] {
        let body = push_of(
            &format!(r#"{{"repository":"app","tag":{tag},"digest":"{CHILD_DIGEST}"}}"#),
            HOST,
        );
        assert_eq!(
            pushes(deliver(ACR, body.as_bytes())),
            vec![image_push(
                "contosoprod.azurecr.io/app",
                &[],
                &[CHILD_DIGEST],
                PushedContent::Either
            )],
            "{tag}"
        );
    }
}

/// The media type says whether an image or a chart was pushed; Helm's OCI
/// manifest is an OCI image manifest, which may be either.
#[test]
fn the_media_type_tells_charts_from_images() {
    assert_eq!(
        pushes(deliver(ACR, fixture!("acr-push-helm-chart.json")))[0].content,
        PushedContent::Chart
    );
    for (media_type, content) in [
        (
            r#""application/vnd.docker.distribution.manifest.v2+json""#,
            PushedContent::Image,
        ),
        (
            r#""application/vnd.docker.distribution.manifest.list.v2+json""#,
            PushedContent::Image,
        ),
        (
            r#""application/vnd.oci.image.index.v1+json""#,
            PushedContent::Image,
        ),
        (
            r#""application/vnd.oci.image.manifest.v1+json""#,
            PushedContent::Either,
        ),
        (
            r#""application/vnd.cncf.helm.config.v1+json""#,
            PushedContent::Chart,
        ),
        (r#""""#, PushedContent::Either),
        ("null", PushedContent::Either),
    ] {
        let body = push_of(
            &format!(r#"{{"repository":"app","tag":"v1","mediaType":{media_type}}}"#),
            HOST,
        );
        let pushed = pushes(deliver(ACR, body.as_bytes()));
        assert_eq!(pushed[0].content, content, "{media_type}");
        assert_eq!(pushed[0].tags, ["v1"]);
    }
}

/// ACR hosts are spelled as the client addressed the registry: case and a
/// default port do not make another repository.
#[test]
fn host_and_repository_spellings_normalize() {
    for (host, repository, key) in [
        (
            "ContosoProd.azurecr.io",
            "Payments/API",
            "contosoprod.azurecr.io/payments/api",
        ),
        (
            "contosoprod.azurecr.io:443",
            "payments/api",
            "contosoprod.azurecr.io/payments/api",
        ),
        (
            "contosoprod.azurecr.io",
            "payments/api/",
            "contosoprod.azurecr.io/payments/api",
        ),
        (
            "contosoprod-eastus.data.azurecr.io",
            "a/b/c",
            "contosoprod-eastus.data.azurecr.io/a/b/c",
        ),
    ] {
        let body = push_of(
            &format!(r#"{{"repository":"{repository}","tag":"v1"}}"#),
            &format!(r#"{{"host":"{host}"}}"#),
        );
        let pushed = pushes(deliver(ACR, body.as_bytes()));
        assert_eq!(pushed[0].repository.as_str(), key, "{host} {repository}");
    }
}

#[test]
fn tags_and_digests_outside_the_grammar_are_dropped_but_the_repository_counts() {
    let body = push_of(
        r#"{"repository":"app","tag":"not a tag","digest":"nope"}"#,
        HOST,
    );
    assert_eq!(
        pushes(deliver(ACR, body.as_bytes())),
        vec![image_push(
            "contosoprod.azurecr.io/app",
            &[],
            &[],
            PushedContent::Either
        )]
    );
    let body = push_of(
        &format!(r#"{{"repository":"app","tag":"{PUSH_DIGEST}"}}"#),
        HOST,
    );
    assert!(pushes(deliver(ACR, body.as_bytes()))[0].tags.is_empty());
}

#[test]
fn a_push_without_host_or_repository_is_malformed() {
    for (target, request) in [
        (r#"{"repository":"app","tag":"v1"}"#, "{}"),
        (r#"{"repository":"app","tag":"v1"}"#, r#"{"host":""}"#),
        (r#"{"tag":"v1"}"#, HOST),
        (r#"{"repository":"","tag":"v1"}"#, HOST),
        (r#"{"repository":"a//b","tag":"v1"}"#, HOST),
        (r#"{"repository":"a b","tag":"v1"}"#, HOST),
        (
            r#"{"repository":"app","tag":"v1"}"#,
            r#"{"host":"contoso prod.azurecr.io"}"#,
        ),
        (r#"{"repository":"app","tag":1}"#, HOST),
        (r#"{"repository":"app"}"#, r#"{"host":5}"#),
        ("[]", HOST),
        (r#"{"repository":"app"}"#, r#"["contosoprod.azurecr.io"]"#),
    ] {
        let body = push_of(target, request);
        assert_eq!(deliver(ACR, body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
    for body in [
        r#"{"action":"push"}"#,
        r#"{"action":"push","target":{"repository":"app"}}"#,
        r#"{"action":"push","request":{"host":"contosoprod.azurecr.io"}}"#,
        r#"{"action":"push","target":null,"request":null}"#,
    ] {
        assert_eq!(deliver(ACR, body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
}

#[test]
fn a_ping_is_answered_whatever_else_it_carries() {
    assert_eq!(deliver(ACR, fixture!("acr-ping.json")), Ok(Outcome::Ping));
    for body in [
        r#"{"action":"ping"}"#,
        r#"{"action":"ping","target":{"repository":""},"request":{"host":""}}"#,
        r#"{"action":"ping","target":5}"#,
    ] {
        assert_eq!(deliver(ACR, body.as_bytes()), Ok(Outcome::Ping), "{body}");
    }
}

#[test]
fn other_actions_are_ignored_whatever_their_target() {
    assert_eq!(
        deliver(ACR, fixture!("acr-delete.json")),
        Ok(Outcome::Ignored("action delete announces no new artifact"))
    );
    assert_eq!(
        deliver(ACR, fixture!("acr-chart-push.json")),
        Ok(Outcome::Ignored(CHART_PUSH))
    );
    for (action, reason) in [
        (
            "chart_delete",
            "action chart_delete announces no new artifact",
        ),
        ("quarantine", "action quarantine announces no new artifact"),
        ("Push", "unknown action announces no new artifact"),
        ("<i>pull</i>", "unknown action announces no new artifact"),
    ] {
        for target in ["5", "null", r#"{"repository":7}"#] {
            let body = format!(r#"{{"action":"{action}","target":{target}}}"#);
            assert_eq!(
                deliver(ACR, body.as_bytes()),
                Ok(Outcome::Ignored(reason)),
                "{body}"
            );
        }
    }
}

#[test]
fn unknown_fields_and_escapes_read_as_usual() {
    let body = r#"{"action":"p\u0075sh","timestamp":17,"actor":{"name":"ci"},"source":{"addr":"x"},
        "target":{"repository":"payments\/api","tag":"v\u0031","url":"https://x","size":"big"},
        "request":{"host":"contosoprod.azurecr.io","addr":"10.0.0.1"}}"#;
    assert_eq!(
        pushes(deliver(ACR, body.as_bytes())),
        vec![image_push(
            "contosoprod.azurecr.io/payments/api",
            &["v1"],
            &[],
            PushedContent::Either
        )]
    );
}
