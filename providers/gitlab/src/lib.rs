//! The GitLab provider of the Kargo webhook gateway.
//!
//! GitLab sends one `POST` per event, with the webhook's "Secret token"
//! copied verbatim into `X-Gitlab-Token` (GitLab signs nothing) and the
//! event type in `X-Gitlab-Event`. The token is checked first, from the head
//! alone; then:
//!
//! - `Push Hook` and `Tag Push Hook` refresh the repository (its HTTP and SSH
//!   URLs) with the pushed ref; a branch push also names the files its
//!   commits changed, unless GitLab capped the list (it sends the newest 20);
//! - `Merge Request Hook` with the action `merge` or `close` refreshes the
//!   Promotions waiting on that merge request;
//! - everything else (other actions, other hooks, `System Hook`) is
//!   acknowledged and ignored, so that GitLab neither retries nor disables
//!   the webhook.
//!
//! The receiver's Secret holds the token under `secret-token`.

mod auth;
mod event;
mod merge_request;
mod push;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};

pub use auth::SECRET_TOKEN_KEY;

use crate::event::Event;
use crate::push::PushKind;

/// The reason of every refused body: fixed text, never the body itself.
const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// The GitLab webhook provider, registered under the name `gitlab`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GitLab;

kargo_webhook_provider::register_provider!(GitLab);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_TOKEN_KEY,
    usage: SecretUsage::HeaderMatch,
}];

impl Provider for GitLab {
    fn name(&self) -> &'static str {
        "gitlab"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "X-Gitlab-Token header equal to the Secret's secret-token value"
    }

    /// From `X-Gitlab-Token` alone: a wrong sender is refused before one
    /// byte of its body is read, and before its event type is looked at.
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
            Event::Push => push::pushed(body, PushKind::Branch),
            Event::TagPush => push::pushed(body, PushKind::Tag),
            Event::MergeRequest => merge_request::closed(body),
            Event::Other { reason } => Ok(Outcome::Ignored(reason)),
        }
    }
}
