//! Repository references, normalized once for providers and the gateway's
//! Warehouse index alike: two spellings of one repository give one [`RepoKey`].

use std::borrow::Cow;
use std::fmt;

/// What kind of repository a key names. Keys of different kinds never meet:
/// an image push does not refresh a Git subscription of the same path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RepoKind {
    /// An OCI artifact repository: container images and OCI Helm charts.
    Artifact,
    /// A classic (HTTP) Helm chart repository and one chart in it.
    ChartRepo,
    /// A Git repository.
    Git,
}

/// A normalized repository reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoKey {
    kind: RepoKind,
    key: String,
}

/// A reference that cannot name a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Nothing left after trimming.
    #[error("repository reference is empty")]
    Empty,
    /// A path component is empty (e.g. `host/team//app`; the empty segments
    /// right after an image's host are not components, see [`RepoKey::image`]).
    #[error("repository reference has an empty path component")]
    EmptyComponent,
    /// Whitespace or a control character inside the reference.
    #[error("repository reference contains whitespace or a control character")]
    InvalidCharacter,
}

/// Registries that are all Docker Hub.
const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];
const DOCKER_HUB: &str = "docker.io";

impl RepoKey {
    /// The kind of repository.
    pub fn kind(&self) -> RepoKind {
        self.kind
    }

    /// The normalized text, e.g. `harbor.example.org:8443/team/app`.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// An image reference (`[scheme://]host[:port]/path[:tag][@digest]`):
    /// lowercase, scheme, tag and digest removed, host and port kept, Docker
    /// Hub's host names folded into `docker.io` and its official images given
    /// their `library/` prefix, as Docker itself does.
    ///
    /// Two more spellings name the same repository, because registries write
    /// them (Harbor builds `resource_url` from its external URL with only
    /// `scheme://` cut off):
    /// - empty segments right after the first component (the host):
    ///   `host//team/app` is `host/team/app` (an external URL ending in
    ///   `/`); an empty segment further on is refused;
    /// - a default port on a registry host: `host:443/team/app` and
    ///   `host:80/team/app` are `host/team/app` (an external URL that names
    ///   its port). An image reference has no scheme: a client reaches a
    ///   host without a port on 443 over HTTPS, or on 80 over plain HTTP
    ///   for an insecure registry, so both ports name what the bare host
    ///   names. Every other port is another registry (`host:8443` is not
    ///   `host`). A name that would stop reading as a registry host without
    ///   its port keeps it (`harbor:443/app` is not Docker Hub's
    ///   `harbor/app`).
    pub fn image(reference: &str) -> Result<Self, ReferenceError> {
        let lowered = checked_lowercase(strip_scheme(reference.trim()))?;
        let without_digest = lowered.split('@').next().unwrap_or_default();
        let name = strip_tag(without_digest.trim_end_matches('/'));
        if name.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if name.ends_with('/') {
            // `host/:tag`: the last component is nothing but a tag.
            return Err(ReferenceError::EmptyComponent);
        }
        // The first component, then the rest without the empty segments an
        // external URL's trailing `/` puts after the host.
        let (first, rest) = match name.split_once('/') {
            Some((first, rest)) => (first, Some(rest.trim_start_matches('/'))),
            None => (name, None),
        };
        if first.is_empty() || rest.is_some_and(|rest| rest.split('/').any(str::is_empty)) {
            return Err(ReferenceError::EmptyComponent);
        }
        let (domain, path_head, path) = match rest {
            Some(rest) if is_registry_host(first) => (without_default_port(first), None, rest),
            Some(rest) => (DOCKER_HUB, Some(first), rest),
            None => (DOCKER_HUB, None, first),
        };
        let domain = if DOCKER_HUB_ALIASES.contains(&domain) {
            DOCKER_HUB
        } else {
            domain
        };
        let official = domain == DOCKER_HUB && path_head.is_none() && !path.contains('/');
        let head_len = path_head.map_or(0, |head| head.len() + 1);
        let mut key =
            String::with_capacity(domain.len() + head_len + path.len() + "/library/".len());
        key.push_str(domain);
        key.push('/');
        if official {
            key.push_str("library/");
        }
        if let Some(head) = path_head {
            key.push_str(head);
            key.push('/');
        }
        key.push_str(path);
        Ok(Self {
            kind: RepoKind::Artifact,
            key,
        })
    }

