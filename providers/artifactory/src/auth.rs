//! Artifactory's authentication: an HMAC-SHA256 of the body, keyed with the
//! webhook's secret token.

use kargo_webhook_provider::SignatureScheme;
use kargo_webhook_provider::signature::verify_hex_hmac_sha256;

/// The key of the receiver's Secret that holds the webhook's secret token
/// (the same key Kargo's own Artifactory receiver reads).
pub const SECRET_TOKEN_KEY: &str = "secret-token";

/// With "Use secret for payload signing", Artifactory sends the lowercase
/// hex HMAC-SHA256 of the raw body, keyed with the secret token, in
/// `X-JFrog-Event-Auth`. The header must be present before the body is
/// read; the MAC is checked, in constant time, before anything parses the
/// body. The reasons are Kargo's own receiver's.
pub(crate) const SCHEME: SignatureScheme = SignatureScheme {
    header: "x-jfrog-event-auth",
    key: SECRET_TOKEN_KEY,
    missing: "missing signature",
    wrong: "unauthorized",
    verify: verify_hex_hmac_sha256,
};
