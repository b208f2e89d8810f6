//! Helpers shared by the test modules.

use kargo_webhook_artifactory::{Artifactory, SECRET_TOKEN_KEY, VIRTUAL_REPO_NAME};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, PushedContent, PushedRepository, ReceiverOptions, Refusal,
    RepoKey,
};

pub use kargo_webhook_provider_testkit::outcomes::{INVALID_BODY, MISSING_SIGNATURE, UNAUTHORIZED};

/// The bytes of one file of `tests/fixtures/artifactory/` at the repository
/// root.
macro_rules! fixture {
    ($name:literal) => {
        kargo_webhook_provider_testkit::fixture!("artifactory", $name)
    };
}
pub(crate) use fixture;

/// The `secret-token` value of the receiver's Secret in these tests.
pub const SECRET: &[u8] = b"Qm4tV8xLp2RzK7wN9cBf3HjD";

/// Why a push of another image type is acknowledged without acting.
pub const OTHER_IMAGE_TYPE: &str =
    "image types other than docker and oci announce no image or chart";

/// Credentials as the gateway prepares them from a Secret whose
/// `secret-token` is `secret`.
pub fn credentials(secret: &[u8]) -> Credentials {
    kargo_webhook_provider_testkit::delivery::credentials(
        &Artifactory,
        &[(SECRET_TOKEN_KEY, secret)],
    )
}

/// The receiver's options, checked as the gateway checks them, with
/// `virtualRepoName` set to `virtual` if given.
pub fn options(virtual_repo: Option<&str>) -> ReceiverOptions {
    ReceiverOptions::from_lookup(Artifactory.options(), |field| {
        Ok((field == VIRTUAL_REPO_NAME)
            .then_some(virtual_repo)
            .flatten())
    })
    .expect("a valid option")
}

/// `X-JFrog-Event-Auth` as Artifactory computes it for `body`.
pub fn sign(body: &[u8]) -> String {
    hex_hmac_sha256(SECRET, body)
}

/// Hands one delivery with exactly these headers to the provider, through
/// every step as the gateway runs them.
pub fn handle_with(
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
    options: &ReceiverOptions,
) -> Result<Outcome, Refusal> {
    kargo_webhook_provider_testkit::delivery::deliver(
        &Artifactory,
        headers,
        body,
        credentials,
        options,
    )
}

/// A correctly signed delivery to a receiver with `virtualRepoName` set to
/// `virtual_repo`, if given.
pub fn deliver_to_receiver(virtual_repo: Option<&str>, body: &[u8]) -> Result<Outcome, Refusal> {
    let signature = sign(body);
    let headers = [
        ("Content-Type", &b"application/json"[..]),
        ("X-JFrog-Event-Auth", signature.as_bytes()),
    ];
    handle_with(&headers, body, &credentials(SECRET), &options(virtual_repo))
}

/// A correctly signed delivery to a receiver without options.
pub fn deliver(body: &[u8]) -> Result<Outcome, Refusal> {
    deliver_to_receiver(None, body)
}

/// The pushed repositories of a refresh outcome; panics on anything else.
pub fn pushes(result: Result<Outcome, Refusal>) -> Vec<PushedRepository> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes,
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// An expected push.
pub fn image_push(reference: &str, tags: &[&str], content: PushedContent) -> PushedRepository {
    let mut push = PushedRepository::new(RepoKey::image(reference).expect("an image"));
    tags.iter().for_each(|tag| push.add_tag(tag));
    push.content = content;
    push
}

/// A docker `pushed` event with these data fields (JSON text, without
/// braces) and this `jpd_origin` (JSON value).
pub fn pushed(data: &str, jpd_origin: &str) -> String {
    format!(
        r#"{{"domain":"docker","event_type":"pushed","data":{{{data}}},"jpd_origin":{jpd_origin}}}"#
    )
}
