//! Feeds arbitrary bytes through every step of the Artifactory provider
//! (the signature header, the body's HMAC, then parse), signed with the
//! receiver's key as Artifactory signs.
//!
//! Input layout: the first byte's low bit sets the receiver option
//! `virtualRepoName`, its second bit sends a signature of another body
//! instead; the rest is the body.
//!
//! Besides "no panic", each verdict is checked: a signature of another body
//! is refused (401) before parsing; a correctly signed body is refreshed
//! (one repository, well-formed tags), ignored with one of the fixed
//! reasons, or refused (400) with the fixed reason.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_artifactory::{Artifactory, SECRET_TOKEN_KEY, VIRTUAL_REPO_NAME};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead, Unauthenticated,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-secret-token";

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(SECRET_TOKEN_KEY.to_owned(), SECRET.to_vec())]);
    Credentials::from_secret_data(Artifactory.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

static WITH_VIRTUAL_REPO: LazyLock<ReceiverOptions> = LazyLock::new(|| {
    ReceiverOptions::from_lookup(Artifactory.options(), |field| {
        Ok((field == VIRTUAL_REPO_NAME).then_some("proj-virtual"))
    })
    .expect("a valid option")
});

fuzz_target!(|data: &[u8]| {
    let (mode, body) = data.split_first().map_or((0, data), |(&m, rest)| (m, rest));
    let options = if mode & 1 == 1 {
        &*WITH_VIRTUAL_REPO
    } else {
        &ReceiverOptions::default()
    };
    let forged = mode & 2 == 2;
    let signature = if forged {
        // The signature of another body: never valid for this one.
        let mut other = body.to_vec();
        other.push(b' ');
        hex_hmac_sha256(SECRET, &other)
    } else {
        hex_hmac_sha256(SECRET, body)
    };
    let headers = [("x-jfrog-event-auth", signature.as_bytes())];
    let headers = Headers(&headers);
    let authenticated = Artifactory
        .authenticate(RequestHead::new("POST", &headers), &CREDENTIALS)
        .expect("a signature is present");
    assert!(authenticated.checks_body(), "Artifactory signs the body");
    let delivery = match authenticated.with_body(body) {
        Ok(delivery) => {
            assert!(!forged, "a signature of another body passed");
            delivery
        }
        Err(refusal) => {
            assert!(forged, "the right signature was refused");
            assert_eq!(refusal, Unauthenticated::WrongCredentials("unauthorized"));
            return;
        }
    };
    match Artifactory.parse(&delivery, options) {
        Ok(Outcome::Refresh(pushes)) => {
            assert_eq!(pushes.len(), 1);
            for push in pushes {
                assert!(!push.repository.as_str().is_empty());
                assert!(push.tags.iter().all(|t| !t.is_empty() && !t.contains(':')));
                assert!(push.digests.is_empty() && push.refs.is_empty());
            }
        }
        Ok(Outcome::Ignored(reason)) => {
            assert!(reason.contains("no new image") || reason.contains("no image or chart"))
        }
        Ok(other @ (Outcome::Ping | Outcome::PullRequestClosed { .. })) => {
            panic!("Artifactory announces no ping or pull request: {other:?}")
        }
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
