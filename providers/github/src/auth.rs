//! GitHub's authentication: an HMAC of the raw body, keyed with the
//! webhook's secret, in `X-Hub-Signature-256`.

use kargo_webhook_provider::SignatureScheme;
use kargo_webhook_provider::signature::verify_prefixed_hmac;

/// The key of the receiver's Secret that holds the webhook's secret (the
/// same key Kargo's own GitHub receiver reads).
pub const SECRET_KEY: &str = "secret";

/// The header GitHub signs every delivery in.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the body as
/// sent. The `sha1=` and `sha512=` forms are accepted in that header too
/// (as go-github's check, which Kargo uses, does). The MAC is compared in
/// constant time, and only once the body is read; the head alone can only
/// show that a signature is missing. The reasons are Kargo's own receiver's.
pub(crate) const SCHEME: SignatureScheme = SignatureScheme {
    header: SIGNATURE_HEADER,
    key: SECRET_KEY,
    missing: "missing signature",
    wrong: "unauthorized",
    verify: verify_prefixed_hmac,
};
