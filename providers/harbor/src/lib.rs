//! The Harbor provider of the Kargo webhook gateway.
//!
//! Harbor sends one `POST` per event with the policy's "Auth Header" copied
//! verbatim into `Authorization`, in either its Default format
//! (`application/json`) or CloudEvents structured mode
//! (`application/cloudevents+json`). A `PUSH_ARTIFACT` event
//! (`harbor.artifact.pushed`) names the repositories that got new content;
//! every other event type is acknowledged and ignored, so that Harbor does
//! not retry it.
//!
//! The receiver's Secret holds the expected header under `auth-header`.

mod artifact_ref;
mod auth;
mod envelope;
mod event_type;
mod format;
mod push;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};

pub use auth::AUTH_HEADER_KEY;

use crate::envelope::Envelope;
use crate::event_type::EventType;
use crate::format::{ContentLabel, Format};
use crate::push::PushObject;

/// The reason of every refused body: fixed text, never the body itself.
const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");
/// The reason of a body that is neither JSON nor labelled as such.
const UNSUPPORTED_CONTENT: ProviderError =
    ProviderError::UnsupportedContent("unsupported content type");

/// The Harbor webhook provider, registered under the name `harbor`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Harbor;

kargo_webhook_provider::register_provider!(Harbor);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: AUTH_HEADER_KEY,
    usage: SecretUsage::HeaderMatch,
}];

impl Provider for Harbor {
    fn name(&self) -> &'static str {
        "harbor"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "Authorization header equal to the Secret's auth-header value"
    }

    /// From `Authorization` alone: a wrong sender is refused before one
    /// byte of its body is read.
    fn authenticate<'a>(
        &self,
        head: RequestHead<'a>,
        credentials: &'a Credentials,
    ) -> Result<Authenticated<'a>, Unauthenticated> {
        auth::SCHEME.authenticate(head, credentials)
    }

    fn parse(
        &self,
        delivery: &AuthenticatedDelivery<'_>,
        _: &ReceiverOptions,
    ) -> Result<Outcome, ProviderError> {
        let label = ContentLabel::of(delivery.media_type().as_deref());
        let body = delivery.body();
        // A push is read in one pass over the body. Whatever that pass does
        // not take (data of another shape, bytes that are not UTF-8, not
        // JSON) is read again the general way, which decides as before.
        if std::str::from_utf8(body).is_ok()
            && let Some(envelope) = Envelope::<PushObject<'_>>::parse(body)
        {
            return verdict(label, envelope, push::read_with_body);
        }
        let envelope = Envelope::parse(body).ok_or_else(|| refusal(label))?;
        verdict(label, envelope, push::pushed_repositories)
    }
}

/// What refuses a body of no known shape under `label`.
fn refusal(label: ContentLabel) -> ProviderError {
    match label {
        ContentLabel::Foreign => UNSUPPORTED_CONTENT,
        ContentLabel::Declared(_) | ContentLabel::Unlabelled => INVALID_BODY,
    }
}

