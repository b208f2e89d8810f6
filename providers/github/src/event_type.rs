//! GitHub's event types (`X-GitHub-Event`) and what each means here.

/// Where a package event keeps its package: a repository or organization
/// webhook sends `package`, a GitHub App `registry_package`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PackageField {
    /// `package`.
    Package,
    /// `registry_package`.
    RegistryPackage,
}

/// What an event type means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// GitHub checks that the webhook is reachable.
    Ping,
    /// Commits or a tag were pushed (or a ref deleted).
    Push,
    /// A pull request changed; only a closed one matters.
    PullRequest,
    /// A package version was published or updated (GHCR images among them).
    Package(PackageField),
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the type when it is a known one; never text from the request.
        reason: &'static str,
    },
}

/// The header that names the event.
pub(crate) const EVENT_HEADER: &str = "x-github-event";

/// The reason for a type that is not in [`IGNORED`], or no type at all; the
/// header itself is never echoed.
pub(crate) const UNKNOWN_REASON: &str =
    "event type is not one that announces new commits or images";

/// Event types a webhook may be subscribed to that announce nothing to
/// discover, each with its fixed reason.
const IGNORED: &[(&str, &str)] = &ignored![
    "branch_protection_rule",
    "check_run",
    "check_suite",
    "code_scanning_alert",
    "commit_comment",
    "create",
    "delete",
    "dependabot_alert",
    "deploy_key",
    "deployment",
    "deployment_status",
    "discussion",
    "discussion_comment",
    "fork",
    "gollum",
    "installation",
    "installation_repositories",
    "issue_comment",
    "issues",
    "label",
    "member",
    "merge_group",
    "meta",
    "milestone",
    "page_build",
    "public",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_review_thread",
    "release",
    "repository",
    "repository_dispatch",
    "secret_scanning_alert",
    "security_advisory",
    "star",
    "status",
    "watch",
    "workflow_dispatch",
    "workflow_job",
    "workflow_run",
];

/// Builds `(name, "event type <name> announces no new commits or images")`
/// pairs at compile time, so the reasons are fixed text.
macro_rules! ignored {
    ($($name:literal),* $(,)?) => {
        [$(($name, concat!("event type ", $name, " announces no new commits or images"))),*]
    };
}
use ignored;

impl EventType {
    /// Classifies the value of `X-GitHub-Event` (case-sensitive, as GitHub
    /// sends it); an absent header is an unknown type.
    pub(crate) fn of(header: Option<&[u8]>) -> Self {
        match header.unwrap_or_default() {
            b"ping" => Self::Ping,
            b"push" => Self::Push,
            b"pull_request" => Self::PullRequest,
            b"package" => Self::Package(PackageField::Package),
            b"registry_package" => Self::Package(PackageField::RegistryPackage),
            other => Self::Other {
                reason: IGNORED
                    .iter()
                    .find(|(known, _)| known.as_bytes() == other)
                    .map_or(UNKNOWN_REASON, |(_, reason)| reason),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_types_acted_on() {
        assert_eq!(EventType::of(Some(b"ping")), EventType::Ping);
        assert_eq!(EventType::of(Some(b"push")), EventType::Push);
        assert_eq!(EventType::of(Some(b"pull_request")), EventType::PullRequest);
        assert_eq!(
            EventType::of(Some(b"package")),
            EventType::Package(PackageField::Package)
        );
        assert_eq!(
            EventType::of(Some(b"registry_package")),
            EventType::Package(PackageField::RegistryPackage)
        );
    }

    #[test]
    fn known_types_are_named_in_the_reason() {
        assert_eq!(
            EventType::of(Some(b"workflow_run")),
            EventType::Other {
                reason: "event type workflow_run announces no new commits or images"
            }
        );
    }

    #[test]
    fn unknown_types_are_not_echoed() {
        for header in [Some(&b"Push"[..]), Some(b"<script>"), Some(b""), None] {
            assert_eq!(
                EventType::of(header),
                EventType::Other {
                    reason: UNKNOWN_REASON
                },
                "{header:?}"
            );
        }
    }
}
