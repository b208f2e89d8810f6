//! What a docker push refreshes: the repository built from the base URL's
//! host, the repository key (or `virtualRepoName`) and the image path, with
//! the pushed tag.

use kargo_webhook_provider::{Outcome, PushedContent};

use crate::support::*;

const ORIGIN: &str = r#""https://contoso.jfrog.io""#;

fn data(path: &str, tag: &str) -> String {
    format!(r#""repo_key":"docker-local","path":"{path}","tag":"{tag}","image_type":"docker""#)
}

#[test]
fn the_image_path_is_the_manifest_path_without_tag_and_file() {
    for (path, key) in [
        ("app/v1/manifest.json", "contoso.jfrog.io/docker-local/app"),
        (
            "team/app/v1/manifest.json",
            "contoso.jfrog.io/docker-local/team/app",
        ),
        (
            "a/b/c/d/v1/list.manifest.json",
            "contoso.jfrog.io/docker-local/a/b/c/d",
        ),
        // An image at the repository's root: `<tag>/manifest.json` alone.
        ("v1/manifest.json", "contoso.jfrog.io/docker-local"),
    ] {
        let body = pushed(&data(path, "v1"), ORIGIN);
        assert_eq!(
            pushes(deliver(body.as_bytes())),
            vec![image_push(key, &["v1"], PushedContent::Image)],
            "{path}"
        );
    }
}

#[test]
fn a_path_of_fewer_than_two_segments_is_malformed() {
    for path in ["manifest.json", ""] {
        let body = pushed(&data(path, "v1"), ORIGIN);
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{path:?}");
    }
    for path in ["a//v1/manifest.json", "a b/v1/manifest.json"] {
        let body = pushed(&data(path, "v1"), ORIGIN);
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{path:?}");
    }
    let body = pushed(r#""repo_key":"docker-local","tag":"v1""#, ORIGIN);
    assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY));
}

/// `virtualRepoName` replaces the repository key the push names, so that a
/// push to any local repository behind a virtual one refreshes the
/// Warehouses subscribed through the virtual one.
#[test]
fn the_virtual_repository_replaces_the_local_one() {
    for repo_key in ["proj-local-a", "proj-local-b"] {
        let body = pushed(
            &format!(
                r#""repo_key":"{repo_key}","path":"team/app/1.2.0/manifest.json","tag":"1.2.0","image_type":"docker""#
            ),
            ORIGIN,
        );
        assert_eq!(
            pushes(deliver_to_receiver(Some("proj-virtual"), body.as_bytes())),
            vec![image_push(
                "contoso.jfrog.io/proj-virtual/team/app",
                &["1.2.0"],
                PushedContent::Image
            )],
            "{repo_key}"
        );
        assert_eq!(
            pushes(deliver(body.as_bytes()))[0].repository.as_str(),
            format!("contoso.jfrog.io/{repo_key}/team/app")
        );
    }
    // Without a repository key, only a receiver with the option can tell.
    for repo_key in ["", r#","repo_key":"""#, r#","repo_key":null"#] {
        let body = pushed(
            &format!(r#""path":"app/v1/manifest.json","tag":"v1"{repo_key}"#),
            ORIGIN,
        );
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{repo_key}");
        assert_eq!(
            pushes(deliver_to_receiver(Some("proj-virtual"), body.as_bytes()))[0]
                .repository
                .as_str(),
            "contoso.jfrog.io/proj-virtual/app"
        );
    }
}

/// The registry host is the host of `jpd_origin`: its scheme, path and
/// credentials are not part of an image reference, its port is (unless it
/// is a default one).
#[test]
fn the_host_of_the_base_url_is_the_registry() {
    for (origin, key) in [
        (
            r#""https://contoso.jfrog.io/""#,
            "contoso.jfrog.io/docker-local/app",
        ),
        (
            r#""https://Contoso.JFrog.io""#,
            "contoso.jfrog.io/docker-local/app",
        ),
        (
            r#""https://contoso.jfrog.io:443/artifactory""#,
            "contoso.jfrog.io/docker-local/app",
        ),
        (
            r#""http://artifactory.internal:8082/artifactory""#,
            "artifactory.internal:8082/docker-local/app",
        ),
        (
            r#""https://admin:pw@artifactory.example.com""#,
            "artifactory.example.com/docker-local/app",
        ),
    ] {
        let body = pushed(&data("app/v1/manifest.json", "v1"), origin);
        assert_eq!(
            pushes(deliver(body.as_bytes()))[0].repository.as_str(),
            key,
            "{origin}"
        );
    }
}

/// Without a "Custom Base URL" the payload names no host, and no
/// repository can be built from it.
#[test]
fn a_base_url_without_a_host_is_malformed() {
    for origin in [
        r#""""#,
        "null",
        r#""contoso.jfrog.io""#,
        r#""https://""#,
        r#""https:///artifactory""#,
        r#""https://conto so.jfrog.io""#,
    ] {
        let body = pushed(&data("app/v1/manifest.json", "v1"), origin);
        assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY), "{origin}");
    }
    let body = r#"{"domain":"docker","event_type":"pushed","data":{"repo_key":"r","path":"app/v1/manifest.json","tag":"v1"}}"#;
    assert_eq!(deliver(body.as_bytes()), Err(INVALID_BODY));
}

