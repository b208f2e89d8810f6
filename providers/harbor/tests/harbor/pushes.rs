//! What a push refreshes: every resource, merged per repository, with tags
//! and digests told apart.

use kargo_webhook_provider::Outcome;

use crate::support::*;

fn push_of(resources: &str) -> String {
    format!(r#"{{"type":"PUSH_ARTIFACT","occur_at":1,"event_data":{{"resources":{resources}}}}}"#)
}

#[test]
fn every_resource_counts_and_one_repository_is_reported_once() {
    let refreshed = refreshed(deliver(JSON, fixture!("push-multiple-resources.json")));
    assert_eq!(
        refreshed,
        vec![
            repo(
                "registry.example.org:8443/team-a/backend/api",
                &["v2.4.0", "v2.4.0-rc.1"],
                &[DIGEST_3F1C, DIGEST_77E9],
            ),
            repo(
                "harbor.example.com/library/nginx",
                &["1.27.1"],
                &[DIGEST_A0B1]
            ),
        ]
    );
}

#[test]
fn a_digest_in_the_tag_field_is_a_digest() {
    let refreshed = refreshed(deliver(JSON, fixture!("push-digest-only.json")));
    assert_eq!(
        refreshed,
        vec![repo(
            "harbor.example.com/library/nginx",
            &[],
            &[DIGEST_77E9]
        )]
    );
}

#[test]
fn a_multi_arch_push_reports_its_children_as_digests() {
    // The children arrive by digest, the index with its tag.
    let body = push_of(&format!(
        r#"[{{"digest":"{DIGEST_77E9}","tag":"{DIGEST_77E9}","resource_url":"harbor.example.com/library/nginx@{DIGEST_77E9}"}},
            {{"digest":"{DIGEST_A0B1}","tag":"1.28.0","resource_url":"harbor.example.com/library/nginx:1.28.0"}}]"#
    ));
    assert_eq!(
        refreshed(deliver(JSON, body.as_bytes())),
        vec![repo(
            "harbor.example.com/library/nginx",
            &["1.28.0"],
            &[DIGEST_77E9, DIGEST_A0B1]
        )]
    );
}

const NO_RESOURCES: &str = "a push without resources announces no new artifact";

/// Harbor writes `resources` with `omitempty`: a push without any is a
/// well-formed event that names nothing, acknowledged so that Harbor does
/// not send it three times.
#[test]
fn a_push_without_resources_is_ignored() {
    let ignored = Ok(Outcome::Ignored(NO_RESOURCES));
    assert_eq!(
        deliver(JSON, fixture!("push-empty-resources.json")),
        ignored
    );
    assert_eq!(deliver(JSON, fixture!("push-no-resources.json")), ignored);
    for body in [
        push_of("[]"),
        push_of("null"),
        r#"{"type":"PUSH_ARTIFACT","event_data":{}}"#.to_owned(),
        r#"{"type":"PUSH_ARTIFACT","event_data":{"repository":{"name":"nginx"}}}"#.to_owned(),
    ] {
        assert_eq!(deliver(JSON, body.as_bytes()), ignored, "{body}");
        assert_eq!(deliver(None, body.as_bytes()), ignored, "{body}");
    }
    for body in [
        r#"{"specversion":"1.0","type":"harbor.artifact.pushed","data":{}}"#,
        r#"{"specversion":"1.0","type":"harbor.artifact.pushed","data":{"resources":null}}"#,
    ] {
        assert_eq!(deliver(CLOUDEVENTS, body.as_bytes()), ignored, "{body}");
        assert_eq!(deliver(None, body.as_bytes()), ignored, "{body}");
    }
}

/// Harbor builds `resource_url` from its external URL with only the scheme
/// cut off: `https://harbor.example.com/` and `https://harbor.example.com:443`
/// give these, and both name the plain host's repository.
#[test]
fn harbors_external_url_spellings_refresh_the_plain_repository() {
    let plain = refreshed(deliver(JSON, fixture!("push-simple.json")));
    for (content_type, body) in [
        (JSON, &fixture!("push-ext-url-trailing-slash.json")[..]),
        (JSON, fixture!("push-ext-url-default-port.json")),
        (
            CLOUDEVENTS,
            fixture!("cloudevents-push-ext-url-trailing-slash.json"),
        ),
        (
            CLOUDEVENTS,
            fixture!("cloudevents-push-ext-url-default-port.json"),
        ),
    ] {
        assert_eq!(refreshed(deliver(content_type, body)), plain);
    }
    let body = push_of(
        r#"[{"tag":"1","resource_url":"harbor.example.com:443//library/nginx:1"},
            {"tag":"2","resource_url":"harbor.example.com:80/library/nginx:2"},
            {"tag":"3","resource_url":"harbor.example.com:8443//library/nginx:3"}]"#,
    );
    assert_eq!(
        refreshed(deliver(JSON, body.as_bytes())),
        vec![
            repo("harbor.example.com/library/nginx", &["1", "2"], &[]),
            repo("harbor.example.com:8443/library/nginx", &["3"], &[]),
        ]
    );
}

