//! Helpers shared by the test modules.

use kargo_webhook_bitbucket::{Bitbucket, SECRET_KEY};
use kargo_webhook_provider::{
    ChangedPaths, Credentials, Outcome, ReceiverOptions, Refusal, Unauthenticated,
};

pub use kargo_webhook_provider_testkit::outcomes::{INVALID_BODY, MISSING_SIGNATURE};

/// The bytes of one file of `tests/fixtures/bitbucket/` at the repository
/// root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("bitbucket", $name)
    };
}
pub(crate) use fixture;

/// The `secret` value of the receiver's Secret in these tests.
pub const SECRET: &[u8] = b"bbwh-7Hq3Ws9Ze1Rx5Tc2Vb8N";

pub const WRONG_SIGNATURE: Refusal =
    Refusal::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));

/// `X-Hub-Signature` as Bitbucket computes it for `body` with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    kargo_webhook_provider_testkit::signing::prefixed_hmac_sha256(secret, body)
}

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is `secret`.
pub fn credentials(secret: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&Bitbucket, &[(SECRET_KEY, secret)])
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &Bitbucket,
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
    kargo_webhook_provider_testkit::delivery::authenticate(&Bitbucket, headers, credentials)
}

/// A delivery as Bitbucket sends it: signed with the receiver's secret,
/// JSON, and the event key (none if `None`).
pub fn deliver(event: Option<&str>, body: &[u8]) -> Result<Outcome, Refusal> {
    let signature = signature(SECRET, body);
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("X-Hub-Signature", signature.as_bytes()),
        ("Content-Type", b"application/json; charset=utf-8"),
    ];
    if let Some(event) = event {
        headers.push(("X-Event-Key", event.as_bytes()));
    }
    handle_with(&headers, body, &credentials(SECRET))
}

/// One repository of a refresh as plain data: key and refs. Bitbucket never
/// lists changed files, and Git pushes carry no tags or digests: checked
/// here.
pub type Pushed = (String, Vec<String>);

/// The repositories of a refresh outcome; panics on anything else.
pub fn refreshed(result: Result<Outcome, Refusal>) -> Vec<Pushed> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes
            .into_iter()
            .map(|p| {
                assert!(p.tags.is_empty() && p.digests.is_empty(), "{p:?}");
                assert_eq!(p.changed_paths, ChangedPaths::Unknown, "{p:?}");
                (p.repository.as_str().to_owned(), p.refs)
            })
            .collect(),
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// One expected repository of a refresh.
pub fn repo(key: &str, refs: &[&str]) -> Pushed {
    (
        key.to_owned(),
        refs.iter().map(|r| (*r).to_owned()).collect(),
    )
}

/// The outcome of a merged or declined pull request.
pub fn closed(url: &str) -> Result<Outcome, Refusal> {
    Ok(Outcome::PullRequestClosed {
        url: url.to_owned(),
    })
}

/// The key of the Cloud fixtures' repository.
pub const CLOUD_REPO: &str = "bitbucket.org/acme/app-config";
/// The keys of the Server fixtures' repository: its SSH and HTTP clone URLs.
pub const SERVER_SSH: &str = "bitbucket.example.com:7999/plat/app-config";
pub const SERVER_HTTP: &str = "bitbucket.example.com/scm/plat/app-config";
