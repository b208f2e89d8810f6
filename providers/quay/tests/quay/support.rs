//! Helpers shared by the test modules.

use kargo_webhook_provider::{Credentials, Outcome, PushedContent, ReceiverOptions, Refusal};
use kargo_webhook_quay::{Quay, SECRET_KEY};

pub use kargo_webhook_provider_testkit::outcomes::INVALID_BODY;

/// The bytes of one file of `tests/fixtures/quay/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("quay", $name)
    };
}
pub(crate) use fixture;

/// The `secret` value of the receiver's Secret in these tests.
pub const SECRET: &[u8] = b"Zk3xR9vQ2mLw8TnB5cYh1JdP7sGa4UeK";

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is `value`.
pub fn credentials(value: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&Quay, &[(SECRET_KEY, value)])
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &Quay,
        headers,
        body,
        credentials,
        &ReceiverOptions::default(),
    )
}

/// A delivery as Quay sends it: `Content-Type: application/json`,
/// no credentials in the request.
pub fn deliver(body: &[u8]) -> Result<Outcome, Refusal> {
    let headers: [(&str, &[u8]); 2] = [
        ("Content-Type", b"application/json"),
        ("User-Agent", b"python-requests/2.32.3"),
    ];
    handle_with(&headers, body, &credentials(SECRET))
}

/// One repository of a refresh as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub repository: String,
    pub tags: Vec<String>,
}

/// The repositories of a refresh outcome; panics on anything else, and on
/// anything a Quay push never carries (digests, Git refs, a content kind).
pub fn refreshed(result: Result<Outcome, Refusal>) -> Vec<Pushed> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes
            .into_iter()
            .map(|p| {
                assert!(p.digests.is_empty() && p.refs.is_empty(), "{p:?}");
                assert_eq!(p.content, PushedContent::Either, "{p:?}");
                Pushed {
                    repository: p.repository.as_str().to_owned(),
                    tags: p.tags,
                }
            })
            .collect(),
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// One expected repository of a refresh.
pub fn pushed(repository: &str, tags: &[&str]) -> Pushed {
    Pushed {
        repository: repository.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// A push body naming `docker_url`, with `updated_tags` as given (raw JSON).
pub fn push(docker_url: &str, updated_tags: &str) -> Vec<u8> {
    let docker_url = serde_json::to_string(docker_url).expect("a string");
    format!(r#"{{"docker_url":{docker_url},"updated_tags":{updated_tags}}}"#).into_bytes()
}
