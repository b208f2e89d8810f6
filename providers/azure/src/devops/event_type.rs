//! Azure DevOps service hook event types, and what each means here.

/// What an `eventType` means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// `git.push`: refs of a repository moved.
    Push,
    /// `git.pullrequest.merged`: a pull request's merge commit was made.
    PullRequestMerged,
    /// `git.pullrequest.updated`: acted on when the pull request was
    /// abandoned (closed without merging).
    PullRequestUpdated,
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the type when it is a known one; never text from the body.
        reason: &'static str,
    },
}

/// The reason for an event type that is not in [`IGNORED`]; the type itself
/// is not echoed, since it is text from the body.
const UNKNOWN_REASON: &str = "unknown event type announces no new commits";

/// The other event types a service hook subscription can select (Azure
/// DevOps' service hook event reference).
const IGNORED: &[(&str, &str)] = &ignored![
    "git.pullrequest.created",
    "ms.vss-code.git-pullrequest-comment-event",
    "tfvc.checkin",
    "build.complete",
    "ms.vss-release.release-created-event",
    "ms.vss-release.release-abandoned-event",
    "ms.vss-release.deployment-approval-pending-event",
    "ms.vss-release.deployment-approval-completed-event",
    "ms.vss-release.deployment-started-event",
    "ms.vss-release.deployment-completed-event",
    "ms.vss-pipelines.job-state-changed-event",
    "workitem.created",
    "workitem.updated",
    "workitem.deleted",
    "workitem.restored",
    "workitem.commented",
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
    /// Classifies the `eventType` field (case-sensitive, as Azure sends it).
    pub(crate) fn of(name: &str) -> Self {
        match name {
            "git.push" => Self::Push,
            "git.pullrequest.merged" => Self::PullRequestMerged,
            "git.pullrequest.updated" => Self::PullRequestUpdated,
            _ => Self::Other {
                reason: IGNORED
                    .iter()
                    .find(|(known, _)| *known == name)
                    .map_or(UNKNOWN_REASON, |(_, reason)| reason),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_acted_on() {
        assert_eq!(EventType::of("git.push"), EventType::Push);
        assert_eq!(
            EventType::of("git.pullrequest.merged"),
            EventType::PullRequestMerged
        );
        assert_eq!(
            EventType::of("git.pullrequest.updated"),
            EventType::PullRequestUpdated
        );
        assert_ne!(EventType::of("Git.Push"), EventType::Push);
    }

    #[test]
    fn known_types_are_named_and_unknown_ones_not_echoed() {
        assert_eq!(
            EventType::of("build.complete"),
            EventType::Other {
                reason: "event type build.complete announces no new commits"
            }
        );
        assert_eq!(
            EventType::of("<script>"),
            EventType::Other {
                reason: UNKNOWN_REASON
            }
        );
    }
}
