//! The Bitbucket provider of the Kargo webhook gateway, for Bitbucket Cloud
//! and for Bitbucket Server and Data Center.
//!
//! Bitbucket sends one `POST` per event, signed with the webhook's secret:
//! `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`. The event is named
//! in `X-Event-Key`, which is read only once the signature matched. Then:
//!
//! - Cloud `repo:push` refreshes the repository (its web URL) with each ref
//!   the push moved; Server `repo:refs_changed` refreshes the repository
//!   under every clone URL with each changed ref. Bitbucket lists no changed
//!   files, so path filters never turn these refreshes away;
//! - Cloud `pullrequest:fulfilled` and `pullrequest:rejected`, Server
//!   `pr:merged` and `pr:declined` refresh the Promotions waiting on that
//!   pull request;
//! - Server `diagnostics:ping` ("Test connection") is answered as a ping;
//! - every other event is acknowledged and ignored.
//!
//! The receiver's Secret holds the webhook's secret under `secret`.

mod auth;
mod cloud;
mod event;
mod link;
mod server;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};

pub use auth::SECRET_KEY;

use crate::event::Event;

/// The reason of every refused body: fixed text, never the body itself.
const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// The Bitbucket webhook provider, registered under the name `bitbucket`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bitbucket;

kargo_webhook_provider::register_provider!(Bitbucket);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_KEY,
    usage: SecretUsage::SigningKey,
}];

impl Provider for Bitbucket {
    fn name(&self) -> &'static str {
        "bitbucket"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "HMAC-SHA256 of the body, keyed with the Secret's secret value, in X-Hub-Signature"
    }

    /// Requires `X-Hub-Signature`; the signature itself is checked against
    /// the body before `parse` sees it, and before the event key is read.
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
        let body = delivery.body();
        match Event::of(delivery.header(event::HEADER)) {
            Event::CloudPush => cloud::pushed(body),
            Event::CloudPullRequestClosed => cloud::pull_request_closed(body),
            Event::ServerRefsChanged => server::refs_changed(body),
            Event::ServerPullRequestClosed => server::pull_request_closed(body),
            Event::Ping => Ok(Outcome::Ping),
            Event::Other { reason } => Ok(Outcome::Ignored(reason)),
        }
    }
}
