//! Helpers shared by the test modules.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use kargo_webhook_github::{GitHub, SECRET_KEY};
use kargo_webhook_provider::{
    ChangedPaths, Credentials, HeaderSource, Outcome, Provider, ProviderError, PushedContent,
    PushedRepository, ReceiverOptions, Refusal, RepoKey, RequestHead, Unauthenticated,
    deliver as deliver_to,
};

/// The bytes of one file of `tests/fixtures/github/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/github/",
            $name
        ))
    };
}
pub(crate) use fixture;

/// The webhook secret of these tests (the `secret` key of the Secret).
pub const SECRET: &[u8] = b"It's a Secret to Everybody";

pub const INVALID_BODY: Refusal =
    Refusal::Provider(ProviderError::MalformedBody("invalid request body"));
pub const FORM_ENCODED: Refusal = Refusal::Provider(ProviderError::UnsupportedContent(
    "unsupported content type: set the webhook to application/json",
));
pub const MISSING_SIGNATURE: Refusal =
    Refusal::Unauthenticated(Unauthenticated::MissingCredentials("missing signature"));
pub const UNAUTHORIZED: Refusal =
    Refusal::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is `secret`.
pub fn credentials(secret: &[u8]) -> Credentials {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), secret.to_vec())]);
    Credentials::from_secret_data(GitHub.secret_keys(), &data).expect("the Secret has the key")
}

/// `X-Hub-Signature-256` as GitHub computes it for `body` with `secret`.
pub fn sign_with(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The signature of `body` with the tests' secret.
pub fn sign(body: &[u8]) -> String {
    sign_with(SECRET, body)
}

/// A header list of any length, as the gateway's header map would be.
struct Headers<'a>(&'a [(&'a str, &'a [u8])]);

impl HeaderSource for Headers<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.header(name)
    }
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    let headers = Headers(headers);
    deliver_to(
        &GitHub,
        RequestHead::new("POST", &headers),
        credentials,
        &ReceiverOptions::default(),
        body,
    )
}

/// The authentication step alone, on a head with exactly these headers:
/// `Ok(checks_body)` or the refusal.
pub fn authenticate_with(
    headers: &[(&str, &[u8])],
    credentials: &Credentials,
) -> Result<bool, Unauthenticated> {
    let headers = Headers(headers);
    GitHub
        .authenticate(RequestHead::new("POST", &headers), credentials)
        .map(|authenticated| authenticated.checks_body())
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

/// The pushes of a refresh outcome; panics on anything else.
pub fn refreshed(result: Result<Outcome, Refusal>) -> Vec<PushedRepository> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes,
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// The repository key of `github.com/example-org/guestbook`, the fixtures'.
pub const GUESTBOOK: &str = "https://github.com/example-org/guestbook";

/// A Git push of `url` with these refs and changed paths.
pub fn git_push(url: &str, refs: &[&str], changed_paths: ChangedPaths) -> PushedRepository {
    let key = RepoKey::git(url).expect("a Git URL");
    PushedRepository {
        refs: refs.iter().map(|r| (*r).to_owned()).collect(),
        changed_paths,
        ..PushedRepository::new(key)
    }
}

/// An image push of `reference` with these tags and digests.
pub fn image_push(
    reference: &str,
    tags: &[&str],
    digests: &[&str],
    content: PushedContent,
) -> PushedRepository {
    let key = RepoKey::image(reference).expect("an image reference");
    PushedRepository {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        digests: digests.iter().map(|d| (*d).to_owned()).collect(),
        content,
        ..PushedRepository::new(key)
    }
}

/// `ChangedPaths::Complete` of these paths.
pub fn paths(paths: &[&str]) -> ChangedPaths {
    ChangedPaths::complete(paths.iter().copied())
}
