//! GitLab's authentication: the webhook's "Secret token", sent verbatim.

use kargo_webhook_provider::HeaderScheme;

/// The key of the receiver's Secret that holds the token (the same key
/// Kargo's own GitLab receiver reads).
pub const SECRET_TOKEN_KEY: &str = "secret-token";

/// `X-Gitlab-Token` must equal the Secret's `secret-token` byte for byte,
/// compared in constant time. GitLab does not sign the body: the head alone
/// decides, so a wrong sender's body is never read, and no event header is
/// looked at before the token passed. An absent or empty header never
/// authenticates (a Secret with an empty token makes no credentials).
pub(crate) const SCHEME: HeaderScheme = HeaderScheme {
    header: "x-gitlab-token",
    key: SECRET_TOKEN_KEY,
    missing: "missing token",
    wrong: "unauthorized",
};
