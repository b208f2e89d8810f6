//! Harbor's event types, in both vocabularies, and what each means here.

/// What an event type means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// New content: refresh the repositories it names.
    Push,
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the type when it is a known one; never text from the body.
        reason: &'static str,
    },
}

/// The reason for an event type that is not in [`IGNORED`]; the type itself
/// is not echoed, since it is text from the body.
const UNKNOWN_REASON: &str = "unknown event type announces no new artifact";

/// Every other type a Harbor webhook policy can select, Default names first,
/// then CloudEvents names.
const IGNORED: &[(&str, &str)] = &ignored![
    "PULL_ARTIFACT",
    "DELETE_ARTIFACT",
    "QUOTA_EXCEED",
    "QUOTA_WARNING",
    "SCANNING_FAILED",
    "SCANNING_STOPPED",
    "SCANNING_COMPLETED",
    "REPLICATION",
    "TAG_RETENTION",
    "harbor.artifact.pulled",
    "harbor.artifact.deleted",
    "harbor.quota.exceeded",
    "harbor.quota.warned",
    "harbor.replication.status.changed",
    "harbor.scan.failed",
    "harbor.scan.completed",
    "harbor.scan.stopped",
    "harbor.tag_retention.finished",
];

/// Builds `(name, "event type <name> announces no new artifact")` pairs at
/// compile time, so the reasons are fixed text.
macro_rules! ignored {
    ($($name:literal),* $(,)?) => {
        [$(($name, concat!("event type ", $name, " announces no new artifact"))),*]
    };
}
use ignored;

impl EventType {
    /// Classifies the `type` field (case-sensitive, as Harbor sends it).
    pub(crate) fn of(name: &str) -> Self {
        if name == "PUSH_ARTIFACT" || name == "harbor.artifact.pushed" {
            return Self::Push;
        }
        let reason = IGNORED
            .iter()
            .find(|(known, _)| *known == name)
            .map_or(UNKNOWN_REASON, |(_, reason)| reason);
        Self::Other { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_in_both_vocabularies() {
        assert_eq!(EventType::of("PUSH_ARTIFACT"), EventType::Push);
        assert_eq!(EventType::of("harbor.artifact.pushed"), EventType::Push);
        assert_ne!(EventType::of("push_artifact"), EventType::Push);
    }

    #[test]
    fn known_types_are_named_in_the_reason() {
        assert_eq!(
            EventType::of("PULL_ARTIFACT"),
            EventType::Other {
                reason: "event type PULL_ARTIFACT announces no new artifact"
            }
        );
        assert_eq!(
            EventType::of("harbor.scan.completed"),
            EventType::Other {
                reason: "event type harbor.scan.completed announces no new artifact"
            }
        );
    }

    #[test]
    fn unknown_types_are_not_echoed() {
        assert_eq!(
            EventType::of("<script>"),
            EventType::Other {
                reason: UNKNOWN_REASON
            }
        );
    }
}
