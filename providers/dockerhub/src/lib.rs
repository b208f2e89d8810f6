//! The Docker Hub provider of the Kargo webhook gateway.
//!
//! Docker Hub sends one `POST` (`application/json`) to each of a
//! repository's webhooks whenever a tag is pushed to it. The body names the
//! repository (`repository.repo_name`), the tag (`push_data.tag`) and, in
//! current payloads, the pushed manifest's media type
//! (`push_data.media_type`), which tells a Helm chart from an image. There
//! is no event type: every delivery is a push.
//!
//! Docker Hub cannot sign a request or add a header, so the receiver's URL is
//! the credential: the Secret's `secret` value only goes into the URL's
//! hash, and any request that reaches that URL is taken as Docker Hub's. The
//! body's `callback_url` (a legacy confirmation protocol Docker Hub no
//! longer supports) is never called.

mod payload;
mod repo_name;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};

/// The key of the receiver's Secret whose value goes into the receiver's URL
/// (the same key Kargo's own Docker Hub receiver reads).
pub const SECRET_KEY: &str = "secret";

/// The reason of every refused body: fixed text, never the body itself.
const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// The Docker Hub webhook provider, registered under the name `dockerhub`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DockerHub;

kargo_webhook_provider::register_provider!(DockerHub);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_KEY,
    usage: SecretUsage::UrlOnly,
}];

impl Provider for DockerHub {
    fn name(&self) -> &'static str {
        "dockerhub"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "the receiver URL only (Docker Hub cannot sign requests)"
    }

    /// Docker Hub presents nothing: reaching the receiver's URL, whose token
    /// is derived from the Secret, is the proof.
    fn authenticate<'a>(
        &self,
        head: RequestHead<'a>,
        _: &'a Credentials,
    ) -> Result<Authenticated<'a>, Unauthenticated> {
        Ok(Authenticated::by_receiver_url(head))
    }

    /// Every well-formed body is a push of the repository it names.
    fn parse(
        &self,
        delivery: &AuthenticatedDelivery<'_>,
        _: &ReceiverOptions,
    ) -> Result<Outcome, ProviderError> {
        payload::refresh(delivery.body()).ok_or(INVALID_BODY)
    }
}
