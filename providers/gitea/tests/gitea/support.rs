//! Helpers shared by the test modules.

use kargo_webhook_gitea::{Gitea, SECRET_KEY};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{Credentials, Outcome, ReceiverOptions, Refusal, Unauthenticated};

pub use kargo_webhook_provider_testkit::outcomes::{
    INVALID_BODY, MISSING_SIGNATURE, UNAUTHORIZED, git_push, paths, refreshed,
};

/// The bytes of one file of `tests/fixtures/gitea/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("gitea", $name)
    };
}
pub(crate) use fixture;

/// The webhook secret of these tests (the `secret` key of the Secret).
pub const SECRET: &[u8] = b"gitea-webhook-s3cret";

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is `secret`.
pub fn credentials(secret: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&Gitea, &[(SECRET_KEY, secret)])
}

/// `X-Gitea-Signature` as Gitea computes it: bare hex.
pub fn gitea_signature(secret: &[u8], body: &[u8]) -> String {
    hex_hmac_sha256(secret, body)
}

/// `X-Hub-Signature-256` as Gitea computes it: `sha256=` and the same hex.
pub fn hub_signature(secret: &[u8], body: &[u8]) -> String {
    kargo_webhook_provider_testkit::signing::prefixed_hmac_sha256(secret, body)
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &Gitea,
        headers,
        body,
        credentials,
        &ReceiverOptions::default(),
    )
}

/// The authentication step alone, on a head with exactly these headers:
/// `Ok(checks_body)` or the refusal.
pub fn authenticate_with(
    headers: &[(&str, &[u8])],
    credentials: &Credentials,
) -> Result<bool, Unauthenticated> {
    kargo_webhook_provider_testkit::delivery::authenticate(&Gitea, headers, credentials)
}

/// A delivery of `event` with the headers Gitea sends: the event under its
/// three names, both signatures, JSON.
pub fn deliver(event: &str, body: &[u8]) -> Result<Outcome, Refusal> {
    let gitea = gitea_signature(SECRET, body);
    let hub = hub_signature(SECRET, body);
    let headers: [(&str, &[u8]); 8] = [
        ("Content-Type", b"application/json"),
        ("X-GitHub-Event", event.as_bytes()),
        ("X-Gitea-Delivery", b"f6266f16-1bf3-46a5-9ea4-602e06ead473"),
        ("X-Gitea-Event", event.as_bytes()),
        ("X-Gitea-Signature", gitea.as_bytes()),
        ("X-Gogs-Event", event.as_bytes()),
        ("X-Gogs-Signature", gitea.as_bytes()),
        ("X-Hub-Signature-256", hub.as_bytes()),
    ];
    handle_with(&headers, body, &credentials(SECRET))
}

/// The fixtures' repository, `platform/Guestbook` on gitea.example.com.
pub const GUESTBOOK: &str = "https://gitea.example.com/platform/guestbook";