/// The outcome of a parsed body, whichever way its event's objects (`D`)
/// were read; `pushed` reads a push's.
fn verdict<D>(
    label: ContentLabel,
    envelope: Envelope<'_, D>,
    pushed: impl FnOnce(Option<D>) -> Option<Outcome>,
) -> Result<Outcome, ProviderError> {
    let format = match label {
        ContentLabel::Declared(format) => format,
        ContentLabel::Unlabelled | ContentLabel::Foreign => {
            envelope.recognized_format().ok_or_else(|| refusal(label))?
        }
    };

    // Both vocabularies of type names are understood whatever the format,
    // so a push whose body contradicts its label lacks its data and is
    // refused (Harbor then reports a failure) instead of being ignored.
    let event_type = envelope.event_type.as_deref().ok_or(INVALID_BODY)?;
    match EventType::of(event_type) {
        EventType::Push => {
            let data = match format {
                Format::Default => envelope.event_data,
                Format::CloudEvents => envelope.data,
            };
            pushed(data).ok_or(INVALID_BODY)
        }
        EventType::Other { reason } => Ok(Outcome::Ignored(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use kargo_webhook_provider_testkit::fixture;
    use kargo_webhook_provider_testkit::never_panics::{self, damage};
    use proptest::prelude::*;

    const LABELS: [ContentLabel; 4] = [
        ContentLabel::Declared(Format::Default),
        ContentLabel::Declared(Format::CloudEvents),
        ContentLabel::Unlabelled,
        ContentLabel::Foreign,
    ];

    /// The verdict in one pass (`None` when that pass does not take the
    /// body), and the verdict of the general way.
    type BothWays = (
        Option<Result<Outcome, ProviderError>>,
        Result<Outcome, ProviderError>,
    );

    fn both_ways(label: ContentLabel, body: &[u8]) -> BothWays {
        let one_pass = std::str::from_utf8(body)
            .ok()
            .and_then(|_| Envelope::<PushObject<'_>>::parse(body))
            .map(|envelope| verdict(label, envelope, push::read_with_body));
        let general = Envelope::parse(body)
            .ok_or_else(|| refusal(label))
            .and_then(|envelope| verdict(label, envelope, push::pushed_repositories));
        (one_pass, general)
    }

    /// Asserts that whenever the one pass takes a body, it decides as the
    /// general way; true when it took it.
    fn agree(body: &[u8]) -> bool {
        let mut taken = false;
        for label in LABELS {
            let (one_pass, general) = both_ways(label, body);
            if let Some(one_pass) = one_pass {
                assert_eq!(
                    one_pass,
                    general,
                    "{label:?}: {}",
                    String::from_utf8_lossy(body)
                );
                taken = true;
            }
        }
        taken
    }

    const PUSHES: [&[u8]; 6] = [
        fixture!("harbor", "push-simple.json"),
        fixture!("harbor", "push-tag.json"),
        fixture!("harbor", "push-multiple-resources.json"),
        fixture!("harbor", "push-digest-only.json"),
        fixture!("harbor", "push-chart.json"),
        fixture!("harbor", "cloudevents-push-tag.json"),
    ];

    #[test]
    fn pushes_are_read_in_one_pass_with_the_same_verdict() {
        for body in PUSHES {
            assert!(agree(body), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn other_events_and_odd_shapes_get_the_same_verdict_either_way() {
        let fixtures: [&[u8]; 11] = [
            fixture!("harbor", "cloudevents-pull.json"),
            fixture!("harbor", "delete.json"),
            fixture!("harbor", "not-json.txt"),
            fixture!("harbor", "pull.json"),
            fixture!("harbor", "push-empty-resources.json"),
            fixture!("harbor", "push-no-resources.json"),
            fixture!("harbor", "push-replicated.json"),
            fixture!("harbor", "quota-exceed.json"),
            fixture!("harbor", "replication.json"),
            fixture!("harbor", "scanning-completed.json"),
            fixture!("harbor", "push-ext-url-default-port.json"),
        ];
        let odd: [&[u8]; 14] = [
            br#"{"type":"PUSH_ARTIFACT","event_data":[{"resources":[]}]}"#,
            br#"{"type":"PUSH_ARTIFACT","event_data":null}"#,
            br#"{"type":"PUSH_ARTIFACT","event_data":"x"}"#,
            br#"{"type":"PUSH_ARTIFACT","event_data":{"resources":{}}}"#,
            br#"{"type":"PUSH_ARTIFACT","event_data":{"resources":[1]}}"#,
            br#"{"type":"PUSH_ARTIFACT","event_data":{"resources":[],"resources":[]}}"#,
            br#"{"type":"PUSH_ARTIFACT","data":[],"event_data":{"resources":[{"tag":"v1","resource_url":"h.io/p/r:v1"}]}}"#,
            // Not UTF-8 in a field no one reads.
            b"{\"type\":\"PUSH_ARTIFACT\",\"operator\":\"\xff\",\"event_data\":{\"resources\":[{\"tag\":\"v1\",\"resource_url\":\"h.io/p/r:v1\"}]}}",
            br#"{"type":"PUSH\u005fARTIFACT","event_data":{"resources":[{"tag":"v\u0031","resource_url":"h.io\/p\/r:v1"}]}}"#,
            br#"{"specversion":"1.0","type":"harbor.artifact.pushed","data":{"resources":[{"tag":"v1","resource_url":"h.io/p/r:v1"}]}}"#,
            br#"{"specversion":"1.0","type":"harbor.artifact.pushed","event_data":{"resources":[{"tag":"v1","resource_url":"h.io/p/r:v1"}]}}"#,
            br#"{"type":"PULL_ARTIFACT","event_data":{"resources":"none"}}"#,
            br#"{"type":"PUSH_ARTIFACT"}"#,
            br#"[{"type":"PUSH_ARTIFACT"}]"#,
        ];
        for body in fixtures.into_iter().chain(odd) {
            agree(body);
        }
    }

    proptest! {
        #![proptest_config(never_panics::config())]

        #[test]
        fn damaged_pushes_get_the_same_verdict_either_way(
            which in 0..PUSHES.len(),
            damage in damage(),
        ) {
            agree(&damage.apply(PUSHES[which]));
        }
    }
}
