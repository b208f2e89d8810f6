//! Feeds arbitrary bytes through both steps of the Quay provider
//! (authenticate, then parse) with the receiver's credentials.
//!
//! Input layout: the whole input is the body. Quay sends no credentials and
//! one format, so there is no header to vary: the head is the one Quay
//! sends.
//!
//! Besides "no panic", each verdict is checked: the head passes on its own
//! (no body check owed), and the parser either refreshes exactly one
//! repository with valid tags, ignores another kind of notification with a
//! fixed reason, or refuses the body (400).

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_provider::{
    Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead,
};
use kargo_webhook_quay::{Quay, SECRET_KEY};
use libfuzzer_sys::fuzz_target;

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), b"fuzz-url-secret".to_vec())]);
    Credentials::from_secret_data(Quay.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

const HEADERS: [(&str, &[u8]); 1] = [("content-type", b"application/json")];

fuzz_target!(|body: &[u8]| {
    let authenticated = Quay
        .authenticate(RequestHead::new("POST", &HEADERS), &CREDENTIALS)
        .expect("the receiver URL is the credential");
    assert!(!authenticated.checks_body(), "Quay owes no body check");
    let delivery = authenticated
        .with_body(body)
        .expect("no body check can refuse it");
    match Quay.parse(&delivery, &ReceiverOptions::default()) {
        Ok(Outcome::Refresh(pushes)) => {
            assert_eq!(pushes.len(), 1, "one repository per push");
            let push = &pushes[0];
            assert!(!push.repository.as_str().is_empty());
            assert!(push.tags.iter().all(|t| !t.is_empty() && !t.contains(':')));
            assert!(push.digests.is_empty() && push.refs.is_empty());
        }
        Ok(Outcome::Ignored(reason)) => {
            assert!(reason.contains("notification announces no push"), "{reason}")
        }
        Ok(other) => panic!("Quay announces no ping or pull request: {other:?}"),
        // The parse step can only refuse the body, with fixed text.
        Err(error) => assert!(matches!(
            (error, error.reason()),
            (ProviderError::MalformedBody(_), "invalid request body")
        )),
    }
});
