//! Feeds arbitrary bytes through both steps of the Azure provider
//! (authenticate by the receiver URL, then parse).
//!
//! Input layout: the first byte picks the `User-Agent` (see [`user_agent`]),
//! the rest is the body. For picks past the fixed list, the body's first
//! line is sent as the `User-Agent` itself, so the header gets fuzzed too.
//!
//! Besides "no panic", each verdict is checked: the URL alone authenticates
//! (no body check owed), and the parser may refresh (with well-formed tags,
//! digests and refs), close a pull request (an http(s) URL without fragment
//! or query), answer a ping, ignore with one of its fixed reasons, or refuse
//! the body (400) with one of its fixed reasons.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_azure::{Azure, SECRET_KEY};
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead,
};
use libfuzzer_sys::fuzz_target;

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), b"fuzz-secret".to_vec())]);
    Credentials::from_secret_data(Azure.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

/// `User-Agent` values of both services, spellings of them, and others.
/// `None` sends no `User-Agent` at all.
const USER_AGENTS: [Option<&[u8]>; 6] = [
    Some(b"VSServices/16.255.35115.1"),
    Some(b"AzureContainerRegistry/1.0"),
    None,
    Some(b"curl/8.5.0"),
    Some(b"VSServices"),
    Some(b""),
];

/// Splits an input into `(user agent, body)`.
fn user_agent(data: &[u8]) -> (Option<&[u8]>, &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return (None, data);
    };
    match USER_AGENTS.get(usize::from(pick)) {
        Some(user_agent) => (*user_agent, rest),
        None => match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (Some(&rest[..end]), &rest[end + 1..]),
            None => (Some(rest), &[]),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let (user_agent, body) = user_agent(data);
    let mut headers: Vec<(&str, &[u8])> = vec![("content-type", b"application/json")];
    if let Some(user_agent) = user_agent {
        headers.push(("user-agent", user_agent));
    }
    let headers = Headers(&headers);
    let authenticated = Azure
        .authenticate(RequestHead::new("POST", &headers), &CREDENTIALS)
        .expect("the receiver URL authenticates");
    assert!(!authenticated.checks_body(), "Azure owes no body check");
    let delivery = authenticated
        .with_body(body)
        .expect("no body check can refuse it");
    match Azure.parse(&delivery, &ReceiverOptions::default()) {
        Ok(Outcome::Refresh(pushes)) => {
            for push in pushes {
                assert!(!push.repository.as_str().is_empty());
                assert!(push.tags.iter().all(|t| !t.is_empty() && !t.contains(':')));
                assert!(push.digests.iter().all(|d| d.contains(':')));
                assert!(push.refs.iter().all(|r| !r.is_empty()));
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => {
            assert!(url.starts_with("https://") || url.starts_with("http://"));
            assert!(!url.contains('#') && !url.contains('?'));
        }
        Ok(Outcome::Ping) => {}
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.contains("announces no new")
                || reason.contains("closes no pull request")
                || reason.contains("chart_push")
        ),
        // The parse step can only refuse the body, with fixed text.
        Err(error) => assert!(matches!(
            (error, error.reason()),
            (ProviderError::MalformedBody(_), "invalid request body")
                | (
                    ProviderError::MalformedBody(_),
                    "request does not appear to come from Azure DevOps or Azure Container Registry"
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