/// `docker` images are images; `oci` artifacts may be images or Helm
/// charts; a payload without the field (older versions) may be either;
/// another image type announces nothing Kargo subscribes to.
#[test]
fn the_image_type_says_what_was_pushed() {
    for (image_type, content) in [
        (r#","image_type":"docker""#, PushedContent::Image),
        (r#","image_type":"oci""#, PushedContent::Either),
        ("", PushedContent::Either),
        (r#","image_type":null"#, PushedContent::Either),
    ] {
        let body = pushed(
            &format!(r#""repo_key":"r","path":"app/v1/manifest.json","tag":"v1"{image_type}"#),
            ORIGIN,
        );
        assert_eq!(
            pushes(deliver(body.as_bytes()))[0].content,
            content,
            "{image_type}"
        );
    }
    for image_type in [r#""helm""#, r#""OCI""#, r#""""#, r#""<b>""#] {
        let body = pushed(
            &format!(
                r#""repo_key":"r","path":"app/v1/manifest.json","tag":"v1","image_type":{image_type}"#
            ),
            ORIGIN,
        );
        assert_eq!(
            deliver(body.as_bytes()),
            Ok(Outcome::Ignored(OTHER_IMAGE_TYPE)),
            "{image_type}"
        );
    }
}

#[test]
fn a_tag_outside_the_grammar_is_dropped_but_the_repository_counts() {
    for tag in ["not a tag", "", "sha256:abc", ".hidden"] {
        let body = pushed(&data("app/x/manifest.json", tag), ORIGIN);
        assert_eq!(
            pushes(deliver(body.as_bytes())),
            vec![image_push(
                "contoso.jfrog.io/docker-local/app",
                &[],
                PushedContent::Image
            )],
            "{tag:?}"
        );
    }
    let body = pushed(
        r#""repo_key":"docker-local","path":"app/v1/manifest.json""#,
        ORIGIN,
    );
    assert!(pushes(deliver(body.as_bytes()))[0].tags.is_empty());
}

/// Only the docker domain's `pushed` event refreshes; the others are
/// acknowledged, whatever their data.
#[test]
fn other_events_are_ignored_whatever_their_data() {
    for (domain, event_type, reason) in [
        (
            "docker",
            "deleted",
            "docker event deleted announces no new image",
        ),
        (
            "docker",
            "promoted",
            "docker event promoted announces no new image",
        ),
        (
            "docker",
            "Pushed",
            "unknown docker event announces no new image",
        ),
        (
            "artifact",
            "deployed",
            "events of domain artifact announce no new image",
        ),
        (
            "artifact",
            "pushed",
            "events of domain artifact announce no new image",
        ),
        (
            "build",
            "uploaded",
            "events of domain build announce no new image",
        ),
        (
            "<x>",
            "pushed",
            "events of an unknown domain announce no new image",
        ),
    ] {
        for data in ["5", "null", r#"{"path":7}"#] {
            let body = format!(
                r#"{{"domain":"{domain}","event_type":"{event_type}","data":{data},"jpd_origin":""}}"#
            );
            assert_eq!(
                deliver(body.as_bytes()),
                Ok(Outcome::Ignored(reason)),
                "{body}"
            );
        }
    }
}

#[test]
fn unknown_fields_and_escapes_read_as_usual() {
    let body = r#"{"domain":"dock\u0065r","event_type":"pushed","future":[{"x":null}],
        "data":{"repo_key":"docker-local","path":"team\/app\/v\u0031\/manifest.json","tag":"v\u0031",
                "image_type":"docker","platforms":"many","size":"big"},
        "jpd_origin":"https:\/\/contoso.jfrog.io","source":7}"#;
    assert_eq!(
        pushes(deliver(body.as_bytes())),
        vec![image_push(
            "contoso.jfrog.io/docker-local/team/app",
            &["v1"],
            PushedContent::Image
        )]
    );
}
