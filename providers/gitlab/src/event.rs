//! GitLab's event types (the `X-Gitlab-Event` header) and what each means
//! here.

/// What an event type means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// `Push Hook`: commits pushed to a branch.
    Push,
    /// `Tag Push Hook`: a tag created or deleted.
    TagPush,
    /// `Merge Request Hook`: acted on when merged or closed.
    MergeRequest,
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the type when it is a known one; never text from the request.
        reason: &'static str,
    },
}

/// The header naming the event type.
pub(crate) const HEADER: &str = "x-gitlab-event";

/// The reason for a type that is not in [`IGNORED`]; the type itself is not
/// echoed, since it is text from the request.
const UNKNOWN_REASON: &str = "unknown event type is not acted on";
const NO_TYPE_REASON: &str = "a delivery without X-Gitlab-Event is not acted on";

/// Every other type GitLab sends to project, group and system hooks.
/// `System Hook` carries instance-wide events (pushes among them) that an
/// administrator configures for the whole instance, not a repository's
/// webhook: Kargo's receiver does not act on them either.
const IGNORED: &[(&str, &str)] = &ignored![
    "Issue Hook",
    "Confidential Issue Hook",
    "Work Item Hook",
    "Note Hook",
    "Confidential Note Hook",
    "Wiki Page Hook",
    "Pipeline Hook",
    "Job Hook",
    "Deployment Hook",
    "Feature Flag Hook",
    "Release Hook",
    "Milestone Hook",
    "Emoji Hook",
    "Resource Access Token Hook",
    "Member Hook",
    "Project Hook",
    "Subgroup Hook",
    "Vulnerability Hook",
    "System Hook",
];

/// Builds `(name, "event type <name> is not acted on")` pairs at compile
/// time, so the reasons are fixed text.
macro_rules! ignored {
    ($($name:literal),* $(,)?) => {
        [$(($name, concat!("event type ", $name, " is not acted on"))),*]
    };
}
use ignored;

impl Event {
    /// Classifies the header's value (case-sensitive, as GitLab sends it).
    pub(crate) fn of(header: Option<&[u8]>) -> Self {
        let Some(name) = header else {
            return Self::Other {
                reason: NO_TYPE_REASON,
            };
        };
        match name {
            b"Push Hook" => Self::Push,
            b"Tag Push Hook" => Self::TagPush,
            b"Merge Request Hook" => Self::MergeRequest,
            _ => {
                let reason = IGNORED
                    .iter()
                    .find(|(known, _)| known.as_bytes() == name)
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
    fn the_three_acted_on() {
        assert_eq!(Event::of(Some(b"Push Hook")), Event::Push);
        assert_eq!(Event::of(Some(b"Tag Push Hook")), Event::TagPush);
        assert_eq!(Event::of(Some(b"Merge Request Hook")), Event::MergeRequest);
        assert_ne!(Event::of(Some(b"push hook")), Event::Push);
        assert_ne!(Event::of(Some(b"Push Hook ")), Event::Push);
    }

    #[test]
    fn known_types_are_named_in_the_reason() {
        assert_eq!(
            Event::of(Some(b"System Hook")),
            Event::Other {
                reason: "event type System Hook is not acted on"
            }
        );
        assert_eq!(
            Event::of(Some(b"Note Hook")),
            Event::Other {
                reason: "event type Note Hook is not acted on"
            }
        );
    }

    #[test]
    fn unknown_or_missing_types_are_not_echoed() {
        for name in [&b"<script>"[..], b"", b"\xff\xfe"] {
            assert_eq!(
                Event::of(Some(name)),
                Event::Other {
                    reason: UNKNOWN_REASON
                }
            );
        }
        assert_eq!(
            Event::of(None),
            Event::Other {
                reason: NO_TYPE_REASON
            }
        );
    }
}