#[test]
fn unusable_resources_are_skipped_while_another_is_usable() {
    let body = push_of(
        r#"[{"tag":"v1"},
            {"tag":"v2","resource_url":null},
            {"tag":"v3","resource_url":""},
            {"tag":"v4","resource_url":"harbor.example.com/a b"},
            {"tag":"v5","resource_url":"harbor.example.com/team/app:v5"}]"#,
    );
    assert_eq!(
        refreshed(deliver(JSON, body.as_bytes())),
        vec![repo("harbor.example.com/team/app", &["v5"], &[])]
    );
}

#[test]
fn a_push_with_no_usable_resource_is_malformed() {
    for resources in [
        r#"[{"tag":"v1"}]"#,
        r#"[{"tag":"v1","resource_url":""},{"resource_url":"harbor.example.com/team//x"}]"#,
        r#"[{}]"#,
    ] {
        assert_eq!(
            deliver(JSON, push_of(resources).as_bytes()),
            Err(INVALID_BODY),
            "{resources}"
        );
    }
}

/// Harbor always sends a push's data object; without one, the body is not
/// a push (or contradicts its label: see `formats.rs`).
#[test]
fn a_push_without_data_is_malformed() {
    for body in [
        r#"{"type":"PUSH_ARTIFACT","event_data":null}"#,
        r#"{"type":"PUSH_ARTIFACT"}"#,
        r#"{"specversion":"1.0","type":"harbor.artifact.pushed"}"#,
        r#"{"specversion":"1.0","type":"harbor.artifact.pushed","data":null}"#,
    ] {
        assert_eq!(deliver(None, body.as_bytes()), Err(INVALID_BODY), "{body}");
        let label = if body.contains("specversion") {
            CLOUDEVENTS
        } else {
            JSON
        };
        assert_eq!(deliver(label, body.as_bytes()), Err(INVALID_BODY), "{body}");
    }
}

#[test]
fn tags_outside_the_tag_grammar_are_dropped_but_the_repository_counts() {
    let body = push_of(&format!(
        r#"[{{"digest":"{DIGEST_A0B1}","tag":"not a tag","resource_url":"harbor.example.com/team/app"}},
            {{"digest":"","tag":"","resource_url":"harbor.example.com/team/other"}}]"#
    ));
    assert_eq!(
        refreshed(deliver(JSON, body.as_bytes())),
        vec![
            repo("harbor.example.com/team/app", &[], &[DIGEST_A0B1]),
            repo("harbor.example.com/team/other", &[], &[]),
        ]
    );
}

#[test]
fn unknown_fields_are_tolerated_everywhere() {
    let body = format!(
        r#"{{"type":"PUSH_ARTIFACT","future":{{"nested":[1,2,{{"x":null}}]}},"occur_at":"soon",
            "event_data":{{"custom_attributes":{{"a":"b"}},"repository":42,
              "resources":[{{"tag":"v1","size":12,"resource_url":"harbor.example.com/team/app:v1",
                            "scan_overview":{{"x":[true]}},"digest":"{DIGEST_A0B1}"}}]}}}}"#
    );
    assert_eq!(
        refreshed(deliver(JSON, body.as_bytes())),
        vec![repo("harbor.example.com/team/app", &["v1"], &[DIGEST_A0B1])]
    );
}

#[test]
fn escaped_strings_read_the_same_as_plain_ones() {
    let body = r#"{"type":"PUSH\u005fARTIFACT","event_data":{"resources":[
        {"tag":"v\u0031","resource_url":"harbor.example.com\/team\/app:v1"}]}}"#;
    assert_eq!(
        refreshed(deliver(JSON, body.as_bytes())),
        vec![repo("harbor.example.com/team/app", &["v1"], &[])]
    );
}

#[test]
fn docker_hub_and_host_spellings_normalize() {
    let body = push_of(
        r#"[{"tag":"1","resource_url":"index.docker.io/nginx:1"},
            {"tag":"2","resource_url":"HARBOR.example.com:443/Team/App:2"}]"#,
    );
    assert_eq!(
        refreshed(deliver(JSON, body.as_bytes())),
        vec![
            repo("docker.io/library/nginx", &["1"], &[]),
            repo("harbor.example.com/team/app", &["2"], &[]),
        ]
    );
}

#[test]
fn cloudevents_pushes_read_the_same_resources() {
    let body = format!(
        r#"{{"specversion":"1.0","id":"1","source":"/p","type":"harbor.artifact.pushed",
            "data":{{"resources":[{{"tag":"v1","resource_url":"harbor.example.com/team/app:v1"}},
                                  {{"tag":"v2","resource_url":"harbor.example.com/team/app:v2","digest":"{DIGEST_A0B1}"}}]}}}}"#
    );
    assert_eq!(
        refreshed(deliver(CLOUDEVENTS, body.as_bytes())),
        vec![repo(
            "harbor.example.com/team/app",
            &["v1", "v2"],
            &[DIGEST_A0B1]
        )]
    );
}
