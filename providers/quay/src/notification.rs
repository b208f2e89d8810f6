//! A Quay notification body, and which kind of notification it is.
//!
//! Quay's webhook method posts the event's data as it is: every repository
//! event carries `repository`, `namespace`, `name`, `docker_url` and
//! `homepage`, plus fields of its own kind, and there is no field or header
//! naming the kind. The kinds are therefore told apart by those fields
//! (from Quay's `notifications/notificationevent.py` and the callers that
//! raise each event):
//!
//! | kind (Quay's event name) | its own fields |
//! | --- | --- |
//! | push (`repo_push`) | `updated_tags` |
//! | Dockerfile builds (`build_queued`, `build_start`, `build_success`, `build_failure`, `build_cancelled`) | `build_id`, `docker_tags`, `trigger_*` |
//! | vulnerability found (`vulnerability_found`) | `tags`, `vulnerability` (or `vulnerabilities`) |
//! | image expiry (`repo_image_expiry`) | `tags`, `expiring_in` |
//! | mirror sync (`repo_mirror_sync_started`, `_success`, `_failed`) | `message` |
//! | namespace quota (`quota_warning`, `quota_error`, no `docker_url`) | `threshold_percent`, `usage_percent` |

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::updated_tags::UpdatedTags;
use kargo_webhook_provider::json::Text;

/// The fields that matter, read in one pass; everything else is skipped
/// without being built. The markers of the other kinds are only checked for
/// presence (a `null` counts as absent).
#[derive(Debug, Deserialize)]
pub(crate) struct Notification<'a> {
    /// `host[:port]/namespace/name` of the repository, e.g.
    /// `quay.io/mynamespace/repository` (the host is Quay's
    /// `SERVER_HOSTNAME`, so self-hosted Quay names its own).
    #[serde(borrow, default)]
    pub(crate) docker_url: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(crate) updated_tags: Option<UpdatedTags<'a>>,
    #[serde(default)]
    build_id: Option<IgnoredAny>,
    #[serde(default)]
    vulnerability: Option<IgnoredAny>,
    #[serde(default)]
    vulnerabilities: Option<IgnoredAny>,
    #[serde(default)]
    expiring_in: Option<IgnoredAny>,
    #[serde(default)]
    message: Option<IgnoredAny>,
    #[serde(default)]
    threshold_percent: Option<IgnoredAny>,
    #[serde(default)]
    usage_percent: Option<IgnoredAny>,
}

/// What a notification is, as far as the gateway cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A push: refresh the repository (with its tags, if any).
    Push,
    /// Another kind of notification, acknowledged for this fixed reason.
    Other(&'static str),
    /// None of Quay's shapes.
    Unknown,
}

impl<'a> Notification<'a> {
    /// Parses a body that must be one JSON object; `None` for anything else.
    pub(crate) fn parse(body: &'a [u8]) -> Option<Self> {
        kargo_webhook_provider::json::from_object(body)
    }

    /// The kind the body's fields show. A body with `updated_tags` is a push
    /// whatever else it holds (a push missed costs more than a refresh too
    /// many). A repository body of no known kind counts as a push without
    /// tags, as Kargo reads every body with a `docker_url`.
    pub(crate) fn kind(&self) -> Kind {
        if self.updated_tags.is_some() {
            Kind::Push
        } else if self.build_id.is_some() {
            Kind::Other("build notification announces no push (the build's push sends its own)")
        } else if self.vulnerability.is_some() || self.vulnerabilities.is_some() {
            Kind::Other("vulnerability notification announces no push")
        } else if self.expiring_in.is_some() {
            Kind::Other("image expiry notification announces no push")
        } else if self.message.is_some() {
            Kind::Other("repository mirror notification announces no push")
        } else if self.threshold_percent.is_some() || self.usage_percent.is_some() {
            Kind::Other("quota notification announces no push")
        } else if self.docker_url.is_some() {
            Kind::Push
        } else {
            Kind::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(body: &str) -> Option<Kind> {
        Notification::parse(body.as_bytes()).map(|n| n.kind())
    }

    #[test]
    fn updated_tags_make_a_push_whatever_else_is_there() {
        for body in [
            r#"{"docker_url":"quay.io/ns/app","updated_tags":["v1"]}"#,
            r#"{"docker_url":"quay.io/ns/app","updated_tags":[]}"#,
            r#"{"updated_tags":["v1"],"build_id":"b","message":"m"}"#,
        ] {
            assert_eq!(kind(body), Some(Kind::Push), "{body}");
        }
    }

    #[test]
    fn each_other_kind_is_told_apart() {
        for (body, reason) in [
            (
                r#"{"docker_url":"q/a","build_id":"b","docker_tags":["v1"]}"#,
                "build",
            ),
            (
                r#"{"docker_url":"q/a","tags":["v1"],"vulnerability":{}}"#,
                "vulnerability",
            ),
            (
                r#"{"docker_url":"q/a","tags":["v1"],"vulnerabilities":[]}"#,
                "vulnerability",
            ),
            (
                r#"{"docker_url":"q/a","tags":["v1"],"expiring_in":"5 days"}"#,
                "image expiry",
            ),
            (
                r#"{"docker_url":"q/a","message":"sync done"}"#,
                "repository mirror",
            ),
            (r#"{"namespace":"ns","threshold_percent":80}"#, "quota"),
            (r#"{"namespace":"ns","usage_percent":105}"#, "quota"),
        ] {
            let Some(Kind::Other(text)) = kind(body) else {
                panic!("{body}: {:?}", kind(body));
            };
            assert!(text.starts_with(reason), "{body}: {text}");
        }
    }

    #[test]
    fn a_repository_body_of_no_known_kind_is_a_push() {
        assert_eq!(kind(r#"{"docker_url":"quay.io/ns/app"}"#), Some(Kind::Push));
        assert_eq!(
            kind(r#"{"docker_url":"quay.io/ns/app","updated_tags":null,"build_id":null}"#),
            Some(Kind::Push)
        );
    }

    #[test]
    fn anything_else_is_unknown_or_not_an_object() {
        assert_eq!(kind(r#"{}"#), Some(Kind::Unknown));
        assert_eq!(kind(r#"{"repository":"ns/app"}"#), Some(Kind::Unknown));
        assert_eq!(kind(r#"[{"docker_url":"quay.io/ns/app"}]"#), None);
        assert_eq!(kind("null"), None);
        assert_eq!(kind(""), None);
    }
}
