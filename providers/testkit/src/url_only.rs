//! Checks every provider whose sender cannot sign (the receiver's URL is the
//! credential, `SecretUsage::UrlOnly`) must pass.

use kargo_webhook_provider::{
    Credentials, Outcome, Provider, ReceiverOptions, SecretKeyError, UnusableValue,
};

use crate::delivery::{authenticate, credentials, deliver};
use crate::outcomes::INVALID_BODY;

/// Heads with nothing, a content type, a stray `Authorization`, a stray
/// signature: none of it matters to a URL-only provider.
const HEADS: [&[(&str, &[u8])]; 4] = [
    &[],
    &[("Content-Type", b"application/json")],
    &[("Authorization", b"Bearer whatever")],
    &[
        ("X-Hub-Signature-256", b"sha256=00"),
        ("Content-Type", b"text/plain"),
    ],
];

/// Whatever the head carries, the first step passes and owes no body check
/// (the gateway has already matched the URL's token), and `push` refreshes.
pub fn assert_any_head_passes_without_a_body_check(
    provider: &dyn Provider,
    credentials: &Credentials,
    push: &[u8],
) {
    for headers in HEADS {
        assert_eq!(
            authenticate(provider, headers, credentials),
            Ok(false),
            "{headers:?}"
        );
        let result = deliver(
            provider,
            headers,
            push,
            credentials,
            &ReceiverOptions::default(),
        );
        assert!(matches!(result, Ok(Outcome::Refresh(_))), "{result:?}");
    }
}

/// Only the body can be refused, never the sender: a broken body with any
/// head is 400, not 401.
pub fn assert_refusals_are_always_about_the_body(
    provider: &dyn Provider,
    credentials: &Credentials,
) {
    for headers in [&[][..], &[("Authorization", &b"wrong"[..])][..]] {
        assert_eq!(
            deliver(
                provider,
                headers,
                b"{",
                credentials,
                &ReceiverOptions::default()
            ),
            Err(INVALID_BODY)
        );
    }
}

/// The Secret must hold a non-empty value under `key` (an empty one would
/// make the URL's hash guessable from the project and receiver names alone);
/// a value under another key does not count.
pub fn assert_the_secret_must_hold_a_non_empty_value(provider: &dyn Provider, key: &'static str) {
    let specs = provider.secret_keys();
    assert_eq!(
        Credentials::from_lookup(specs, |k| (k == key).then_some(&b""[..])).err(),
        Some(SecretKeyError::Unusable {
            key,
            problem: UnusableValue::Empty
        })
    );
    assert_eq!(
        Credentials::from_lookup(specs, |k| (k != key).then_some(&b"s3cret"[..])).err(),
        Some(SecretKeyError::Missing { key })
    );
}

/// The value never has to be presented by anyone, so any bytes work, a
/// trailing newline from `kubectl create secret --from-file` included (the
/// URL's hash is computed over the value as stored, as Kargo does), and none
/// is kept as a signing key or header.
pub fn assert_any_non_empty_value_is_usable_and_none_is_kept(
    provider: &dyn Provider,
    key: &'static str,
) {
    for value in [&b"s"[..], b"with trailing newline\n", b" spaced "] {
        let credentials = credentials(provider, &[(key, value)]);
        assert!(credentials.signing_key(key).is_none());
        assert!(credentials.header(key).is_none());
    }
}
