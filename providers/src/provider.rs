//! The contract every webhook provider implements.

use crate::delivery::Delivery;
use crate::outcome::{Outcome, ProviderError};
use crate::secret::{Credentials, SecretKeySpec};

/// One kind of webhook (Harbor, GitHub, ...).
///
/// A provider is stateless: the gateway hands it each delivery together with
/// the credentials of the receiver the request was routed to. It must
/// authenticate before it parses, so that an unauthenticated body is never
/// read, and it must not panic on any input.
pub trait Provider: Send + Sync + 'static {
    /// The provider's key in `ProjectConfig.spec.webhookReceivers[]`, e.g.
    /// `harbor`. Also the provider segment of the receiver URL.
    fn name(&self) -> &'static str;

    /// The keys this provider needs from the receiver's Secret.
    fn secret_keys(&self) -> &'static [SecretKeySpec];

    /// The largest body this provider accepts, when it differs from the
    /// gateway's configured default.
    fn body_limit(&self) -> Option<usize> {
        None
    }

    /// Authenticates, then parses one delivery.
    fn handle(
        &self,
        delivery: &Delivery<'_>,
        credentials: &Credentials,
    ) -> Result<Outcome, ProviderError>;
}
