//! Azure Container Registry webhook actions, and what each means here.

/// What an `action` means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `push`: an image or OCI artifact (an OCI Helm chart too) was pushed.
    Push,
    /// `ping`: the registry checks that the webhook's URL answers.
    Ping,
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the action when it is a known one; never text from the body.
        reason: &'static str,
    },
}

/// The reason for an action that is not in [`IGNORED`]; the action itself
/// is not echoed, since it is text from the body.
const UNKNOWN_REASON: &str = "unknown action announces no new artifact";

/// `chart_push` comes from ACR's Helm 2 repositories (`az acr helm push`),
/// which Azure has retired: its payload names no registry host, and the
/// chart lives in a classic repository (`https://<registry>/helm/v1/repo`),
/// not in the registry's OCI namespace. Charts pushed as OCI artifacts
/// arrive as `push`.
const CHART_PUSH_REASON: &str =
    "action chart_push is from ACR's retired Helm repositories; OCI charts arrive as push";

/// The other actions a registry webhook can select.
const IGNORED: &[(&str, &str)] = &[
    ("delete", "action delete announces no new artifact"),
    ("chart_push", CHART_PUSH_REASON),
    (
        "chart_delete",
        "action chart_delete announces no new artifact",
    ),
    ("quarantine", "action quarantine announces no new artifact"),
];

impl Action {
    /// Classifies the `action` field (case-sensitive, as ACR sends it).
    pub(crate) fn of(name: &str) -> Self {
        match name {
            "push" => Self::Push,
            "ping" => Self::Ping,
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
    fn push_and_ping() {
        assert_eq!(Action::of("push"), Action::Push);
        assert_eq!(Action::of("ping"), Action::Ping);
        assert_ne!(Action::of("PUSH"), Action::Push);
    }

    #[test]
    fn known_actions_are_named_and_unknown_ones_not_echoed() {
        assert_eq!(
            Action::of("delete"),
            Action::Other {
                reason: "action delete announces no new artifact"
            }
        );
        assert_eq!(
            Action::of("chart_push"),
            Action::Other {
                reason: CHART_PUSH_REASON
            }
        );
        assert_eq!(
            Action::of("<b>"),
            Action::Other {
                reason: UNKNOWN_REASON
            }
        );
    }
}
