//! The contract every webhook provider implements: two steps, kept apart by
//! their types.

use crate::authentication::{Authenticated, Unauthenticated};
use crate::delivery::{AuthenticatedDelivery, RequestHead};
use crate::options::{OptionSpec, ReceiverOptions};
use crate::outcome::{Outcome, ProviderError, Refusal};
use crate::secret::{Credentials, SecretKeySpec};

/// One kind of webhook (Harbor, GitHub, ...).
///
/// A provider is stateless. The gateway drives it in two steps:
///
/// 1. [`authenticate`](Provider::authenticate) sees the request's head (no
///    body) and the credentials of the receiver the request was routed to,
///    and proves the sender with one of the SDK's schemes (see
///    [`crate::authentication`]). A refusal here costs the gateway no body
///    read.
/// 2. The gateway reads the body within its limits and joins it to the
///    proof ([`Authenticated::with_body`], which also checks a body
///    signature); only then does [`parse`](Provider::parse) see it.
///
/// Neither step may panic on any input.
pub trait Provider: Send + Sync + 'static {
    /// The provider's key in `ProjectConfig.spec.webhookReceivers[]`, e.g.
    /// `harbor`. Also the provider segment of the receiver URL.
    fn name(&self) -> &'static str;

    /// The keys this provider needs from the receiver's Secret.
    fn secret_keys(&self) -> &'static [SecretKeySpec];

    /// How a sender proves itself, in a few words for operators (the
    /// `providers` subcommand and the docs), e.g. `HMAC-SHA256 of the body
    /// in X-Hub-Signature-256`.
    fn authentication(&self) -> &'static str;

    /// The options this provider reads from its receiver entry, besides
    /// `secretRef`; none by default.
    fn options(&self) -> &'static [OptionSpec] {
        &[]
    }

    /// The largest body this provider accepts, when it differs from the
    /// gateway's configured default.
    fn body_limit(&self) -> Option<usize> {
        None
    }

    /// Step 1: who sent this? Decided from the head and the receiver's
    /// credentials, through [`HeaderScheme`](crate::HeaderScheme),
    /// [`SignatureScheme`](crate::SignatureScheme) or
    /// [`Authenticated::by_receiver_url`].
    fn authenticate<'a>(
        &self,
        head: RequestHead<'a>,
        credentials: &'a Credentials,
    ) -> Result<Authenticated<'a>, Unauthenticated>;

    /// Step 2: what does this authenticated delivery announce? `options`
    /// are the receiver's, checked against [`options`](Provider::options)
    /// when the receiver was built.
    fn parse(
        &self,
        delivery: &AuthenticatedDelivery<'_>,
        options: &ReceiverOptions,
    ) -> Result<Outcome, ProviderError>;
}

/// Runs both steps on a request whose body is already at hand: for tests,
/// fuzzing and tools. The gateway runs the steps itself, so that it reads
/// the body only once the head has passed.
pub fn deliver(
    provider: &dyn Provider,
    head: RequestHead<'_>,
    credentials: &Credentials,
    options: &ReceiverOptions,
    body: &[u8],
) -> Result<Outcome, Refusal> {
    let delivery = provider.authenticate(head, credentials)?.with_body(body)?;
    Ok(provider.parse(&delivery, options)?)
}
