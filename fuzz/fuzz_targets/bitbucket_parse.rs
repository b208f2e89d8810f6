//! Feeds arbitrary bytes through both steps of the Bitbucket provider
//! (authenticate, then parse), each body signed with the receiver's own
//! secret so that it reaches the parser.
//!
//! Input layout: the first byte picks the `X-Event-Key` header (see
//! [`EVENTS`]), the rest is the body. For picks past the fixed list, the
//! body's first line is sent as the header's value itself, so header values
//! get fuzzed too.
//!
//! Besides "no panic", each verdict is checked: the head asks for a body
//! check, the body's own signature passes it, and the parser may refresh (a
//! Git push: refs, no tags, digests or changed files), report a closed pull
//! request, answer a ping, ignore the event, or refuse the body (400) with
//! fixed text.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_bitbucket::{Bitbucket, SECRET_KEY};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    ChangedPaths, Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"bbwh-fuzz-secret";

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), SECRET.to_vec())]);
    Credentials::from_secret_data(Bitbucket.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

/// The keys acted on (Cloud, then Server and Data Center), others
/// Bitbucket sends, and none at all.
const EVENTS: [Option<&[u8]>; 11] = [
    Some(b"repo:push"),
    Some(b"pullrequest:fulfilled"),
    Some(b"pullrequest:rejected"),
    Some(b"repo:refs_changed"),
    Some(b"pr:merged"),
    Some(b"pr:declined"),
    Some(b"diagnostics:ping"),
    Some(b"pullrequest:created"),
    Some(b"pr:opened"),
    None,
    Some(b""),
];

/// Splits an input into `(event key, body)`.
fn split(data: &[u8]) -> (Option<&[u8]>, &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return (None, data);
    };
    match EVENTS.get(usize::from(pick)) {
        Some(event) => (*event, rest),
        None => match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (Some(&rest[..end]), &rest[end + 1..]),
            None => (Some(rest), &[]),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let (event, body) = split(data);
    let signature = format!("sha256={}", hex_hmac_sha256(SECRET, body));
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("x-hub-signature", signature.as_bytes()),
        ("content-type", b"application/json"),
    ];
    if let Some(event) = event {
        headers.push(("x-event-key", event));
    }
    let headers = Headers(&headers);
    let authenticated = Bitbucket
        .authenticate(RequestHead::new("POST", &headers), &CREDENTIALS)
        .expect("a signature is present and the key is known");
    assert!(authenticated.checks_body(), "Bitbucket signs the body");
    let delivery = authenticated
        .with_body(body)
        .expect("the body's own signature passes");
    match Bitbucket.parse(&delivery, &ReceiverOptions::default()) {
        Ok(Outcome::Refresh(pushes)) => {
            assert!(!pushes.is_empty(), "a push names its repository");
            for push in pushes {
                assert!(!push.repository.as_str().is_empty());
                assert!(push.tags.is_empty() && push.digests.is_empty());
                assert_eq!(push.changed_paths, ChangedPaths::Unknown);
                assert!(push.refs.iter().all(|r| !r.is_empty()));
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ping) => assert_eq!(event, Some(&b"diagnostics:ping"[..])),
        Ok(Outcome::Ignored(reason)) => assert!(reason.ends_with("is not acted on")),
        // The parse step can only refuse the body, with fixed text.
        Err(error) => assert!(matches!(
            (error, error.reason()),
            (ProviderError::MalformedBody(_), "invalid request body")
        )),
    }
});

/// A header list of any length, as the gateway's header map would be.
struct Headers<'a>(&'a [(&'a str, &'a [u8])]);

impl kargo_webhook_provider::HeaderSource for Headers<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.header(name)
    }
}
