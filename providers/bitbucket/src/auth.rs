//! Bitbucket's authentication: an HMAC of the body keyed with the webhook's
//! secret, in `X-Hub-Signature`.

use kargo_webhook_provider::SignatureScheme;
use kargo_webhook_provider::signature::verify_prefixed_hmac;

/// The key of the receiver's Secret that holds the webhook's secret (the
/// same key Kargo's own Bitbucket receiver reads).
pub const SECRET_KEY: &str = "secret";

/// `X-Hub-Signature` must be `sha256=` and the hex HMAC-SHA256 of the raw
/// body keyed with the Secret's `secret` (Bitbucket Cloud, Server and Data
/// Center alike; `sha1=` and `sha512=` are accepted too), compared in
/// constant time. The body is checked before anything reads it, and the
/// event key is looked at only once the signature matched. The reasons are
/// Kargo's own receiver's.
pub(crate) const SCHEME: SignatureScheme = SignatureScheme {
    header: "x-hub-signature",
    key: SECRET_KEY,
    missing: "missing signature",
    wrong: "unauthorized",
    verify: verify_prefixed_hmac,
};
