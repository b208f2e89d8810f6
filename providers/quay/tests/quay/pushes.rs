//! What a push refreshes: the repository of `docker_url` with the tags of
//! `updated_tags`.

use crate::support::*;

/// `docker_url` is an image reference on Quay's own host: the key keeps the
/// host (and any port other than the default ones) and lowercases it.
#[test]
fn docker_url_spellings_give_one_key() {
    for docker_url in [
        "quay.io/acme/payments-api",
        "Quay.io/Acme/Payments-API",
        "quay.io/acme/payments-api/",
        "quay.io:443/acme/payments-api",
        " quay.io/acme/payments-api ",
    ] {
        assert_eq!(
            refreshed(deliver(&push(docker_url, r#"["v1"]"#))),
            [pushed("quay.io/acme/payments-api", &["v1"])],
            "{docker_url}"
        );
    }
}

/// A self-hosted Quay names its own host; a port other than 443 or 80 is
/// another registry and is kept.
#[test]
fn self_hosted_hosts_and_ports_are_kept() {
    for (docker_url, key) in [
        (
            "registry.example.com/team/app",
            "registry.example.com/team/app",
        ),
        (
            "registry.example.com:8443/team/app",
            "registry.example.com:8443/team/app",
        ),
        (
            "localhost:8080/devtable/simple",
            "localhost:8080/devtable/simple",
        ),
    ] {
        assert_eq!(
            refreshed(deliver(&push(docker_url, r#"["v1"]"#))),
            [pushed(key, &["v1"])],
            "{docker_url}"
        );
    }
}

/// Every tag counts, each once, in the order Quay lists them; tags keep
/// their case.
#[test]
fn every_tag_counts_once() {
    assert_eq!(
        refreshed(deliver(&push(
            "quay.io/acme/app",
            r#"["v1.0.0","latest","v1.0.0","V1.0.0","1.0"]"#
        ))),
        [pushed(
            "quay.io/acme/app",
            &["v1.0.0", "latest", "V1.0.0", "1.0"]
        )]
    );
}

/// Without a usable tag the repository is reported alone, with no tag: the
/// provider reports what was pushed, and the gateway's selection decides
/// what that refreshes.
#[test]
fn a_push_without_a_usable_tag_names_the_repository_alone() {
    for updated_tags in [
        "[]",
        "{}",
        "null",
        r#"[""]"#,
        r#"["not a tag"]"#,
        r#"["sha256:aaaa"]"#,
    ] {
        assert_eq!(
            refreshed(deliver(&push("quay.io/acme/app", updated_tags))),
            [pushed("quay.io/acme/app", &[])],
            "{updated_tags}"
        );
    }
    assert_eq!(
        refreshed(deliver(br#"{"docker_url":"quay.io/acme/app"}"#)),
        [pushed("quay.io/acme/app", &[])]
    );
}

/// Unusable tags are left out; the usable ones still count.
#[test]
fn unusable_tags_are_left_out() {
    assert_eq!(
        refreshed(deliver(&push(
            "quay.io/acme/app",
            r#"["", "v1", "bad tag", ".x", "v2"]"#
        ))),
        [pushed("quay.io/acme/app", &["v1", "v2"])]
    );
}

/// The early shape, an object from tag to image ID, gives its keys.
#[test]
fn an_object_of_tags_gives_its_keys() {
    assert_eq!(
        refreshed(deliver(&push(
            "quay.io/acme/app",
            r#"{"latest":"b750fe79","v1":null,"v2":{"id":1}}"#
        ))),
        [pushed("quay.io/acme/app", &["latest", "v1", "v2"])]
    );
}

#[test]
fn unknown_fields_and_escapes_are_handled() {
    let body = br#"{"docker_url":"quay.io\/acme\/app","updated_tags":["v\u0031"],
                    "pruned_image_count":3,"homepage":7,"repository":["x"],"future":{"a":[1]}}"#;
    assert_eq!(
        refreshed(deliver(body)),
        [pushed("quay.io/acme/app", &["v1"])]
    );
}

/// Lists as long as a body can hold stay linear, each tag once.
#[test]
fn long_tag_lists_are_read_whole() {
    let tags: Vec<String> = (0..50_000).map(|i| format!("v{i}")).collect();
    let mut with_repeats = tags.clone();
    with_repeats.extend(tags.iter().take(1000).cloned());
    let body = push(
        "quay.io/acme/app",
        &serde_json::to_string(&with_repeats).expect("json"),
    );
    let refreshed = refreshed(deliver(&body));
    assert_eq!(refreshed.len(), 1);
    assert_eq!(refreshed[0].tags, tags);
}
