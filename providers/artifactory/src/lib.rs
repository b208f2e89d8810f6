//! The JFrog Artifactory provider of the Kargo webhook gateway.
//!
//! An Artifactory webhook posts one JSON object per event: `domain` and
//! `event_type` name it, `data` describes it, `jpd_origin` is the
//! platform's base URL. With "Use secret for payload signing", the webhook
//! signs the raw body: `X-JFrog-Event-Auth` holds the lowercase hex
//! HMAC-SHA256 of the body keyed with the secret token, which the
//! receiver's Secret holds under `secret-token`. The signature is checked
//! before anything reads the body.
//!
//! A docker `pushed` event ("Docker and OCI: tag was pushed") of a `docker`
//! or `oci` image refreshes the Warehouses subscribed to
//! `<host of jpd_origin>/<repository key>/<image path>` with the pushed tag;
//! the receiver option `virtualRepoName` replaces the repository key, for
//! Warehouses that subscribe through a virtual repository. Every other
//! event is acknowledged and ignored, so that Artifactory does not retry it.

mod auth;
mod event_type;
mod origin;
mod push;
mod virtual_repo;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, OptionSpec, Outcome, Provider,
    ProviderError, ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub use auth::SECRET_TOKEN_KEY;
pub use virtual_repo::FIELD as VIRTUAL_REPO_NAME;

use crate::event_type::EventType;
use crate::push::Pushed;
use kargo_webhook_provider::json::{Text, from_object};

/// The reason of every refused body: fixed text, never the body itself.
const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// The Artifactory webhook provider, registered under the name `artifactory`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Artifactory;

kargo_webhook_provider::register_provider!(Artifactory);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_TOKEN_KEY,
    usage: SecretUsage::SigningKey,
}];

const OPTIONS: &[OptionSpec] = &[virtual_repo::SPEC];

/// The top level of an event. `data` stays unparsed until the event says it
/// matters; `subscription_key` and `source` are skipped.
#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    domain: Option<Text<'a>>,
    #[serde(borrow, default)]
    event_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    jpd_origin: Option<Text<'a>>,
}

impl Provider for Artifactory {
    fn name(&self) -> &'static str {
        "artifactory"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "HMAC-SHA256 of the body, keyed with the Secret's secret-token, in X-JFrog-Event-Auth"
    }

    fn options(&self) -> &'static [OptionSpec] {
        OPTIONS
    }

    /// Requires `X-JFrog-Event-Auth`; the gateway then reads the body within
    /// its limit and checks the signature before [`parse`](Self::parse).
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
        options: &ReceiverOptions,
    ) -> Result<Outcome, ProviderError> {
        let envelope: Envelope<'_> = from_object(delivery.body()).ok_or(INVALID_BODY)?;
        let domain = envelope.domain.as_deref().ok_or(INVALID_BODY)?;
        let event_type = envelope.event_type.as_deref().ok_or(INVALID_BODY)?;
        match EventType::of(domain, event_type) {
            EventType::Pushed => {
                let data = envelope.data.ok_or(INVALID_BODY)?.get().as_bytes();
                // Empty is "not set", as for Kargo.
                let virtual_repo = options
                    .get(VIRTUAL_REPO_NAME)
                    .filter(|name| !name.is_empty());
                match push::pushed(data, envelope.jpd_origin.as_deref(), virtual_repo) {
                    Pushed::Outcome(outcome) => Ok(outcome),
                    Pushed::Malformed => Err(INVALID_BODY),
                }
            }
            EventType::Other { reason } => Ok(Outcome::Ignored(reason)),
        }
    }
}
