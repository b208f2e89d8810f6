//! Receiver URLs, spelled exactly as Kargo spells them, so that the URL in a
//! ProjectConfig's status (written by Kargo's management controller) reaches
//! the gateway and a move from Kargo's own webhook server changes no sender.
//!
//! Kargo's formula: path = Go's `url.JoinPath(basePath or "/", type, hash)`
//! where hash is the lowercase hex SHA-256 of the plain concatenation
//! `project + receiverName + secretValue` (project is empty for ClusterConfig
//! receivers), and the URL is the base URL with that path.

use std::fmt;

use sha2::{Digest, Sha256};

/// A receiver's URL path. It is as secret as the Secret it is derived
/// from: `Debug` hides it, and it never reaches a log line.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiverPath(String);

impl ReceiverPath {
    /// A path as published in status (Kargo's or ours), for routing.
    pub fn published(path: &str) -> Self {
        Self(path.to_owned())
    }

    /// The path as it appears in the URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lets the receiver table be searched with a request's path as it is,
/// without copying it (`String` and `str` hash alike).
impl std::borrow::Borrow<str> for ReceiverPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ReceiverPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReceiverPath(<redacted>)")
    }
}

/// What Kargo hashes into a receiver's path.
#[derive(Debug, Clone, Copy)]
pub struct PathInputs<'a> {
    /// The ProjectConfig's namespace; empty for a ClusterConfig receiver.
    pub project: &'a str,
    /// The receiver type, which is also the path segment (`harbor`, ...).
    pub receiver_type: &'a str,
    /// The receiver's name in the spec.
    pub receiver_name: &'a str,
    /// The values of the Secret keys the type reads, in the provider's
    /// declared order (every Kargo type reads exactly one).
    pub secret_values: &'a [&'a [u8]],
}

/// Why an external URL or base path cannot give Kargo's URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidBaseUrl {
    /// Not `scheme://host[:port][/path]`.
    #[error("the external URL must be absolute, like https://hooks.example.org")]
    NotAbsolute,
    /// Kargo's URL would carry it; its path would not.
    #[error("the external URL must have no query or fragment")]
    QueryOrFragment,
    /// Kargo publishes an escaped path that senders escape again.
    #[error("the external URL and base path must not contain percent-escapes")]
    PercentEscape,
    /// Kargo would publish a path starting with `//`.
    #[error("the external URL's path must not start with //")]
    DoubleSlash,
}

/// How receiver paths and URLs are spelled: the external URL senders use
/// and the base path under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlLayout {
    /// `scheme://host[:port]`, as configured.
    origin: String,
    /// The cleaned base path: `/` or `/a/b` (no trailing slash).
    base_path: String,
}

