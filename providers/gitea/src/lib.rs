//! The Gitea provider of the Kargo webhook gateway.
//!
//! Gitea sends one `POST` per event, with the event type in
//! `X-Gitea-Event` and the body signed with the webhook's secret: the hex
//! HMAC-SHA256 of the raw body, both as `X-Hub-Signature-256: sha256=<hex>`
//! and as `X-Gitea-Signature: <hex>`. The receiver's Secret holds that
//! secret under `secret`.
//!
//! - `push` (branches and tags alike): the repository (its `clone_url` and
//!   `ssh_url`), the ref that moved and the files the listed commits
//!   changed;
//! - `pull_request` closed (merged or not): the pull request's URL, for the
//!   Promotions waiting on it.
//!
//! Every other event and action is acknowledged and ignored, so that Gitea
//! records a successful delivery.

mod auth;
mod body;
mod commits;
mod event_type;
mod pull_request;
mod push;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};

pub use auth::{GITEA_SIGNATURE_HEADER, HUB_SIGNATURE_HEADER, SECRET_KEY};

use crate::event_type::{EVENT_HEADER, EventType};

/// The Gitea webhook provider, registered under the name `gitea`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gitea;

kargo_webhook_provider::register_provider!(Gitea);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_KEY,
    usage: SecretUsage::SigningKey,
}];

impl Provider for Gitea {
    fn name(&self) -> &'static str {
        "gitea"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "HMAC-SHA256 of the body in X-Hub-Signature-256 (sha256=<hex>) or X-Gitea-Signature (<hex>), keyed with the Secret's secret"
    }

    /// Requires a signature header before the body is read; the signature
    /// itself is checked against the body before `parse` sees it. The event
    /// type is not looked at until then.
    fn authenticate<'a>(
        &self,
        head: RequestHead<'a>,
        credentials: &'a Credentials,
    ) -> Result<Authenticated<'a>, Unauthenticated> {
        auth::authenticate(head, credentials)
    }

    fn parse(
        &self,
        delivery: &AuthenticatedDelivery<'_>,
        _: &ReceiverOptions,
    ) -> Result<Outcome, ProviderError> {
        match EventType::of(delivery.header(EVENT_HEADER)) {
            EventType::Push => push::outcome(delivery.body()),
            EventType::PullRequest => pull_request::outcome(delivery.body()),
            EventType::Other { reason } => Ok(Outcome::Ignored(reason)),
        }
    }
}
