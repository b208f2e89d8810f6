//! Feeds arbitrary bytes through both steps of the Harbor provider
//! (authenticate, then parse) with valid credentials.
//!
//! Input layout: the first byte picks the `Content-Type` (see [`label`]), the
//! rest is the body. For picks past the fixed list, the body's first line is
//! sent as the `Content-Type` itself, so header values get fuzzed too.
//!
//! Besides "no panic", each verdict is checked: with valid credentials the
//! head passes on its own (no body check owed), and the parser may refresh,
//! ignore, or refuse the body (400/415).

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_harbor::{AUTH_HEADER_KEY, Harbor};
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"Basic ZnV6ejpmdXp6";

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(AUTH_HEADER_KEY.to_owned(), SECRET.to_vec())]);
    Credentials::from_secret_data(Harbor.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

/// Content types Harbor sends, spellings of them, and labels that are not
/// Harbor's. `None` sends no `Content-Type` at all.
const LABELS: [Option<&[u8]>; 12] = [
    Some(b"application/json"),
    Some(b"application/cloudevents+json"),
    None,
    Some(b"application/json; charset=utf-8"),
    Some(b"APPLICATION/CLOUDEVENTS+JSON"),
    Some(b"text/plain"),
    Some(b"application/octet-stream"),
    Some(b"application/xml"),
    Some(b"application/x-www-form-urlencoded"),
    Some(b"multipart/form-data; boundary=x"),
    Some(b"application/cloudevents-batch+json"),
    Some(b""),
];

/// Splits an input into `(content type, body)`.
fn label(data: &[u8]) -> (Option<&[u8]>, &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return (None, data);
    };
    match LABELS.get(usize::from(pick)) {
        Some(label) => (*label, rest),
        None => match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (Some(&rest[..end]), &rest[end + 1..]),
            None => (Some(rest), &[]),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = label(data);
    let mut headers: Vec<(&str, &[u8])> = vec![("authorization", SECRET)];
    if let Some(content_type) = content_type {
        headers.push(("content-type", content_type));
    }
    let headers = Headers(&headers);
    let authenticated = Harbor
        .authenticate(RequestHead::new("POST", &headers), &CREDENTIALS)
        .expect("the receiver's own Authorization authenticates");
    assert!(!authenticated.checks_body(), "Harbor owes no body check");
    let delivery = authenticated
        .with_body(body)
        .expect("no body check can refuse it");
    match Harbor.parse(&delivery, &ReceiverOptions::default()) {
        Ok(Outcome::Refresh(pushes)) => {
            for push in pushes {
                assert!(!push.repository.as_str().is_empty());
                assert!(push.tags.iter().all(|t| !t.is_empty() && !t.contains(':')));
                assert!(push.digests.iter().all(|d| d.contains(':')));
            }
        }
        Ok(Outcome::Ignored(reason)) => assert!(reason.contains("announces no new artifact")),
        Ok(other @ (Outcome::Ping | Outcome::PullRequestClosed { .. })) => {
            panic!("Harbor announces no ping or pull request: {other:?}")
        }
        // The parse step can only refuse the body (its type says so); the
        // reason must be one of the fixed texts, never input.
        Err(error) => assert!(matches!(
            (error, error.reason()),
            (ProviderError::MalformedBody(_), "invalid request body")
                | (ProviderError::UnsupportedContent(_), "unsupported content type")
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
