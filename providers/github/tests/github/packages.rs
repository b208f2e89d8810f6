//! Package events: a published or updated container package (GHCR) names
//! its image repository, tag and digest; everything else is acknowledged.

use kargo_webhook_provider::{Outcome, PushedContent};
use serde_json::{Value, json};

use crate::support::*;

const DIGEST: &str = "sha256:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";
const NOT_PUBLISHED: &str = "only a published or updated package announces a new image";
const NOT_CONTAINER: &str = "only a container package announces a new image";
const NO_VERSION: &str = "a package event without a version names no image";

fn version(package_url: &str, tag: &str, config_media_type: Option<&str>) -> Value {
    let mut manifest =
        json!({"digest": DIGEST, "media_type": "application/vnd.oci.image.index.v1+json"});
    if let Some(media_type) = config_media_type {
        manifest["config"] = json!({"digest": "sha256:0c0c", "media_type": media_type});
    }
    json!({
        "package_url": package_url,
        "container_metadata": {"tag": {"name": tag, "digest": DIGEST}, "manifest": manifest},
    })
}

fn event(field: &str, action: &str, package_type: &str, version: Value) -> Vec<u8> {
    json!({
        "action": action,
        field: {"package_type": package_type, "package_version": version},
    })
    .to_string()
    .into_bytes()
}

fn image(tags: &[&str], content: PushedContent) -> Outcome {
    Outcome::Refresh(vec![image_push(
        "ghcr.io/example-org/guestbook",
        tags,
        &[DIGEST],
        content,
    )])
}

const IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// Both events and both actions, each spelling GitHub uses for the type.
#[test]
fn container_packages_of_either_event_and_action() {
    for (event_type, field) in [
        ("package", "package"),
        ("registry_package", "registry_package"),
    ] {
        for action in ["published", "updated"] {
            for package_type in ["CONTAINER", "container", "docker", "Docker"] {
                let body = event(
                    field,
                    action,
                    package_type,
                    version(
                        "ghcr.io/example-org/guestbook:v1.2.0",
                        "v1.2.0",
                        Some(IMAGE_CONFIG),
                    ),
                );
                assert_eq!(
                    deliver(event_type, &body),
                    Ok(image(&["v1.2.0"], PushedContent::Image)),
                    "{event_type} {action} {package_type}"
                );
            }
        }
    }
}

/// The package is read from the field the event type names.
#[test]
fn the_package_must_be_under_the_events_field() {
    let body = event(
        "registry_package",
        "published",
        "CONTAINER",
        version("ghcr.io/example-org/guestbook:v1", "v1", None),
    );
    assert_eq!(deliver("package", &body), Err(INVALID_BODY));
    let body = event(
        "package",
        "published",
        "CONTAINER",
        version("ghcr.io/example-org/guestbook:v1", "v1", None),
    );
    assert_eq!(deliver("registry_package", &body), Err(INVALID_BODY));
}

#[test]
fn the_config_media_type_tells_charts_from_images() {
    for (media_type, content) in [
        (Some(IMAGE_CONFIG), PushedContent::Image),
        (
            Some("application/vnd.docker.container.image.v1+json"),
            PushedContent::Image,
        ),
        (
            Some("application/vnd.cncf.helm.config.v1+json"),
            PushedContent::Chart,
        ),
        (
            Some("application/vnd.example.unknown+json"),
            PushedContent::Either,
        ),
        (None, PushedContent::Either),
    ] {
        let body = event(
            "package",
            "published",
            "CONTAINER",
            version("ghcr.io/example-org/guestbook:v1.2.0", "v1.2.0", media_type),
        );
        assert_eq!(
            deliver("package", &body),
            Ok(image(&["v1.2.0"], content)),
            "{media_type:?}"
        );
    }
}

/// An untagged version: no tag (so no tag rule sees one), the digest, and
/// the repository from a URL that may end in a bare `:`.
#[test]
fn an_untagged_version_names_the_repository_without_a_tag() {
    for url in [
        "ghcr.io/example-org/guestbook:",
        "ghcr.io/Example-Org/guestbook",
    ] {
        let body = event(
            "package",
            "published",
            "CONTAINER",
            version(url, "", Some(IMAGE_CONFIG)),
        );
        assert_eq!(
            deliver("package", &body),
            Ok(image(&[], PushedContent::Image)),
            "{url}"
        );
    }
}

