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
        let refusal = match label {
            ContentLabel::Foreign => UNSUPPORTED_CONTENT,
            ContentLabel::Declared(_) | ContentLabel::Unlabelled => INVALID_BODY,
        };
        let envelope = Envelope::parse(delivery.body()).ok_or(refusal)?;
        let format = match label {
            ContentLabel::Declared(format) => format,
            ContentLabel::Unlabelled | ContentLabel::Foreign => {
                envelope.recognized_format().ok_or(refusal)?
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
                push::pushed_repositories(data).ok_or(INVALID_BODY)
            }
            EventType::Other { reason } => Ok(Outcome::Ignored(reason)),
        }
    }
}
