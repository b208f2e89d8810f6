//! Helpers shared by the test modules.

use std::collections::BTreeMap;

use kargo_webhook_gitea::{Gitea, SECRET_KEY};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    ChangedPaths, Credentials, HeaderSource, Outcome, Provider, ProviderError, PushedRepository,
    ReceiverOptions, Refusal, RepoKey, RequestHead, Unauthenticated, deliver as deliver_to,
};

/// The bytes of one file of `tests/fixtures/gitea/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/gitea/",
            $name
        ))
    };
}
pub(crate) use fixture;

/// The webhook secret of these tests (the `secret` key of the Secret).
pub const SECRET: &[u8] = b"gitea-webhook-s3cret";

pub const INVALID_BODY: Refusal =
    Refusal::Provider(ProviderError::MalformedBody("invalid request body"));
pub const MISSING_SIGNATURE: Refusal =
    Refusal::Unauthenticated(Unauthenticated::MissingCredentials("missing signature"));
pub const UNAUTHORIZED: Refusal =
    Refusal::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is `secret`.
pub fn credentials(secret: &[u8]) -> Credentials {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), secret.to_vec())]);
    Credentials::from_secret_data(Gitea.secret_keys(), &data).expect("the Secret has the key")
}

/// `X-Gitea-Signature` as Gitea computes it: bare hex.
pub fn gitea_signature(secret: &[u8], body: &[u8]) -> String {
    hex_hmac_sha256(secret, body)
}

/// `X-Hub-Signature-256` as Gitea computes it: `sha256=` and the same hex.
pub fn hub_signature(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex_hmac_sha256(secret, body))
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
        &Gitea,
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
    Gitea
        .authenticate(RequestHead::new("POST", &headers), credentials)
        .map(|authenticated| authenticated.checks_body())
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

/// The pushes of a refresh outcome; panics on anything else.
pub fn refreshed(result: Result<Outcome, Refusal>) -> Vec<PushedRepository> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes,
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// The fixtures' repository, `platform/Guestbook` on gitea.example.com.
pub const GUESTBOOK: &str = "https://gitea.example.com/platform/guestbook";

/// A Git push of `url` with these refs and changed paths.
pub fn git_push(url: &str, refs: &[&str], changed_paths: ChangedPaths) -> PushedRepository {
    let key = RepoKey::git(url).expect("a Git URL");
    PushedRepository {
        refs: refs.iter().map(|r| (*r).to_owned()).collect(),
        changed_paths,
        ..PushedRepository::new(key)
    }
}

/// `ChangedPaths::Complete` of these paths.
pub fn paths(paths: &[&str]) -> ChangedPaths {
    ChangedPaths::complete(paths.iter().copied())
}
