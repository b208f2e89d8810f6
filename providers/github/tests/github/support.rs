//! Helpers shared by the test modules.

use kargo_webhook_github::{GitHub, SECRET_KEY};
use kargo_webhook_provider::{
    Credentials, Outcome, ProviderError, ReceiverOptions, Refusal, Unauthenticated,
};

pub use kargo_webhook_provider_testkit::outcomes::{
    INVALID_BODY, MISSING_SIGNATURE, UNAUTHORIZED, git_push, image_push, paths, refreshed,
};

/// The bytes of one file of `tests/fixtures/github/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("github", $name)
    };
}
pub(crate) use fixture;

/// The webhook secret of these tests (the `secret` key of the Secret).
pub const SECRET: &[u8] = b"It's a Secret to Everybody";

pub const FORM_ENCODED: Refusal = Refusal::Provider(ProviderError::UnsupportedContent(
    "unsupported content type: set the webhook to application/json",
));

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is `secret`.
pub fn credentials(secret: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&GitHub, &[(SECRET_KEY, secret)])
}

/// `X-Hub-Signature-256` as GitHub computes it for `body` with `secret`.
pub fn sign_with(secret: &[u8], body: &[u8]) -> String {
    kargo_webhook_provider_testkit::signing::prefixed_hmac_sha256(secret, body)
}

/// The signature of `body` with the tests' secret.
pub fn sign(body: &[u8]) -> String {
    sign_with(SECRET, body)
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &GitHub,
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
    kargo_webhook_provider_testkit::delivery::authenticate(&GitHub, headers, credentials)
}

/// A delivery of `event` as GitHub sends it: JSON, signed with the
/// receiver's secret.
pub fn deliver(event: &str, body: &[u8]) -> Result<Outcome, Refusal> {
    deliver_as(event, Some("application/json"), body)
}

/// A signed delivery with the given `Content-Type` (none if `None`).
pub fn deliver_as(
    event: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Outcome, Refusal> {
    let signature = sign(body);
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("X-GitHub-Event", event.as_bytes()),
        ("X-Hub-Signature-256", signature.as_bytes()),
        ("X-GitHub-Delivery", b"72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("User-Agent", b"GitHub-Hookshot/044aadd"),
    ];
    if let Some(content_type) = content_type {
        headers.push(("Content-Type", content_type.as_bytes()));
    }
    handle_with(&headers, body, &credentials(SECRET))
}

/// The repository key of `github.com/example-org/guestbook`, the fixtures'.
pub const GUESTBOOK: &str = "https://github.com/example-org/guestbook";
