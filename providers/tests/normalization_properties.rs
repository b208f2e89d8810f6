//! Properties of repository normalization: it is idempotent, equivalent
//! spellings of one repository give one key (among them the ones Harbor
//! writes when its external URL ends in `/` or names the default port), and
//! a port other than a default one keeps registries apart.

use kargo_webhook_provider::RepoKey;
use proptest::prelude::*;

fn host() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9-]{0,10}",
        "[a-z]{2,5}",
        proptest::option::of(1024u16..65535),
    )
        .prop_map(|(name, tld, port)| match port {
            Some(port) => format!("{name}.{tld}:{port}"),
            None => format!("{name}.{tld}"),
        })
}

/// A registry host without a port.
fn bare_host() -> impl Strategy<Value = String> {
    ("[a-z][a-z0-9-]{0,10}", "[a-z]{2,5}").prop_map(|(name, tld)| format!("{name}.{tld}"))
}

/// A port that is neither HTTPS's nor HTTP's default.
fn other_port() -> impl Strategy<Value = u16> {
    (1u16..=65535).prop_filter("not a default port", |port| !matches!(port, 80 | 443))
}

/// A host as a registry (or Harbor's `resource_url`) may spell it: with no
/// port, a default port or another one, followed by one or more `/`.
fn any_host_prefix() -> impl Strategy<Value = String> {
    (
        bare_host(),
        prop_oneof![
            Just(String::new()),
            Just(":443".to_owned()),
            Just(":80".to_owned()),
            other_port().prop_map(|port| format!(":{port}")),
        ],
        1usize..4,
    )
        .prop_map(|(host, port, slashes)| format!("{host}{port}{}", "/".repeat(slashes)))
}

fn path() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[a-z0-9][a-z0-9._-]{0,8}[a-z0-9]", 1..4)
}

fn tag() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"
}

fn digest() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}".prop_map(|hex| format!("sha256:{hex}"))
}

