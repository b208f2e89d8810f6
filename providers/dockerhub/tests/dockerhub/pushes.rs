//! What a push refreshes: the repository `repo_name` names, under Docker
//! Hub's naming rules, with the pushed tag and content kind.

use kargo_webhook_provider::PushedContent::{Chart, Either, Image};

use crate::support::*;

/// Every spelling of one official image gives one key, so a push meets a
/// subscription to `nginx` as well as one to `docker.io/library/nginx`.
#[test]
fn official_image_names_fold_into_one_key() {
    for repo_name in [
        "nginx",
        "library/nginx",
        "docker.io/library/nginx",
        "docker.io/nginx",
        "index.docker.io/library/nginx",
        "registry-1.docker.io/library/nginx",
        "NGINX",
        "Library/Nginx",
    ] {
        assert_eq!(
            refreshed(deliver(&body(repo_name, r#"{"tag":"1.27.1"}"#))),
            [pushed("docker.io/library/nginx", &["1.27.1"], Either)],
            "{repo_name}"
        );
    }
}

#[test]
fn organization_repositories_keep_their_namespace() {
    for repo_name in [
        "acme-corp/payments-api",
        "Acme-Corp/Payments-API",
        "docker.io/acme-corp/payments-api",
        "index.docker.io/acme-corp/payments-api",
    ] {
        assert_eq!(
            refreshed(deliver(&body(repo_name, r#"{"tag":"v1"}"#))),
            [pushed("docker.io/acme-corp/payments-api", &["v1"], Either)],
            "{repo_name}"
        );
    }
}

/// Tags are case-sensitive (`V1` and `v1` are two tags); only the
/// repository is lowercased.
#[test]
fn the_tag_is_kept_as_pushed() {
    assert_eq!(
        refreshed(deliver(&body("MyOrg/App", r#"{"tag":"V1.0.0-RC.1"}"#))),
        [pushed("docker.io/myorg/app", &["V1.0.0-RC.1"], Either)]
    );
}

#[test]
fn the_media_type_says_what_was_pushed() {
    for (media_type, content) in [
        ("application/vnd.oci.image.index.v1+json", Image),
        (
            "application/vnd.docker.distribution.manifest.list.v2+json",
            Image,
        ),
        (
            "application/vnd.docker.distribution.manifest.v2+json",
            Image,
        ),
        ("application/vnd.docker.container.image.v1+json", Image),
        ("application/vnd.oci.image.config.v1+json", Image),
        ("application/vnd.cncf.helm.config.v1+json", Chart),
        ("application/vnd.cncf.helm.chart.content.v1.tar+gzip", Chart),
        ("application/vnd.oci.image.manifest.v1+json", Either),
        ("application/vnd.example.unknown+json", Either),
        ("", Either),
        ("   ", Either),
    ] {
        let push_data = serde_json::json!({"tag": "1.0.0", "media_type": media_type});
        assert_eq!(
            refreshed(deliver(&body("myorg/app", &push_data.to_string()))),
            [pushed("docker.io/myorg/app", &["1.0.0"], content)],
            "{media_type:?}"
        );
    }
    // An absent or null media type leaves the content open too.
    for push_data in [r#"{"tag":"1.0.0"}"#, r#"{"tag":"1.0.0","media_type":null}"#] {
        assert_eq!(
            refreshed(deliver(&body("myorg/app", push_data))),
            [pushed("docker.io/myorg/app", &["1.0.0"], Either)],
            "{push_data}"
        );
    }
}

/// A push without a usable tag still names its repository, with no tag:
/// the provider reports what was pushed, and the gateway's selection
/// decides what that refreshes.
#[test]
fn a_push_without_a_usable_tag_names_the_repository_alone() {
    for push_data in [
        "null",
        "{}",
        r#"{"tag":null}"#,
        r#"{"tag":""}"#,
        r#"{"tag":"not a tag"}"#,
        r#"{"tag":"sha256:aaaa"}"#,
        r#"{"tag":".hidden"}"#,
    ] {
        assert_eq!(
            refreshed(deliver(&body("myorg/app", push_data))),
            [pushed("docker.io/myorg/app", &[], Either)],
            "{push_data}"
        );
    }
    assert_eq!(
        refreshed(deliver(br#"{"repository":{"repo_name":"myorg/app"}}"#)),
        [pushed("docker.io/myorg/app", &[], Either)]
    );
}

/// Fields Docker Hub adds, or types it changes, in parts not read here do
/// not matter.
#[test]
fn unknown_and_unread_fields_are_skipped() {
    let body = br#"{
        "callback_url": 17,
        "push_data": {"tag": "v1", "pushed_at": "yesterday", "pusher": null, "images": {"x": 1},
                      "new_field": [1, 2, {"deep": true}]},
        "repository": {"repo_name": "myorg/app", "star_count": "many", "is_private": "yes"},
        "extra": {"nested": [[[]]]}
    }"#;
    assert_eq!(
        refreshed(deliver(body)),
        [pushed("docker.io/myorg/app", &["v1"], Either)]
    );
}

#[test]
fn escaped_strings_are_decoded() {
    let body = br#"{"push_data":{"tag":"v\u0031","media_type":"application\/vnd.cncf.helm.config.v1+json"},
                    "repository":{"repo_name":"myorg\/app"}}"#;
    assert_eq!(
        refreshed(deliver(body)),
        [pushed("docker.io/myorg/app", &["v1"], Chart)]
    );
}
