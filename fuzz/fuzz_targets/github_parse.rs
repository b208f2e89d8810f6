//! Feeds arbitrary bytes through both steps of the GitHub provider
//! (authenticate, then parse), signed as GitHub signs them.
//!
//! Input layout: the first byte picks the `X-GitHub-Event` (see [`EVENTS`]);
//! for picks past the list, the body's first line is sent as the event type
//! itself, so header values get fuzzed too. The second byte picks the
//! `Content-Type` (see [`LABELS`]) in its low bits and, with its top bit
//! set, signs with another key. The rest is the body.
//!
//! Besides "no panic", each verdict is checked: the head passes with a
//! signature and owes a body check; the right signature always passes and
//! another key's never does; the parser refreshes, names a closed pull
//! request, answers a ping, ignores with a fixed reason, or refuses the
//! body (400/415) with fixed text.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_github::{GitHub, SECRET_KEY};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead, Unauthenticated,
};
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"fuzz-webhook-secret";

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), KEY.to_vec())]);
    Credentials::from_secret_data(GitHub.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

/// Event types acted on, and a few that are not.
const EVENTS: [&[u8]; 8] = [
    b"push",
    b"pull_request",
    b"package",
    b"registry_package",
    b"ping",
    b"issues",
    b"create",
    b"",
];

/// `None` sends no `Content-Type` at all.
const LABELS: [Option<&[u8]>; 4] = [
    Some(b"application/json"),
    None,
    Some(b"application/x-www-form-urlencoded"),
    Some(b"text/plain; charset=utf-8"),
];

/// Splits an input into `(event, content type, sign with another key, body)`.
fn split(data: &[u8]) -> (&[u8], Option<&[u8]>, bool, &[u8]) {
    let [event_pick, mode, rest @ ..] = data else {
        return (b"push", LABELS[0], false, data);
    };
    let label = LABELS[usize::from(mode & 0x7f) % LABELS.len()];
    let other_key = mode & 0x80 != 0;
    let (event, body) = match EVENTS.get(usize::from(*event_pick)) {
        Some(event) => (*event, rest),
        None => match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &[][..]),
        },
    };
    (event, label, other_key, body)
}

fuzz_target!(|data: &[u8]| {
    let (event, content_type, other_key, body) = split(data);
    let key: &[u8] = if other_key { b"another key" } else { KEY };
    let signature = format!("sha256={}", hex_hmac_sha256(key, body));
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("x-github-event", event),
        ("x-hub-signature-256", signature.as_bytes()),
    ];
    if let Some(content_type) = content_type {
        headers.push(("content-type", content_type));
    }
    let headers = Headers(&headers);
    let authenticated = GitHub
        .authenticate(RequestHead::new("POST", &headers), &CREDENTIALS)
        .expect("a signature is present");
    assert!(authenticated.checks_body(), "GitHub owes a body check");
    let delivery = match authenticated.with_body(body) {
        Ok(delivery) => {
            assert!(!other_key, "another key's signature passed");
            delivery
        }
        Err(refusal) => {
            assert!(other_key, "the right signature was refused");
            assert_eq!(refusal, Unauthenticated::WrongCredentials("unauthorized"));
            return;
        }
    };
    match GitHub.parse(&delivery, &ReceiverOptions::default()) {
        Ok(Outcome::Refresh(pushes)) => {
            assert!(!pushes.is_empty());
            for push in pushes {
                assert!(!push.repository.as_str().is_empty());
                assert!(push.tags.iter().all(|t| !t.is_empty() && !t.contains(':')));
                assert!(push.digests.iter().all(|d| d.contains(':')));
                assert!(push.refs.iter().all(|r| !r.is_empty()));
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ping) => assert_eq!(event, b"ping"),
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.starts_with("event type ")
                || reason.starts_with("only a ")
                || reason.starts_with("a package event")
        ),
        // The parse step can only refuse the body; the reason is fixed text.
        Err(error) => assert!(matches!(
            (error, error.reason()),
            (ProviderError::MalformedBody(_), "invalid request body")
                | (
                    ProviderError::UnsupportedContent(_),
                    "unsupported content type: set the webhook to application/json"
                )
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
