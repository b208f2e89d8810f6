//! The Azure provider of the Kargo webhook gateway: one receiver type,
//! `azure`, for two Azure services that post to the same URL.
//!
//! - **Azure DevOps** service hooks (`User-Agent: VSServices/...`) post
//!   `git.push` events, which refresh the Warehouses subscribed to the
//!   pushed repository (its `remoteUrl`) with the refs that moved, and
//!   `git.pullrequest.merged` / `git.pullrequest.updated` (when abandoned)
//!   events, which refresh the Promotions waiting on that pull request.
//! - **Azure Container Registry** webhooks (`User-Agent:
//!   AzureContainerRegistry/...`) post `push` events, which refresh the
//!   Warehouses subscribed to `<registry host>/<repository>` with the pushed
//!   tag, and `ping` events, which are answered.
//!
//! Neither service can sign its requests: the receiver's URL, derived from
//! the Secret's `secret` value, is the credential, and the `User-Agent` only
//! says which format the body is in. A request from anything else is
//! refused; every other event type or action is acknowledged and ignored, so
//! that the services do not retry it.

mod acr;
mod devops;
mod sender;

use kargo_webhook_provider::{
    Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
    ReceiverOptions, RequestHead, SecretKeySpec, SecretUsage, Unauthenticated,
};

use crate::sender::Sender;

/// The key of the receiver's Secret whose value goes into the receiver's URL
/// (the same key Kargo's own Azure receiver reads).
pub const SECRET_KEY: &str = "secret";

/// The reason of every refused body: fixed text, never the body itself.
pub(crate) const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// The reason of a request whose `User-Agent` is neither service's.
const UNKNOWN_SENDER: ProviderError = ProviderError::MalformedBody(
    "request does not appear to come from Azure DevOps or Azure Container Registry",
);

/// The Azure webhook provider, registered under the name `azure`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Azure;

kargo_webhook_provider::register_provider!(Azure);

const SECRET_KEYS: &[SecretKeySpec] = &[SecretKeySpec {
    key: SECRET_KEY,
    usage: SecretUsage::UrlOnly,
}];

impl Provider for Azure {
    fn name(&self) -> &'static str {
        "azure"
    }

    fn secret_keys(&self) -> &'static [SecretKeySpec] {
        SECRET_KEYS
    }

    fn authentication(&self) -> &'static str {
        "none in the request: the receiver URL, derived from the Secret's secret value, is the credential"
    }

    /// The URL alone: a request only reaches this provider at the
    /// receiver's URL, whose token is derived from the Secret.
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
        match Sender::of_user_agent(delivery.header("user-agent")) {
            Some(Sender::DevOps) => devops::parse(delivery.body()),
            Some(Sender::ContainerRegistry) => acr::parse(delivery.body()),
            None => Err(UNKNOWN_SENDER),
        }
    }
}
