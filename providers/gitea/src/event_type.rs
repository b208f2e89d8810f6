//! Gitea's event types (`X-Gitea-Event`) and what each means here.

/// What an event type means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// Commits or a tag were pushed (also Gitea's "Test Delivery").
    Push,
    /// A pull request changed; only a closed one matters.
    PullRequest,
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the type when it is a known one; never text from the request.
        reason: &'static str,
    },
}

/// The header that names the event.
pub(crate) const EVENT_HEADER: &str = "x-gitea-event";

/// The reason for a type that is not in [`IGNORED`], or no type at all; the
/// header itself is never echoed.
pub(crate) const UNKNOWN_REASON: &str = "event type is not one that announces new commits";

/// Event types a Gitea webhook may send that announce nothing to discover.
/// `create` comes with every new branch or tag, next to the `push` event
/// that carries the same ref; the push is the one acted on.
const IGNORED: &[(&str, &str)] = &ignored![
    "create",
    "delete",
    "fork",
    "issues",
    "issue_comment",
    "pull_request_approved",
    "pull_request_rejected",
    "pull_request_comment",
    "wiki",
    "repository",
    "release",
    "package",
    "status",
    "workflow_run",
    "workflow_job",
];

/// Builds `(name, "event type <name> announces no new commits")` pairs at
/// compile time, so the reasons are fixed text.
macro_rules! ignored {
    ($($name:literal),* $(,)?) => {
        [$(($name, concat!("event type ", $name, " announces no new commits"))),*]
    };
}
use ignored;

impl EventType {
    /// Classifies the value of `X-Gitea-Event` (case-sensitive, as Gitea
    /// sends it); an absent header is an unknown type.
    pub(crate) fn of(header: Option<&[u8]>) -> Self {
        match header.unwrap_or_default() {
            b"push" => Self::Push,
            b"pull_request" => Self::PullRequest,
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
        assert_eq!(EventType::of(Some(b"push")), EventType::Push);
        assert_eq!(EventType::of(Some(b"pull_request")), EventType::PullRequest);
    }

    #[test]
    fn a_create_event_is_left_to_its_push() {
        assert_eq!(
            EventType::of(Some(b"create")),
            EventType::Other {
                reason: "event type create announces no new commits"
            }
        );
    }

    #[test]
    fn unknown_types_are_not_echoed() {
        for header in [Some(&b"Push"[..]), Some(b"<b>x</b>"), Some(b""), None] {
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
