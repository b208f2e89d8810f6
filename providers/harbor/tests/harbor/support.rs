//! Helpers shared by the test modules.

use kargo_webhook_harbor::{AUTH_HEADER_KEY, Harbor};
use kargo_webhook_provider::{
    Credentials, Outcome, ProviderError, ReceiverOptions, Refusal, Unauthenticated,
};

pub use kargo_webhook_provider_testkit::outcomes::INVALID_BODY;

/// The bytes of one file of `tests/fixtures/harbor/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("harbor", $name)
    };
}
pub(crate) use fixture;

/// The `auth-header` value of the receiver's Secret in these tests.
pub const SECRET: &[u8] = b"Basic cm9ib3QkY2k6czNjcmV0";

pub const JSON: Option<&str> = Some("application/json");
pub const CLOUDEVENTS: Option<&str> = Some("application/cloudevents+json");

pub const UNSUPPORTED: Refusal = Refusal::Provider(ProviderError::UnsupportedContent(
    "unsupported content type",
));
pub const MISSING_AUTH: Refusal =
    Refusal::Unauthenticated(Unauthenticated::MissingCredentials("missing authorization"));
pub const WRONG_AUTH: Refusal =
    Refusal::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));

/// Credentials as the gateway prepares them from a Secret whose
/// `auth-header` is `secret`.
pub fn credentials(secret: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&Harbor, &[(AUTH_HEADER_KEY, secret)])
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &Harbor,
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
    kargo_webhook_provider_testkit::delivery::authenticate(&Harbor, headers, credentials)
}

/// An authenticated delivery with the given `Content-Type` (none if `None`).
pub fn deliver(content_type: Option<&str>, body: &[u8]) -> Result<Outcome, Refusal> {
    let mut headers: Vec<(&str, &[u8])> = vec![("Authorization", SECRET)];
    if let Some(content_type) = content_type {
        headers.push(("Content-Type", content_type.as_bytes()));
    }
    handle_with(&headers, body, &credentials(SECRET))
}

/// A refresh as plain data: `(repository, tags, digests)` per repository.
pub type Refreshed = Vec<(String, Vec<String>, Vec<String>)>;

/// The repositories of a refresh outcome; panics on anything else.
pub fn refreshed(result: Result<Outcome, Refusal>) -> Refreshed {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes
            .into_iter()
            .map(|p| (p.repository.as_str().to_owned(), p.tags, p.digests))
            .collect(),
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// One expected repository of a refresh.
pub fn repo(
    repository: &str,
    tags: &[&str],
    digests: &[&str],
) -> (String, Vec<String>, Vec<String>) {
    let owned = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    (repository.to_owned(), owned(tags), owned(digests))
}

pub const DIGEST_3F1C: &str =
    "sha256:3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c3f1c";
pub const DIGEST_A0B1: &str =
    "sha256:a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1a0b1";
pub const DIGEST_77E9: &str =
    "sha256:77e977e977e977e977e977e977e977e977e977e977e977e977e977e977e977e9";