    /// A Helm chart subscription: an `oci://` repository is an OCI artifact
    /// and normalizes like an image (so a registry push matches it); a classic
    /// repository is keyed by its URL without scheme (and without the
    /// scheme's default port) plus the chart's name.
    pub fn chart(repo_url: &str, name: Option<&str>) -> Result<Self, ReferenceError> {
        let trimmed = repo_url.trim();
        if trimmed
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("oci://"))
        {
            return Self::image(trimmed);
        }
        let lowered = checked_lowercase(trimmed)?;
        let (scheme, rest) = match lowered.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, &*lowered),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let authority = strip_default_port(authority, scheme);
        if authority.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let path = path.trim_end_matches('/');
        let mut key = authority.to_owned();
        if !path.is_empty() {
            key.push('/');
            key.push_str(path);
        }
        if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) {
            key.push('/');
            key.push_str(&checked_lowercase(name)?);
        }
        Ok(Self {
            kind: RepoKind::ChartRepo,
            key,
        })
    }

    /// A Git repository URL: lowercase, credentials removed, trailing `/` and
    /// `.git` removed; `https://host/org/repo`, `ssh://git@host/org/repo` and
    /// `git@host:org/repo` all give `host/org/repo`.
    pub fn git(url: &str) -> Result<Self, ReferenceError> {
        let lowered = checked_lowercase(url.trim())?;
        let (scheme, rest) = match lowered.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, &*lowered),
        };
        let (authority, path) = match scheme {
            Some(_) => rest.split_once('/').unwrap_or((rest, "")),
            None => split_scp_like(rest),
        };
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host = strip_default_port(host_port, scheme);
        let path = path.trim_matches('/');
        let path = path
            .strip_suffix(".git")
            .unwrap_or(path)
            .trim_end_matches('/');
        if host.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if path.split('/').any(str::is_empty) {
            return Err(ReferenceError::EmptyComponent);
        }
        Ok(Self {
            kind: RepoKind::Git,
            key: format!("{host}/{path}"),
        })
    }
}

impl fmt::Display for RepoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

fn strip_scheme(reference: &str) -> &str {
    reference
        .split_once("://")
        .map_or(reference, |(_, rest)| rest)
}

fn checked_lowercase(text: &str) -> Result<Cow<'_, str>, ReferenceError> {
    if text.is_empty() {
        return Err(ReferenceError::Empty);
    }
    if text.is_ascii() {
        // The common case, without Unicode's tables, and without a copy
        // when the text is lowercase already.
        if text
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(ReferenceError::InvalidCharacter);
        }
        if !text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Ok(Cow::Borrowed(text));
        }
        return Ok(Cow::Owned(text.to_ascii_lowercase()));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ReferenceError::InvalidCharacter);
    }
    Ok(Cow::Owned(text.to_lowercase()))
}

/// Whether the first component of an image reference names a registry
/// rather than a Docker Hub namespace: Docker's rule (a `.` or a `:`, or
/// `localhost`).
fn is_registry_host(component: &str) -> bool {
    component.contains('.') || component.contains(':') || component == "localhost"
}

/// Drops `:443` and `:80` from a registry host (see [`RepoKey::image`]),
/// unless what is left would not read as a registry host, or still carries a
/// port (`host:443:443`): keys must normalize to themselves.
fn without_default_port(host: &str) -> &str {
    let Some((name, port)) = host.rsplit_once(':') else {
        return host;
    };
    let bare_host = if name.starts_with('[') {
        // An IPv6 literal, `[::1]:443`.
        name.ends_with(']')
    } else {
        !name.contains(':') && is_registry_host(name)
    };
    if matches!(port, "443" | "80") && bare_host {
        name
    } else {
        host
    }
}

