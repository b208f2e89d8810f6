//! Bitbucket's event keys (the `X-Event-Key` header), from Bitbucket Cloud
//! and from Bitbucket Server and Data Center, and what each means here.

/// What an event key means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// Cloud `repo:push`: branches and tags pushed, created or deleted.
    CloudPush,
    /// Cloud `pullrequest:fulfilled` (merged) or `pullrequest:rejected`
    /// (declined).
    CloudPullRequestClosed,
    /// Server and Data Center `repo:refs_changed`: refs pushed.
    ServerRefsChanged,
    /// Server and Data Center `pr:merged` or `pr:declined`.
    ServerPullRequestClosed,
    /// Server and Data Center `diagnostics:ping`, sent by "Test connection".
    Ping,
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the key when it is a known one; never text from the request.
        reason: &'static str,
    },
}

/// The header naming the event.
pub(crate) const HEADER: &str = "x-event-key";

/// The reason for a key that is not in [`IGNORED`]; the key itself is not
/// echoed, since it is text from the request.
const UNKNOWN_REASON: &str = "unknown event key is not acted on";
const NO_KEY_REASON: &str = "a delivery without X-Event-Key is not acted on";

/// Every other key a Bitbucket webhook can select: Cloud's first, then
/// Server's and Data Center's.
const IGNORED: &[(&str, &str)] = &ignored![
    "repo:fork",
    "repo:updated",
    "repo:transfer",
    "repo:created",
    "repo:deleted",
    "repo:imported",
    "repo:commit_comment_created",
    "repo:commit_status_created",
    "repo:commit_status_updated",
    "issue:created",
    "issue:updated",
    "issue:comment_created",
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:push",
    "pullrequest:approved",
    "pullrequest:unapproved",
    "pullrequest:changes_request_created",
    "pullrequest:changes_request_removed",
    "pullrequest:comment_created",
    "pullrequest:comment_updated",
    "pullrequest:comment_deleted",
    "pullrequest:comment_resolved",
    "pullrequest:comment_reopened",
    "project:modified",
    "repo:modified",
    "repo:forked",
    "repo:comment:added",
    "repo:comment:edited",
    "repo:comment:deleted",
    "repo:secret_detected",
    "mirror:repo_synchronized",
    "pr:opened",
    "pr:from_ref_updated",
    "pr:to_ref_updated",
    "pr:modified",
    "pr:reviewer:updated",
    "pr:reviewer:approved",
    "pr:reviewer:unapproved",
    "pr:reviewer:needs_work",
    "pr:deleted",
    "pr:comment:added",
    "pr:comment:edited",
    "pr:comment:deleted",
];

/// Builds `(key, "event key <key> is not acted on")` pairs at compile time,
/// so the reasons are fixed text.
macro_rules! ignored {
    ($($name:literal),* $(,)?) => {
        [$(($name, concat!("event key ", $name, " is not acted on"))),*]
    };
}
use ignored;

impl Event {
    /// Classifies the header's value (case-sensitive, as Bitbucket sends it).
    pub(crate) fn of(header: Option<&[u8]>) -> Self {
        let Some(key) = header else {
            return Self::Other {
                reason: NO_KEY_REASON,
            };
        };
        match key {
            b"repo:push" => Self::CloudPush,
            b"pullrequest:fulfilled" | b"pullrequest:rejected" => Self::CloudPullRequestClosed,
            b"repo:refs_changed" => Self::ServerRefsChanged,
            b"pr:merged" | b"pr:declined" => Self::ServerPullRequestClosed,
            b"diagnostics:ping" => Self::Ping,
            _ => {
                let reason = IGNORED
                    .iter()
                    .find(|(known, _)| known.as_bytes() == key)
                    .map_or(UNKNOWN_REASON, |(_, reason)| reason);
                Self::Other { reason }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_acted_on() {
        assert_eq!(Event::of(Some(b"repo:push")), Event::CloudPush);
        for key in [&b"pullrequest:fulfilled"[..], b"pullrequest:rejected"] {
            assert_eq!(Event::of(Some(key)), Event::CloudPullRequestClosed);
        }
        assert_eq!(
            Event::of(Some(b"repo:refs_changed")),
            Event::ServerRefsChanged
        );
        for key in [&b"pr:merged"[..], b"pr:declined"] {
            assert_eq!(Event::of(Some(key)), Event::ServerPullRequestClosed);
        }
        assert_eq!(Event::of(Some(b"diagnostics:ping")), Event::Ping);
        assert_ne!(Event::of(Some(b"REPO:PUSH")), Event::CloudPush);
    }

    #[test]
    fn known_keys_are_named_in_the_reason() {
        assert_eq!(
            Event::of(Some(b"pullrequest:created")),
            Event::Other {
                reason: "event key pullrequest:created is not acted on"
            }
        );
        assert_eq!(
            Event::of(Some(b"pr:opened")),
            Event::Other {
                reason: "event key pr:opened is not acted on"
            }
        );
    }

    #[test]
    fn unknown_or_missing_keys_are_not_echoed() {
        for key in [&b"<script>"[..], b"", b"\xff"] {
            assert_eq!(
                Event::of(Some(key)),
                Event::Other {
                    reason: UNKNOWN_REASON
                }
            );
        }
        assert_eq!(
            Event::of(None),
            Event::Other {
                reason: NO_KEY_REASON
            }
        );
    }
}
