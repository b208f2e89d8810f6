//! Kargo's receiver URL formula, written here independently of the
//! gateway's so that the two check each other: path = Go's
//! `url.JoinPath(basePath or "/", type, hex(sha256(project + name + secret)))`
//! and URL = the base URL with that path.
//!
//! Checked against Go's `net/url` for the base URLs the tests use. Not
//! modelled: base paths that need percent-encoding (Kargo escapes them
//! twice) or that start with `//` (Go then reads a host out of the path).

use sha2::{Digest, Sha256};

/// What Kargo publishes for one receiver in `status.webhookReceivers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverDetails {
    /// The receiver's name.
    pub name: String,
    /// The URL path Kargo's server routes on.
    pub path: String,
    /// The base URL with that path.
    pub url: String,
}

/// The path and URL of receiver `name` of type `receiver_type` (`harbor`,
/// `github`, ...) in `project` (empty for a ClusterConfig receiver), whose
/// Secret holds `secret` under the type's key.
pub fn receiver_details(
    base_url: &str,
    project: &str,
    receiver_type: &str,
    name: &str,
    secret: &[u8],
) -> ReceiverDetails {
    let base = BaseUrl::split(base_url);
    let path = receiver_path(base.path, project, receiver_type, name, secret);
    ReceiverDetails {
        name: name.to_owned(),
        url: format!("{}{path}{}", base.origin, base.rest),
        path,
    }
}

/// The path alone, under `base_path` (the base URL's path, possibly empty).
pub fn receiver_path(
    base_path: &str,
    project: &str,
    receiver_type: &str,
    name: &str,
    secret: &[u8],
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(project.as_bytes());
    hasher.update(name.as_bytes());
    hasher.update(secret);
    let digest = lower_hex(&hasher.finalize());
    let base_path = if base_path.is_empty() { "/" } else { base_path };
    go_path_join(&[base_path, receiver_type, &digest])
}

fn lower_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// A base URL cut into `scheme://authority`, path, and `?query#fragment`,
/// as Go's `url.URL` holds them apart.
struct BaseUrl<'a> {
    origin: &'a str,
    path: &'a str,
    rest: &'a str,
}

impl<'a> BaseUrl<'a> {
    fn split(url: &'a str) -> Self {
        let authority_start = url.find("://").map_or(0, |i| i + 3);
        let path_start = url[authority_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| authority_start + i);
        let rest_start = url[path_start..]
            .find(['?', '#'])
            .map_or(url.len(), |i| path_start + i);
        Self {
            origin: &url[..path_start],
            path: &url[path_start..rest_start],
            rest: &url[rest_start..],
        }
    }
}

/// Go's `path.Join`: the non-empty elements joined with `/`, then cleaned.
/// (`url.JoinPath` keeps a trailing slash of the last element; Kargo's last
/// element is a hex digest, which never has one.)
fn go_path_join(elements: &[&str]) -> String {
    let joined = elements
        .iter()
        .filter(|element| !element.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    go_path_clean(&joined)
}

/// Go's `path.Clean`: one slash between elements, no `.` elements, `..`
/// removed with the element before it (or at the root), no trailing slash.
fn go_path_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://kargo-webhooks.example.com";

    #[test]
    fn kargo_vectors() {
        for (project, name, secret, receiver_type, path) in [
            (
                "kargo-demo",
                "my-receiver",
                "mysupersecrettoken",
                "harbor",
                "/harbor/82800129c0f139c37c6b8633e6698520f3f7970683471ec2bffbdd81581ddb9e",
            ),
            (
                "kargo-demo",
                "harbor-wh-receiver",
                "Basic dXNlcjpwYXNz",
                "harbor",
                "/harbor/4f0ac6a21ae1856898de0dedc2269205087253f62f6da8544af05f892e9d8527",
            ),
            (
                "",
                "cluster-harbor",
                "s3cr3t",
                "harbor",
                "/harbor/92360f6a37718ad37fc551ed72c0755adb14748fe0f26af7552c4164c993ff7c",
            ),
            (
                "kargo-demo",
                "gh-wh-receiver",
                "mysupersecrettoken",
                "github",
                "/github/c093d0ec9ebbf6f29ec5c1f0dc7932baf0a8d42c7e02ba91dfd0e02690ebc3f3",
            ),
        ] {
            let details = receiver_details(BASE, project, receiver_type, name, secret.as_bytes());
            assert_eq!(details.path, path, "{project:?} + {name:?}");
            assert_eq!(details.url, format!("{BASE}{path}"));
            assert_eq!(details.name, name);
        }
    }

    #[test]
    fn base_paths_with_and_without_trailing_slash() {
        let hash = "82800129c0f139c37c6b8633e6698520f3f7970683471ec2bffbdd81581ddb9e";
        for base in [
            "https://h/webhooks/",
            "https://h/webhooks",
            "https://h/webhooks//",
        ] {
            let details = receiver_details(
                base,
                "kargo-demo",
                "harbor",
                "my-receiver",
                b"mysupersecrettoken",
            );
            assert_eq!(details.path, format!("/webhooks/harbor/{hash}"), "{base}");
            assert_eq!(details.url, format!("https://h/webhooks/harbor/{hash}"));
        }
        for base in ["https://h", "https://h/"] {
            let details = receiver_details(
                base,
                "kargo-demo",
                "harbor",
                "my-receiver",
                b"mysupersecrettoken",
            );
            assert_eq!(details.path, format!("/harbor/{hash}"), "{base}");
            assert_eq!(details.url, format!("https://h/harbor/{hash}"));
        }
    }

    #[test]
    fn ports_queries_and_dot_segments_are_kept_as_go_keeps_them() {
        let details = receiver_details(
            "http://127.0.0.1:8080/a/./b/../hooks?x=1",
            "p",
            "quay",
            "r",
            b"s",
        );
        assert!(
            details.path.starts_with("/a/hooks/quay/"),
            "{}",
            details.path
        );
        assert!(
            details
                .url
                .starts_with("http://127.0.0.1:8080/a/hooks/quay/")
        );
        assert!(details.url.ends_with("?x=1"));
    }

    #[test]
    fn the_secret_is_hashed_as_raw_bytes() {
        let text = receiver_path("", "p", "harbor", "r", "é".as_bytes());
        let bytes = receiver_path("", "p", "harbor", "r", &[0xc3, 0xa9]);
        assert_eq!(text, bytes);
        assert_ne!(text, receiver_path("", "p", "harbor", "r", &[0xe9]));
    }

    #[test]
    fn clean_matches_go() {
        for (input, cleaned) in [
            ("/", "/"),
            ("//a//b/", "/a/b"),
            ("/../a", "/a"),
            ("a/../..", ".."),
            ("a/./b/..", "a"),
            ("", "."),
        ] {
            assert_eq!(go_path_clean(input), cleaned, "{input:?}");
        }
    }
}
