//! The Quay provider of the Kargo webhook gateway.
//!
//! Quay (quay.io or a self-hosted Quay) sends a repository notification of
//! the "Webhook POST" method as one `POST` (`application/json`) whose body is
//! the event's data. A "Push to Repository" notification names the
//! repository (`docker_url`, e.g. `quay.io/mynamespace/repository`) and the
//! tags pushed (`updated_tags`). Other kinds of notification (Dockerfile
//! builds, vulnerabilities found, image expiry, mirror syncs, quotas) are
//! told apart by their fields and acknowledged without a refresh, so that
//! Quay does not retry them.
//!
//! Quay cannot sign a request or add a header, so the receiver's URL is the
//! credential: the Secret's `secret` value only goes into the URL's hash,
//! and any request that reaches that URL is taken as Quay's.

mod notification;
mod push;
mod updated_tags;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};

use crate::notification::{Kind, Notification};

/// The key of the receiver's Secret whose value goes into the receiver's URL
/// (the same key Kargo's own Quay receiver reads).
pub const SECRET_KEY: &str = "secret";

/// The reason of every refused body: fixed text, never the body itself.
const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// The Quay webhook provider, registered under the name `quay`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quay;

kargo_webhook_provider::register_provider!(Quay);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_KEY,
    usage: SecretUsage::UrlOnly,
}];

impl Provider for Quay {
    fn name(&self) -> &'static str {
        "quay"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "the receiver URL only (Quay cannot sign requests)"
    }

    /// Quay presents no header or signature to check: reaching the
    /// receiver's URL, whose token is derived from the Secret, is the proof.
    fn authenticate<'a>(
        &self,
        head: RequestHead<'a>,
        _: &'a Credentials,
    ) -> Result<Authenticated<'a>, Unauthenticated> {
        Ok(Authenticated::by_receiver_url(head))
    }

    fn parse(
        &self,
        delivery: &AuthenticatedDelivery<'_>,
        _: &ReceiverOptions,
    ) -> Result<Outcome, ProviderError> {
        let notification = Notification::parse(delivery.body()).ok_or(INVALID_BODY)?;
        match notification.kind() {
            Kind::Push => push::refresh(&notification).ok_or(INVALID_BODY),
            Kind::Other(reason) => Ok(Outcome::Ignored(reason)),
            Kind::Unknown => Err(INVALID_BODY),
        }
    }
}