/// Removes `:tag` from the last path component (a `:` in the first component
/// of a multi-component name is a port, not a tag).
fn strip_tag(name: &str) -> &str {
    let last_start = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_start..].find(':') {
        Some(colon) => &name[..last_start + colon],
        None => name,
    }
}

/// Splits `[user@]host:path` (scp-like) or `host[:port]/path` (no scheme).
/// Without a user, `host:8443/path` is a port, not an scp-like path, so that
/// normalized keys with a port normalize to themselves.
fn split_scp_like(rest: &str) -> (&str, &str) {
    let slash = rest.find('/');
    match rest.find(':') {
        Some(colon) if slash.is_none_or(|s| colon < s) => {
            let after = &rest[colon + 1..];
            let port_len = after.find('/').unwrap_or(after.len());
            let has_user = rest[..colon].contains('@');
            let is_port =
                !has_user && port_len > 0 && after[..port_len].bytes().all(|b| b.is_ascii_digit());
            if is_port {
                rest.split_once('/').unwrap_or((rest, ""))
            } else {
                (&rest[..colon], after)
            }
        }
        _ => rest.split_once('/').unwrap_or((rest, "")),
    }
}

/// Drops a port that is the default of the URL's scheme, so that
/// `https://host:443/x` and `https://host/x` meet.
fn strip_default_port<'a>(host_port: &'a str, scheme: Option<&str>) -> &'a str {
    let default = match scheme {
        Some("https") => "443",
        Some("http") => "80",
        Some("ssh") | Some("git+ssh") => "22",
        Some("git") => "9418",
        _ => return host_port,
    };
    match host_port.rsplit_once(':') {
        Some((host, port)) if port == default => host,
        _ => host_port,
    }
}

/// True for an OCI distribution tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
/// Anything else (an empty string, a digest, text with spaces) is no tag a
/// registry could have stored, and is not handed to the gateway's tag rules.
pub fn is_oci_tag(value: &str) -> bool {
    let bytes = value.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= 128
                && (first.is_ascii_alphanumeric() || *first == b'_')
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        None => false,
    }
}