/// Upper-cases the characters selected by `mask`.
fn mixed_case(text: &str, mask: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn image_normalization_is_idempotent(host in host(), path in path(), tag in tag()) {
        let key = RepoKey::image(&format!("{host}/{}:{tag}", path.join("/"))).expect("valid");
        prop_assert_eq!(RepoKey::image(key.as_str()).expect("valid"), key);
    }

    #[test]
    fn image_spellings_meet(
        host in host(), path in path(), tag in tag(), digest in digest(), mask in any::<u64>()
    ) {
        let repo = format!("{host}/{}", path.join("/"));
        let plain = RepoKey::image(&repo).expect("valid");
        for spelling in [
            format!("{repo}:{tag}"),
            format!("{repo}@{digest}"),
            format!("{repo}:{tag}@{digest}"),
            format!("oci://{repo}"),
            format!("https://{repo}/"),
            mixed_case(&repo, mask),
        ] {
            prop_assert_eq!(&RepoKey::image(&spelling).expect("valid"), &plain, "{}", spelling);
        }
        prop_assert_eq!(RepoKey::chart(&format!("oci://{repo}"), None).expect("valid"), plain);
    }

    #[test]
    fn image_normalization_is_idempotent_for_every_host_spelling(
        prefix in any_host_prefix(), path in path(), tag in tag()
    ) {
        let key = RepoKey::image(&format!("{prefix}{}:{tag}", path.join("/"))).expect("valid");
        prop_assert_eq!(RepoKey::image(key.as_str()).expect("valid"), key);
    }

    /// Whatever the input, a key is a fixed point of normalization.
    #[test]
    fn every_image_key_normalizes_to_itself(input in "[a-zA-Z0-9.:/@_\\[\\]-]{0,40}") {
        if let Ok(key) = RepoKey::image(&input) {
            prop_assert_eq!(RepoKey::image(key.as_str()), Ok(key.clone()), "{}", input);
        }
    }

    /// Harbor's `resource_url` for an external URL `https://host/` is
    /// `host//project/repo:tag`, for `https://host:443` it is
    /// `host:443/project/repo:tag`: both meet a subscription written
    /// `host/project/repo`, and a subscription written with `:443` meets a
    /// push without it.
    #[test]
    fn default_ports_and_a_trailing_slash_of_the_host_name_the_same_repository(
        host in bare_host(), path in path(), tag in tag(), digest in digest()
    ) {
        let repo = path.join("/");
        let plain = RepoKey::image(&format!("{host}/{repo}")).expect("valid");
        for spelling in [
            format!("{host}//{repo}:{tag}"),
            format!("{host}///{repo}@{digest}"),
            format!("{host}:443/{repo}:{tag}"),
            format!("{host}:443//{repo}:{tag}"),
            format!("{host}:80/{repo}"),
            format!("oci://{host}:443/{repo}"),
            format!("https://{host}:443//{repo}/"),
        ] {
            prop_assert_eq!(&RepoKey::image(&spelling).expect("valid"), &plain, "{}", spelling);
        }
        for subscription in [format!("oci://{host}:443/{repo}"), format!("oci://{host}//{repo}")] {
            prop_assert_eq!(RepoKey::chart(&subscription, None).expect("valid"), plain.clone());
        }
    }

    #[test]
    fn another_port_stays_another_registry(
        host in bare_host(), path in path(), port in other_port(), other in other_port()
    ) {
        let repo = path.join("/");
        let plain = RepoKey::image(&format!("{host}/{repo}")).expect("valid");
        let on_port = RepoKey::image(&format!("{host}:{port}/{repo}")).expect("valid");
        prop_assert_ne!(&on_port, &plain);
        prop_assert_ne!(&on_port, &RepoKey::image(&format!("{host}:443/{repo}")).expect("valid"));
        // The empty segments are dropped; the port is not.
        prop_assert_eq!(&RepoKey::image(&format!("{host}:{port}//{repo}")).expect("valid"), &on_port);
        if port != other {
            prop_assert_ne!(RepoKey::image(&format!("{host}:{other}/{repo}")).expect("valid"), on_port);
        }
    }

    #[test]
    fn docker_hub_official_images_meet(name in "[a-z0-9]{1,12}", tag in tag()) {
        let canonical = RepoKey::image(&format!("docker.io/library/{name}")).expect("valid");
        for spelling in [
            name.clone(),
            format!("{name}:{tag}"),
            format!("docker.io/{name}"),
            format!("index.docker.io/library/{name}"),
            format!("registry-1.docker.io/{name}:{tag}"),
        ] {
            prop_assert_eq!(&RepoKey::image(&spelling).expect("valid"), &canonical, "{}", spelling);
        }
        prop_assert_eq!(RepoKey::image(canonical.as_str()).expect("valid"), canonical);
    }

    #[test]
    fn git_normalization_is_idempotent(host in host(), path in path()) {
        let key = RepoKey::git(&format!("https://{host}/{}.git", path.join("/"))).expect("valid");
        prop_assert_eq!(RepoKey::git(key.as_str()).expect("valid"), key);
    }

    #[test]
    fn git_spellings_meet(
        name in "[a-z][a-z0-9-]{0,10}\\.[a-z]{2,5}", path in path(), mask in any::<u64>(),
        user in "[a-z]{1,8}", password in "[A-Za-z0-9]{1,12}"
    ) {
        let repo = path.join("/");
        let canonical = RepoKey::git(&format!("https://{name}/{repo}")).expect("valid");
        for spelling in [
            format!("https://{name}/{repo}.git"),
            format!("https://{name}/{repo}/"),
            format!("https://{user}:{password}@{name}/{repo}.git"),
            format!("ssh://git@{name}/{repo}"),
            format!("ssh://git@{name}:22/{repo}.git"),
            format!("git@{name}:{repo}.git"),
            format!("{name}/{repo}"),
            mixed_case(&format!("https://{name}/{repo}"), mask),
        ] {
            prop_assert_eq!(&RepoKey::git(&spelling).expect("valid"), &canonical, "{}", spelling);
        }
    }

    #[test]
    fn normalization_never_panics(input in "\\PC{0,80}") {
        let _ = RepoKey::image(&input);
        let _ = RepoKey::git(&input);
        let _ = RepoKey::chart(&input, Some("x"));
    }
}
