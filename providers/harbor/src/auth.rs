//! Harbor's authentication: the policy's "Auth Header", sent verbatim.

use kargo_webhook_provider::{Credentials, Delivery, ProviderError};

/// The key of the receiver's Secret that holds the expected `Authorization`
/// value (the same key Kargo's own Harbor receiver reads).
pub const AUTH_HEADER_KEY: &str = "auth-header";

const MISSING: ProviderError = ProviderError::MissingCredentials("missing authorization");
const WRONG: ProviderError = ProviderError::WrongCredentials("unauthorized");

/// Succeeds only when `Authorization` equals the Secret's `auth-header` byte
/// for byte. Harbor adds no scheme and encodes nothing, so there is nothing
/// to strip or decode: any difference (case, a trailing space) is a refusal.
pub(crate) fn authenticate(
    delivery: &Delivery<'_>,
    credentials: &Credentials,
) -> Result<(), ProviderError> {
    // An empty header is treated as absent, as Kargo's own receiver does.
    let presented = delivery
        .header("authorization")
        .filter(|value| !value.is_empty())
        .ok_or(MISSING)?;
    // Credentials without the key cannot vouch for anyone: fail closed.
    let expected = credentials.header(AUTH_HEADER_KEY).ok_or(WRONG)?;
    if expected.matches(presented) {
        Ok(())
    } else {
        Err(WRONG)
    }
}
