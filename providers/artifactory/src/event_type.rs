//! Artifactory webhook events (a `domain` and an `event_type`), and what
//! each means here.

/// What a `(domain, event_type)` pair means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// `docker` / `pushed`: a tag of a Docker or OCI image was pushed.
    Pushed,
    /// Anything else: acknowledged and ignored, for the fixed reason given.
    Other {
        /// Names the event when it is a known one; never text from the body.
        reason: &'static str,
    },
}

/// The other events of the `docker` domain.
const DOCKER_IGNORED: &[(&str, &str)] = &[
    ("deleted", "docker event deleted announces no new image"),
    ("promoted", "docker event promoted announces no new image"),
];

const UNKNOWN_DOCKER_REASON: &str = "unknown docker event announces no new image";

/// The other domains a webhook can subscribe to.
const OTHER_DOMAINS: &[(&str, &str)] = &other_domains![
    "artifact",
    "artifact_property",
    "build",
    "release_bundle",
    "release_bundle_v2",
    "distribution",
    "artifact_lifecycle",
    "destination",
    "user",
];

const UNKNOWN_DOMAIN_REASON: &str = "events of an unknown domain announce no new image";

/// Builds `(domain, "events of domain <domain> announce no new image")`
/// pairs at compile time, so the reasons are fixed text.
macro_rules! other_domains {
    ($($name:literal),* $(,)?) => {
        [$(($name, concat!("events of domain ", $name, " announce no new image"))),*]
    };
}
use other_domains;

impl EventType {
    /// Classifies an event (case-sensitive, as Artifactory sends it).
    pub(crate) fn of(domain: &str, event_type: &str) -> Self {
        let reason = if domain == "docker" {
            if event_type == "pushed" {
                return Self::Pushed;
            }
            lookup(DOCKER_IGNORED, event_type).unwrap_or(UNKNOWN_DOCKER_REASON)
        } else {
            lookup(OTHER_DOMAINS, domain).unwrap_or(UNKNOWN_DOMAIN_REASON)
        };
        Self::Other { reason }
    }
}

fn lookup(table: &[(&str, &'static str)], name: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, reason)| *reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_docker_pushes_are_acted_on() {
        assert_eq!(EventType::of("docker", "pushed"), EventType::Pushed);
        assert_ne!(EventType::of("Docker", "pushed"), EventType::Pushed);
        assert_ne!(EventType::of("artifact", "pushed"), EventType::Pushed);
        assert_ne!(EventType::of("docker", "deployed"), EventType::Pushed);
    }

    #[test]
    fn known_events_are_named_and_unknown_ones_not_echoed() {
        assert_eq!(
            EventType::of("docker", "deleted"),
            EventType::Other {
                reason: "docker event deleted announces no new image"
            }
        );
        assert_eq!(
            EventType::of("artifact", "deployed"),
            EventType::Other {
                reason: "events of domain artifact announce no new image"
            }
        );
        assert_eq!(
            EventType::of("docker", "<x>"),
            EventType::Other {
                reason: UNKNOWN_DOCKER_REASON
            }
        );
        assert_eq!(
            EventType::of("<x>", "pushed"),
            EventType::Other {
                reason: UNKNOWN_DOMAIN_REASON
            }
        );
    }
}