/// True for an OCI digest: `algorithm ":" encoded`, the algorithm lowercase
/// alphanumeric components joined by one of `+._-`, the encoded part
/// `[A-Za-z0-9=_-]+`.
pub fn is_oci_digest(value: &str) -> bool {
    let Some((algorithm, encoded)) = value.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['+', '.', '_', '-']).all(|component| {
        !component.is_empty()
            && component
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let encoded_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    algorithm_ok && encoded_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> String {
        RepoKey::image(s).expect("valid image").key
    }

    fn git(s: &str) -> String {
        RepoKey::git(s).expect("valid git url").key
    }

    #[test]
    fn images_keep_host_and_port_and_drop_tag_and_digest() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for spelling in [
            "registry.example.org:8443/team-a/backend/api".to_owned(),
            "registry.example.org:8443/team-a/backend/api:v2.4.0".to_owned(),
            format!("registry.example.org:8443/team-a/backend/api@{digest}"),
            format!("registry.example.org:8443/team-a/backend/api:v2@{digest}"),
            "Registry.Example.org:8443/team-a/backend/api/".to_owned(),
            "https://registry.example.org:8443/team-a/backend/api".to_owned(),
            "oci://registry.example.org:8443/team-a/backend/api:1.0.0".to_owned(),
        ] {
            assert_eq!(
                image(&spelling),
                "registry.example.org:8443/team-a/backend/api",
                "{spelling}"
            );
        }
        assert_eq!(image("localhost/app"), "localhost/app");
        assert_eq!(image("localhost:5000/app:1"), "localhost:5000/app");
    }

    #[test]
    fn docker_hub_spellings_meet() {
        for spelling in [
            "nginx",
            "nginx:1.27",
            "library/nginx",
            "docker.io/nginx",
            "docker.io/library/nginx:latest",
            "index.docker.io/library/nginx",
            "registry-1.docker.io/nginx",
            "NGINX",
        ] {
            assert_eq!(image(spelling), "docker.io/library/nginx", "{spelling}");
        }
        assert_eq!(image("bitnami/redis:7"), "docker.io/bitnami/redis");
        assert_eq!(
            image("index.docker.io/bitnami/redis"),
            "docker.io/bitnami/redis"
        );
    }

    #[test]
    fn bad_image_references_are_refused() {
        assert_eq!(RepoKey::image(""), Err(ReferenceError::Empty));
        assert_eq!(RepoKey::image("  "), Err(ReferenceError::Empty));
        assert_eq!(
            RepoKey::image("host.example/team//app"),
            Err(ReferenceError::EmptyComponent)
        );
        assert_eq!(
            RepoKey::image("//host.example/app"),
            Err(ReferenceError::EmptyComponent)
        );
        assert_eq!(RepoKey::image("https://"), Err(ReferenceError::Empty));
        assert_eq!(
            RepoKey::image("host.example/app/:v1"),
            Err(ReferenceError::EmptyComponent)
        );
        assert_eq!(RepoKey::image(":/:"), Err(ReferenceError::EmptyComponent));
        assert_eq!(
            RepoKey::image("host/a pp"),
            Err(ReferenceError::InvalidCharacter)
        );
        assert_eq!(RepoKey::image("@sha256:abc"), Err(ReferenceError::Empty));
    }

    /// The shapes Harbor writes into `resource_url` when its external URL
    /// ends in `/` or names the default port.
    #[test]
    fn harbors_external_url_spellings_meet_the_plain_host() {
        for spelling in [
            "harbor.example.com/library/nginx",
            "harbor.example.com//library/nginx:1.27.1",
            "harbor.example.com///library/nginx",
            "harbor.example.com:443/library/nginx:1.27.1",
            "harbor.example.com:443//library/nginx@sha256:abc",
            "harbor.example.com:80/library/nginx",
            "HARBOR.example.com:443/Library/Nginx",
            "oci://harbor.example.com:443/library/nginx",
            "https://harbor.example.com:443/library/nginx/",
        ] {
            assert_eq!(
                image(spelling),
                "harbor.example.com/library/nginx",
                "{spelling}"
            );
        }
        assert_eq!(image("localhost:443/app"), "localhost/app");
        assert_eq!(image("[::1]:443/app"), "[::1]/app");
        assert_eq!(image("10.0.0.7:80/team/app"), "10.0.0.7/team/app");
        assert_eq!(image("docker.io:443/nginx"), "docker.io/library/nginx");
    }

    #[test]
    fn other_ports_stay_significant() {
        for (spelling, key) in [
            (
                "harbor.example.com:8443/library/nginx",
                "harbor.example.com:8443/library/nginx",
            ),
            (
                "harbor.example.com:4443//library/nginx",
                "harbor.example.com:4443/library/nginx",
            ),
            (
                "harbor.example.com:0443/library/nginx",
                "harbor.example.com:0443/library/nginx",
            ),
            ("localhost:5000/app", "localhost:5000/app"),
            ("[::1]:8080/app", "[::1]:8080/app"),
            // Without its port, `harbor` would be a Docker Hub namespace.
            ("harbor:443/app", "harbor:443/app"),
            // Only one port is ever dropped, so that keys stay fixed points.
            (
                "harbor.example.com:443:443/app",
                "harbor.example.com:443:443/app",
            ),
        ] {
            assert_eq!(image(spelling), key, "{spelling}");
            assert_eq!(image(key), key, "{key} is a fixed point");
        }
        assert_ne!(
            image("harbor.example.com:8443/library/nginx"),
            image("harbor.example.com/library/nginx")
        );
    }

    #[test]
    fn empty_segments_after_a_docker_hub_namespace_are_dropped_too() {
        // Harbor never writes these; the rule is about the first `/` run.
        assert_eq!(image("bitnami//redis"), "docker.io/bitnami/redis");
        assert_eq!(image("library//nginx:1"), "docker.io/library/nginx");
    }

    #[test]
    fn oci_charts_meet_images_and_classic_charts_do_not() {
        let oci = RepoKey::chart("oci://harbor.example.org/charts/podinfo", None).expect("valid");
        assert_eq!(
            oci,
            RepoKey::image("harbor.example.org/charts/podinfo:6.0.0").expect("valid")
        );
        let classic =
            RepoKey::chart("https://Charts.Example.org/stable/", Some("podinfo")).expect("valid");
        assert_eq!(classic.kind(), RepoKind::ChartRepo);
        assert_eq!(classic.as_str(), "charts.example.org/stable/podinfo");
        assert_ne!(classic.kind(), oci.kind());
        let with_port =
            RepoKey::chart("oci://harbor.example.org:443//charts/podinfo", None).expect("valid");
        assert_eq!(with_port, oci);
        let default_port = RepoKey::chart("https://charts.example.org:443/stable", Some("podinfo"))
            .expect("valid");
        assert_eq!(default_port, classic);
        let other_port = RepoKey::chart("https://charts.example.org:8443/stable", Some("podinfo"))
            .expect("valid");
        assert_eq!(
            other_port.as_str(),
            "charts.example.org:8443/stable/podinfo"
        );
        assert_eq!(
            RepoKey::chart("http://charts.example.org:80/", None)
                .expect("valid")
                .as_str(),
            "charts.example.org"
        );
        assert_eq!(RepoKey::chart("https://", None), Err(ReferenceError::Empty));
    }

    #[test]
    fn git_spellings_meet() {
        for spelling in [
            "https://github.com/Example/Repo",
            "https://github.com/example/repo.git",
            "https://github.com/example/repo/",
            "https://user:token@github.com/example/repo.git/",
            "https://github.com:443/example/repo",
            "http://github.com/example/repo",
            "ssh://git@github.com/example/repo.git",
            "ssh://git@github.com:22/example/repo",
            "git@github.com:example/repo.git",
            "git@github.com:/example/repo",
            "github.com/example/repo",
        ] {
            assert_eq!(git(spelling), "github.com/example/repo", "{spelling}");
        }
        assert_eq!(
            git("ssh://git@git.example.org:2222/a/b"),
            "git.example.org:2222/a/b"
        );
        assert_eq!(git("git.example.org:2222/a/b"), "git.example.org:2222/a/b");
    }

    #[test]
    fn git_and_image_keys_never_meet() {
        let g = RepoKey::git("https://registry.example.org/team/app").expect("valid");
        let i = RepoKey::image("registry.example.org/team/app").expect("valid");
        assert_eq!(g.as_str(), i.as_str());
        assert_ne!(g, i);
    }

    #[test]
    fn bad_git_urls_are_refused() {
        assert_eq!(RepoKey::git(""), Err(ReferenceError::Empty));
        assert_eq!(
            RepoKey::git("https:///org/repo"),
            Err(ReferenceError::Empty)
        );
        assert_eq!(
            RepoKey::git("https://host/org//repo"),
            Err(ReferenceError::EmptyComponent)
        );
    }
    #[test]
    fn oci_tags() {
        for tag in [
            "latest",
            "v1.0.0",
            "1.27-alpine",
            "_x",
            "0.9.0-rc.1",
            "A_b-C",
            "sha-6c62fb4",
        ] {
            assert!(is_oci_tag(tag), "{tag}");
        }
        assert!(is_oci_tag(&"a".repeat(128)));
        let too_long = "a".repeat(129);
        for value in [
            "",
            ".v1",
            "-v1",
            "v 1",
            "v1:",
            "sha256:abc",
            "v1/x",
            "tag\u{e9}",
            too_long.as_str(),
        ] {
            assert!(!is_oci_tag(value), "{value:?}");
        }
    }

    #[test]
    fn oci_digests() {
        for digest in [
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
        ] {
            assert!(is_oci_digest(digest), "{digest}");
        }
        for value in [
            "",
            "v1",
            ":abc",
            "SHA256:abc",
            "sha256:",
            "sha256::abc",
            "sha256:a/b",
            "sha256-:abc",
        ] {
            assert!(!is_oci_digest(value), "{value:?}");
        }
    }
}
