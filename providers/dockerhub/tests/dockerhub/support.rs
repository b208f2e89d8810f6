//! Helpers shared by the test modules.

use kargo_webhook_dockerhub::{DockerHub, SECRET_KEY};
use kargo_webhook_provider::{Credentials, Outcome, PushedContent, ReceiverOptions, Refusal};

pub use kargo_webhook_provider_testkit::outcomes::INVALID_BODY;

/// The bytes of one file of `tests/fixtures/dockerhub/` at the repository root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("dockerhub", $name)
    };
}
pub(crate) use fixture;

/// The `secret` value of the receiver's Secret in these tests.
pub const SECRET: &[u8] = b"Zk3xR9vQ2mLw8TnB5cYh1JdP7sGa4UeK";

/// Credentials as the gateway prepares them from a Secret whose `secret`
/// is `value`.
pub fn credentials(value: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(&DockerHub, &[(SECRET_KEY, value)])
}

/// Hands one delivery with exactly these headers to the provider, through
/// both steps as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &DockerHub,
        headers,
        body,
        credentials,
        &ReceiverOptions::default(),
    )
}

/// A delivery as Docker Hub sends it: `Content-Type: application/json`,
/// no credentials in the request.
pub fn deliver(body: &[u8]) -> Result<Outcome, Refusal> {
    let headers: [(&str, &[u8]); 2] = [
        ("Content-Type", b"application/json"),
        ("User-Agent", b"Go-http-client/1.1"),
    ];
    handle_with(&headers, body, &credentials(SECRET))
}

/// One repository of a refresh as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub repository: String,
    pub tags: Vec<String>,
    pub content: PushedContent,
}

/// The repositories of a refresh outcome; panics on anything else, and on
/// anything a Docker Hub push never carries (digests, Git refs).
pub fn refreshed(result: Result<Outcome, Refusal>) -> Vec<Pushed> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes
            .into_iter()
            .map(|p| {
                assert!(p.digests.is_empty() && p.refs.is_empty(), "{p:?}");
                Pushed {
                    repository: p.repository.as_str().to_owned(),
                    tags: p.tags,
                    content: p.content,
                }
            })
            .collect(),
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// One expected repository of a refresh.
pub fn pushed(repository: &str, tags: &[&str], content: PushedContent) -> Pushed {
    Pushed {
        repository: repository.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        content,
    }
}

/// A minimal Docker Hub body naming `repo_name`, with `push_data` as given
/// (raw JSON).
pub fn body(repo_name: &str, push_data: &str) -> Vec<u8> {
    let repo_name = serde_json::to_string(repo_name).expect("a string");
    format!(r#"{{"push_data":{push_data},"repository":{{"repo_name":{repo_name}}}}}"#).into_bytes()
}
