//! The GitHub provider of the Kargo webhook gateway, GitHub Container
//! Registry (GHCR) packages included.
//!
//! GitHub sends one `POST` per event, with the event type in
//! `X-GitHub-Event` and the body signed with the webhook's secret in
//! `X-Hub-Signature-256` (`sha256=` and the hex HMAC-SHA256 of the raw
//! body). The receiver's Secret holds that secret under `secret`.
//!
//! - `push`: the repository (its `clone_url` and `ssh_url`), the ref that
//!   moved and the files the listed commits changed;
//! - `pull_request` closed (merged or not): the pull request's URL, for the
//!   Promotions waiting on it;
//! - `package` (repository and organization webhooks) and
//!   `registry_package` (GitHub Apps), published or updated, of a container
//!   package: the image repository in GHCR, its tag and digest;
//! - `ping`: the webhook is configured correctly.
//!
//! Every other event, action and package ecosystem is acknowledged and
//! ignored, so that GitHub records a successful delivery.

mod auth;
mod body;
mod commits;
mod event_type;
mod package;
mod pull_request;
mod push;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};
use serde::de::IgnoredAny;

pub use auth::{SECRET_KEY, SIGNATURE_HEADER};

use crate::event_type::{EVENT_HEADER, EventType};

/// The GitHub webhook provider, registered under the name `github`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GitHub;

kargo_webhook_provider::register_provider!(GitHub);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_KEY,
    usage: SecretUsage::SigningKey,
}];

impl Provider for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "HMAC-SHA256 of the body in X-Hub-Signature-256 (sha256=<hex>), keyed with the Secret's secret"
    }

    /// Requires the signature header before the body is read; the
    /// signature itself is checked against the body before `parse` sees
    /// it. The event type is not looked at until then, so an unsigned
    /// request learns nothing about what the receiver accepts.
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
        let event_type = EventType::of(delivery.header(EVENT_HEADER));
        if let EventType::Other { reason } = event_type {
            return Ok(Outcome::Ignored(reason));
        }
        body::check_content_type(delivery)?;
        let body = delivery.body();
        match event_type {
            EventType::Ping => {
                body::parse_body::<IgnoredAny>(body)?;
                Ok(Outcome::Ping)
            }
            EventType::Push => push::outcome(body),
            EventType::PullRequest => pull_request::outcome(body),
            EventType::Package(field) => package::outcome(body, field),
            EventType::Other { reason } => Ok(Outcome::Ignored(reason)),
        }
    }
}