impl UrlLayout {
    /// A layout from the external URL (which may carry a path of its own,
    /// as Kargo's `EXTERNAL_WEBHOOK_SERVER_BASE_URL` does) and a base path
    /// appended to it. Refuses the spellings for which Go's URL handling,
    /// and so Kargo's published URL, would differ from a plain join: a
    /// query or fragment, percent-escapes, a path starting with `//`.
    pub fn new(external_url: &str, base_path: &str) -> Result<Self, InvalidBaseUrl> {
        let external_url = external_url.trim();
        let base_path = base_path.trim();
        let (scheme, rest) = external_url
            .split_once("://")
            .filter(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty())
            .ok_or(InvalidBaseUrl::NotAbsolute)?;
        let (authority, url_path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty() {
            return Err(InvalidBaseUrl::NotAbsolute);
        }
        if external_url.contains(['?', '#']) {
            return Err(InvalidBaseUrl::QueryOrFragment);
        }
        if external_url.contains('%') || base_path.contains('%') {
            return Err(InvalidBaseUrl::PercentEscape);
        }
        if url_path.starts_with("//") {
            return Err(InvalidBaseUrl::DoubleSlash);
        }
        Ok(Self {
            // Go writes the scheme in lowercase.
            origin: format!("{}://{authority}", scheme.to_ascii_lowercase()),
            base_path: join_path(&[url_path, base_path]),
        })
    }

    /// The base path every computed receiver path starts with: `/` or
    /// `/a/b`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The path of the receiver that `inputs` describe.
    pub fn path(&self, inputs: &PathInputs<'_>) -> ReceiverPath {
        let mut hasher = Sha256::new();
        hasher.update(inputs.project.as_bytes());
        hasher.update(inputs.receiver_name.as_bytes());
        for value in inputs.secret_values {
            hasher.update(value);
        }
        let hash = hex::encode(hasher.finalize());
        ReceiverPath(join_path(&[&self.base_path, inputs.receiver_type, &hash]))
    }

    /// The external URL of a receiver path.
    pub fn url(&self, path: &ReceiverPath) -> String {
        format!("{}{}", self.origin, path.as_str())
    }
}

/// Joins path parts the way Go's `path.Join` does under `url.JoinPath`:
/// one `/` between segments, empty and `.` segments dropped, `..` removing
/// the segment before it, always absolute. A trailing slash of the last
/// part is not kept: receiver paths never end in one.
fn join_path(parts: &[&str]) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in parts.iter().flat_map(|part| part.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(layout: &UrlLayout, project: &str, kind: &str, name: &str, secret: &str) -> String {
        layout
            .path(&PathInputs {
                project,
                receiver_type: kind,
                receiver_name: name,
                secret_values: &[secret.as_bytes()],
            })
            .as_str()
            .to_owned()
    }

    /// Computed with Kargo's own formula; these must never change, or every
    /// webhook registered in Harbor or GitHub breaks.
    #[test]
    fn kargo_vectors() {
        let root = UrlLayout::new("https://kargo.example.com", "").expect("valid layout");
        assert_eq!(
            path(
                &root,
                "kargo-demo",
                "harbor",
                "my-receiver",
                "mysupersecrettoken"
            ),
            "/harbor/82800129c0f139c37c6b8633e6698520f3f7970683471ec2bffbdd81581ddb9e"
        );
        assert_eq!(
            path(
                &root,
                "kargo-demo",
                "harbor",
                "harbor-wh-receiver",
                "Basic dXNlcjpwYXNz"
            ),
            "/harbor/4f0ac6a21ae1856898de0dedc2269205087253f62f6da8544af05f892e9d8527"
        );
        assert_eq!(
            path(&root, "", "harbor", "cluster-harbor", "s3cr3t"),
            "/harbor/92360f6a37718ad37fc551ed72c0755adb14748fe0f26af7552c4164c993ff7c"
        );
        assert_eq!(
            path(
                &root,
                "kargo-demo",
                "github",
                "gh-wh-receiver",
                "mysupersecrettoken"
            ),
            "/github/c093d0ec9ebbf6f29ec5c1f0dc7932baf0a8d42c7e02ba91dfd0e02690ebc3f3"
        );
    }

    #[test]
    fn base_paths_join_as_go_url_join_path_does() {
        let hash = "82800129c0f139c37c6b8633e6698520f3f7970683471ec2bffbdd81581ddb9e";
        let expected = format!("/webhooks/harbor/{hash}");
        for (external, base) in [
            ("https://h", "/webhooks"),
            ("https://h", "/webhooks/"),
            ("https://h", "webhooks"),
            ("https://h/", "webhooks//"),
            ("https://h/webhooks", ""),
            ("https://h/webhooks/", ""),
            ("https://h/webhooks/", "/"),
            ("https://h", "/x/../webhooks/."),
        ] {
            let layout = UrlLayout::new(external, base).expect("valid layout");
            assert_eq!(
                path(
                    &layout,
                    "kargo-demo",
                    "harbor",
                    "my-receiver",
                    "mysupersecrettoken"
                ),
                expected,
                "{external} + {base}"
            );
        }
        let nested = UrlLayout::new("https://h/a", "b").expect("valid layout");
        assert_eq!(nested.base_path(), "/a/b");
        assert_eq!(
            UrlLayout::new("https://h", "")
                .expect("valid layout")
                .base_path(),
            "/"
        );
    }

    #[test]
    fn spellings_that_go_would_rewrite_are_refused() {
        for (external, base, error) in [
            ("hooks.example.org", "", InvalidBaseUrl::NotAbsolute),
            ("https://", "", InvalidBaseUrl::NotAbsolute),
            ("https:///x", "", InvalidBaseUrl::NotAbsolute),
            ("https://h/x?a=b", "", InvalidBaseUrl::QueryOrFragment),
            ("https://h#x", "", InvalidBaseUrl::QueryOrFragment),
            ("https://h/a%20b", "", InvalidBaseUrl::PercentEscape),
            ("https://h", "/a%2Fb", InvalidBaseUrl::PercentEscape),
            ("https://h//webhooks", "", InvalidBaseUrl::DoubleSlash),
        ] {
            assert_eq!(
                UrlLayout::new(external, base),
                Err(error),
                "{external} {base}"
            );
        }
        let layout = UrlLayout::new("HTTPS://Hooks.Example.org", "").expect("valid");
        let path = ReceiverPath::published("/harbor/x");
        assert_eq!(layout.url(&path), "https://Hooks.Example.org/harbor/x");
    }

    #[test]
    fn urls_are_the_origin_and_the_path() {
        let layout = UrlLayout::new("https://hooks.example.org:8443/kargo/", "webhooks")
            .expect("valid layout");
        let path = layout.path(&PathInputs {
            project: "p",
            receiver_type: "harbor",
            receiver_name: "r",
            secret_values: &[b"s"],
        });
        assert!(path.as_str().starts_with("/kargo/webhooks/harbor/"));
        assert_eq!(
            layout.url(&path),
            format!("https://hooks.example.org:8443{}", path.as_str())
        );
        let bare = UrlLayout::new("http://localhost:8080", "").expect("valid layout");
        assert_eq!(
            bare.url(&path),
            format!("http://localhost:8080{}", path.as_str())
        );
    }

    #[test]
    fn every_input_changes_the_path_and_debug_hides_it() {
        let layout = UrlLayout::new("https://h", "").expect("valid layout");
        let base = path(&layout, "team-a", "harbor", "r", "s");
        for other in [
            path(&layout, "team-b", "harbor", "r", "s"),
            path(&layout, "team-a", "harbor", "r2", "s"),
            path(&layout, "team-a", "harbor", "r", "s2"),
        ] {
            assert_ne!(base, other);
        }
        assert!(path(&layout, "team-a", "quay", "r", "s").starts_with("/quay/"));
        let hidden = format!("{:?}", ReceiverPath::published(&base));
        assert!(!hidden.contains(&base[8..]));
    }
}
