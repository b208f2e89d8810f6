//! Harbor's authentication: the policy's "Auth Header", sent verbatim.

use kargo_webhook_provider::HeaderScheme;

/// The key of the receiver's Secret that holds the expected `Authorization`
/// value (the same key Kargo's own Harbor receiver reads).
pub const AUTH_HEADER_KEY: &str = "auth-header";

/// `Authorization` must equal the Secret's `auth-header` byte for byte.
/// Harbor adds no scheme and encodes nothing, so there is nothing to strip
/// or decode: any difference (case, a trailing space) is a refusal. The
/// head alone decides, so a wrong sender's body is never read. The reasons
/// are Kargo's own receiver's.
pub(crate) const SCHEME: HeaderScheme = HeaderScheme {
    header: "authorization",
    key: AUTH_HEADER_KEY,
    missing: "missing authorization",
    wrong: "unauthorized",
};
