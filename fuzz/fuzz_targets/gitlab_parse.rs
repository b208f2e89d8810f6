//! Feeds arbitrary bytes through both steps of the GitLab provider
//! (authenticate, then parse) with the receiver's own token.
//!
//! Input layout: the first byte picks the `X-Gitlab-Event` header (see
//! [`EVENTS`]), the rest is the body. For picks past the fixed list, the
//! body's first line is sent as the header's value itself, so header values
//! get fuzzed too.
//!
//! Besides "no panic", each verdict is checked: with the right token the
//! head passes on its own (no body check owed), and the parser may refresh
//! (a Git push: refs, no tags or digests), report a closed merge request,
//! ignore the event, or refuse the body (400) with fixed text.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_gitlab::{GitLab, SECRET_TOKEN_KEY};
use kargo_webhook_provider::{
    ChangedPaths, Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead,
};
use libfuzzer_sys::fuzz_target;

const TOKEN: &[u8] = b"glwh-fuzz-token";

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(SECRET_TOKEN_KEY.to_owned(), TOKEN.to_vec())]);
    Credentials::from_secret_data(GitLab.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

/// The event types acted on, others GitLab sends, and none at all.
const EVENTS: [Option<&[u8]>; 8] = [
    Some(b"Push Hook"),
    Some(b"Tag Push Hook"),
    Some(b"Merge Request Hook"),
    Some(b"System Hook"),
    Some(b"Pipeline Hook"),
    None,
    Some(b""),
    Some(b"push hook"),
];

/// Splits an input into `(event header, body)`.
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
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("x-gitlab-token", TOKEN),
        ("content-type", b"application/json"),
    ];
    if let Some(event) = event {
        headers.push(("x-gitlab-event", event));
    }
    let headers = Headers(&headers);
    let authenticated = GitLab
        .authenticate(RequestHead::new("POST", &headers), &CREDENTIALS)
        .expect("the receiver's own token authenticates");
    assert!(!authenticated.checks_body(), "GitLab owes no body check");
    let delivery = authenticated
        .with_body(body)
        .expect("no body check can refuse it");
    match GitLab.parse(&delivery, &ReceiverOptions::default()) {
        Ok(Outcome::Refresh(pushes)) => {
            assert!(!pushes.is_empty(), "a push names its repository");
            for push in pushes {
                assert!(!push.repository.as_str().is_empty());
                assert!(push.tags.is_empty() && push.digests.is_empty());
                assert!(push.refs.len() <= 1 && push.refs.iter().all(|r| !r.is_empty()));
                if let ChangedPaths::Complete(paths) = &push.changed_paths {
                    assert!(paths.iter().all(|p| !p.is_empty()));
                    assert!(paths.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
                }
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ignored(reason)) => assert!(
            reason.ends_with("is not acted on")
                || reason == "a merge request that was neither merged nor closed"
        ),
        Ok(Outcome::Ping) => panic!("GitLab sends no ping"),
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
