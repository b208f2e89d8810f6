//! Authentication: Quay presents nothing, so the receiver's URL is the
//! credential and every request that reaches it passes the first step.

use std::collections::BTreeMap;

use kargo_webhook_provider::{
    Credentials, Outcome, Provider, RequestHead, SecretKeyError, UnusableValue,
};
use kargo_webhook_quay::{Quay, SECRET_KEY};

use kargo_webhook_provider_testkit::delivery::HeaderList;

use crate::support::*;

/// Whatever the head carries, the first step passes and owes no body check:
/// the gateway has already matched the URL's token, and Quay has no
/// header to check.
#[test]
fn any_head_passes_without_a_body_check() {
    let heads: [&[(&str, &[u8])]; 4] = [
        &[],
        &[("Content-Type", b"application/json")],
        &[("Authorization", b"Bearer whatever")],
        &[
            ("X-Hub-Signature-256", b"sha256=00"),
            ("Content-Type", b"text/plain"),
        ],
    ];
    let credentials = credentials(SECRET);
    for headers in heads {
        let head_source = HeaderList(headers);
        let authenticated = Quay
            .authenticate(RequestHead::new("POST", &head_source), &credentials)
            .expect("the URL is the credential");
        assert!(!authenticated.checks_body());
        assert!(matches!(
            handle_with(headers, fixture!("push.json"), &credentials),
            Ok(Outcome::Refresh(_))
        ));
    }
}

/// Only the body can be refused, never the sender: a broken body with any
/// head is 400, not 401.
#[test]
fn refusals_are_always_about_the_body() {
    for headers in [&[][..], &[("Authorization", &b"wrong"[..])][..]] {
        assert_eq!(
            handle_with(headers, b"{", &credentials(SECRET)),
            Err(INVALID_BODY)
        );
    }
}

/// The Secret must hold a non-empty `secret`: an empty one would make the
/// URL's hash guessable from the project and receiver names alone.
#[test]
fn the_secret_must_hold_a_non_empty_value() {
    let specs = Quay.secret_keys();
    let empty = BTreeMap::from([(SECRET_KEY.to_owned(), Vec::new())]);
    assert_eq!(
        Credentials::from_secret_data(specs, &empty).err(),
        Some(SecretKeyError::Unusable {
            key: "secret",
            problem: UnusableValue::Empty
        })
    );
    let other_key = BTreeMap::from([("secret-token".to_owned(), SECRET.to_vec())]);
    assert_eq!(
        Credentials::from_secret_data(specs, &other_key).err(),
        Some(SecretKeyError::Missing { key: "secret" })
    );
}

/// The value never has to be presented by anyone, so any bytes work, a
/// trailing newline from `kubectl create secret --from-file` included (the
/// URL's hash is computed over the value as stored, as Kargo does).
#[test]
fn any_non_empty_value_is_usable_and_none_is_kept() {
    for value in [&b"s"[..], b"with trailing newline\n", b" spaced ", SECRET] {
        let data = BTreeMap::from([(SECRET_KEY.to_owned(), value.to_vec())]);
        let credentials = Credentials::from_secret_data(Quay.secret_keys(), &data).expect("usable");
        assert!(credentials.signing_key(SECRET_KEY).is_none());
        assert!(credentials.header(SECRET_KEY).is_none());
    }
}
