//! Gitea's authentication: an HMAC-SHA256 of the raw body, keyed with the
//! webhook's secret, sent in two headers.

use kargo_webhook_provider::signature::{verify_hex_hmac_sha256, verify_prefixed_hmac};
use kargo_webhook_provider::{
    Authenticated, Credentials, RequestHead, SignatureScheme, Unauthenticated,
};

/// The key of the receiver's Secret that holds the webhook's secret (the
/// same key Kargo's own Gitea receiver reads).
pub const SECRET_KEY: &str = "secret";

/// `X-Hub-Signature-256: sha256=<hex>`, as GitHub words it (sent by every
/// Gitea version that Kargo's receiver works with).
pub const HUB_SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// `X-Gitea-Signature: <hex>`, the same MAC without a prefix (also sent by
/// older Gitea versions, which lack the GitHub-style header).
pub const GITEA_SIGNATURE_HEADER: &str = "x-gitea-signature";

const MISSING: &str = "missing signature";
const WRONG: &str = "unauthorized";

const HUB_SCHEME: SignatureScheme = SignatureScheme {
    header: HUB_SIGNATURE_HEADER,
    key: SECRET_KEY,
    missing: MISSING,
    wrong: WRONG,
    verify: verify_prefixed_hmac,
};

const GITEA_SCHEME: SignatureScheme = SignatureScheme {
    header: GITEA_SIGNATURE_HEADER,
    key: SECRET_KEY,
    missing: MISSING,
    wrong: WRONG,
    verify: verify_hex_hmac_sha256,
};

/// One signature decides: `X-Hub-Signature-256` when the head carries it
/// (not empty), otherwise `X-Gitea-Signature`. Gitea sends both with the
/// same MAC, so the choice never turns a right sender away, and a wrong
/// preferred signature is not rescued by the other header. Without either
/// the refusal is "missing signature". The MAC is compared in constant
/// time once the body is read.
pub(crate) fn authenticate<'a>(
    head: RequestHead<'a>,
    credentials: &'a Credentials,
) -> Result<Authenticated<'a>, Unauthenticated> {
    let hub_signature = head
        .header(HUB_SIGNATURE_HEADER)
        .is_some_and(|v| !v.is_empty());
    if hub_signature {
        HUB_SCHEME.authenticate(head, credentials)
    } else {
        GITEA_SCHEME.authenticate(head, credentials)
    }
}