/// Text that no registry stores as a tag or digest is left out; the
/// repository still counts.
#[test]
fn invalid_tags_and_digests_are_left_out() {
    let body = json!({
        "action": "published",
        "package": {
            "package_type": "CONTAINER",
            "package_version": {
                "package_url": "ghcr.io/example-org/guestbook:",
                "container_metadata": {"tag": {"name": "not a tag", "digest": "nope"}},
            },
        },
    });
    assert_eq!(
        deliver("package", body.to_string().as_bytes()),
        Ok(Outcome::Refresh(vec![image_push(
            "ghcr.io/example-org/guestbook",
            &[],
            &[],
            PushedContent::Either
        )]))
    );
}

/// GitHub's schema allows `container_metadata`, `tag` and `manifest` to be
/// null; the repository is named all the same.
#[test]
fn missing_metadata_leaves_the_repository() {
    for metadata in [
        json!(null),
        json!({}),
        json!({"tag": null, "manifest": null, "labels": null}),
    ] {
        let body = json!({
            "action": "updated",
            "package": {
                "package_type": "CONTAINER",
                "package_version": {"package_url": "ghcr.io/example-org/guestbook:v9", "container_metadata": metadata},
            },
        });
        assert_eq!(
            deliver("package", body.to_string().as_bytes()),
            Ok(Outcome::Refresh(vec![image_push(
                "ghcr.io/example-org/guestbook",
                &[],
                &[],
                PushedContent::Either
            )])),
            "{metadata}"
        );
    }
}

#[test]
fn other_actions_are_acknowledged() {
    for action in ["deleted", "default", "Published", "a-future-action"] {
        let body = event(
            "package",
            action,
            "CONTAINER",
            version("ghcr.io/example-org/guestbook:v1", "v1", None),
        );
        assert_eq!(
            deliver("package", &body),
            Ok(Outcome::Ignored(NOT_PUBLISHED)),
            "{action}"
        );
    }
}

/// Other ecosystems are acknowledged before their version is read: its
/// shape differs by ecosystem (npm's `manifest` is a string).
#[test]
fn other_ecosystems_are_acknowledged_unread() {
    for package_type in ["npm", "maven", "rubygems", "nuget", "", "containers"] {
        let body = json!({
            "action": "published",
            "package": {"package_type": package_type, "package_version": {"manifest": "{}", "container_metadata": 5}},
        });
        assert_eq!(
            deliver("package", body.to_string().as_bytes()),
            Ok(Outcome::Ignored(NOT_CONTAINER)),
            "{package_type}"
        );
    }
    let no_type = json!({"action": "published", "package": {"package_version": {}}});
    assert_eq!(
        deliver("package", no_type.to_string().as_bytes()),
        Ok(Outcome::Ignored(NOT_CONTAINER))
    );
}

#[test]
fn a_package_without_a_version_is_acknowledged() {
    for package in [
        json!({"package_type": "CONTAINER"}),
        json!({"package_type": "CONTAINER", "package_version": null}),
    ] {
        let body = json!({"action": "published", "package": package});
        assert_eq!(
            deliver("package", body.to_string().as_bytes()),
            Ok(Outcome::Ignored(NO_VERSION)),
            "{body}"
        );
    }
}

#[test]
fn a_container_version_without_a_usable_url_is_malformed() {
    for url in [
        json!(null),
        json!(""),
        json!(":"),
        json!("ghcr io/x"),
        json!("ghcr.io/a//b"),
        json!(7),
    ] {
        let body = json!({
            "action": "published",
            "package": {"package_type": "CONTAINER", "package_version": {"package_url": url}},
        });
        assert_eq!(
            deliver("package", body.to_string().as_bytes()),
            Err(INVALID_BODY),
            "{url}"
        );
    }
}

#[test]
fn a_package_event_without_action_or_package_is_malformed() {
    for body in [
        json!({"package": {"package_type": "CONTAINER"}}),
        json!({"action": "published"}),
        json!({"action": "published", "package": null}),
        json!({"action": "published", "package": "CONTAINER"}),
        json!({"action": "published", "package": {"package_type": "CONTAINER", "package_version": []}}),
        json!({"action": "published", "package": {"package_type": 1}}),
        json!({"action": "published", "package": {"package_type": "CONTAINER", "package_version": {"package_url": "ghcr.io/a/b", "container_metadata": {"tag": {"name": 1}}}}}),
        json!({"action": "published", "package": {"package_type": "CONTAINER", "package_version": {"package_url": "ghcr.io/a/b", "container_metadata": {"manifest": "{}"}}}}),
    ] {
        assert_eq!(
            deliver("package", body.to_string().as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}
