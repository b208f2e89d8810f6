//! Authentication: `X-JFrog-Event-Auth` must be the hex HMAC-SHA256 of the
//! exact body, keyed with the Secret's `secret-token`, and is checked
//! before the body is read as an event.

use std::collections::BTreeMap;

use kargo_webhook_artifactory::{Artifactory, SECRET_TOKEN_KEY};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, RequestHead, SecretKeyError, Unauthenticated,
};

use kargo_webhook_provider_testkit::delivery::HeaderList;

use crate::support::*;

fn body() -> &'static [u8] {
    fixture!("docker-pushed.json")
}

fn with_signature(
    signature: &[u8],
    body: &[u8],
) -> Result<Outcome, kargo_webhook_provider::Refusal> {
    let headers = [
        ("X-JFrog-Event-Auth", signature),
        ("Content-Type", &b"application/json"[..]),
    ];
    handle_with(&headers, body, &credentials(SECRET), &options(None))
}

#[test]
fn the_signature_of_the_body_authenticates() {
    assert!(matches!(
        with_signature(sign(body()).as_bytes(), body()),
        Ok(Outcome::Refresh(_))
    ));
    // The header's name is case-insensitive.
    let signature = sign(body());
    let headers = [("x-jfrog-event-auth", signature.as_bytes())];
    assert!(matches!(
        handle_with(&headers, body(), &credentials(SECRET), &options(None)),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn a_missing_or_empty_header_is_a_missing_signature() {
    let headers = [("Content-Type", &b"application/json"[..])];
    let error = handle_with(&headers, body(), &credentials(SECRET), &options(None))
        .expect_err("no signature");
    assert_eq!(error, MISSING_SIGNATURE);
    assert_eq!(error.kind(), "missing_credentials");
    assert_eq!(with_signature(b"", body()), Err(MISSING_SIGNATURE));
}

/// Without "Use secret for payload signing", Artifactory sends the token
/// itself: the token is not a signature, so such a delivery is refused.
#[test]
fn anything_but_the_bodys_mac_is_unauthorized() {
    let right = sign(body());
    let mut one_bit_off = right.clone().into_bytes();
    one_bit_off[0] = if one_bit_off[0] == b'0' { b'1' } else { b'0' };
    let variants: Vec<Vec<u8>> = vec![
        one_bit_off,
        right.as_bytes()[..62].to_vec(),
        format!("{right}00").into_bytes(),
        format!("sha256={right}").into_bytes(),
        format!(" {right}").into_bytes(),
        SECRET.to_vec(),
        hex_hmac_sha256(SECRET, b"another body").into_bytes(),
        hex_hmac_sha256(b"Qm4tV8xLp2RzK7wN9cBf3HjE", body()).into_bytes(),
        b"not hex at all".to_vec(),
    ];
    for variant in variants {
        let error = with_signature(&variant, body()).expect_err("wrong");
        assert_eq!(error, UNAUTHORIZED, "{}", String::from_utf8_lossy(&variant));
        assert_eq!(error.kind(), "wrong_credentials");
    }
    // The body is what is signed: one changed byte is another body.
    let mut changed = body().to_vec();
    changed[10] ^= 0x20;
    assert_eq!(
        with_signature(right.as_bytes(), &changed),
        Err(UNAUTHORIZED)
    );
    assert_eq!(
        with_signature(right.as_bytes(), &body()[..body().len() - 1]),
        Err(UNAUTHORIZED)
    );
}

/// The same MAC in upper-case hex still proves the key (Kargo compares the
/// hex text and would refuse it; refusing it here would gain nothing).
#[test]
fn upper_case_hex_is_the_same_mac() {
    let upper = sign(body()).to_uppercase();
    assert!(matches!(
        with_signature(upper.as_bytes(), body()),
        Ok(Outcome::Refresh(_))
    ));
}

/// The head must carry a signature before the body is read; the signature
/// is then checked against the body it came with.
#[test]
fn the_head_asks_for_the_body_check() {
    let credentials = credentials(SECRET);
    let signature = sign(body());
    let headers = [("X-JFrog-Event-Auth", signature.as_bytes())];
    let headers = HeaderList(&headers);
    let authenticated = Artifactory
        .authenticate(RequestHead::new("POST", &headers), &credentials)
        .expect("a signature is present");
    assert!(authenticated.checks_body());
    assert_eq!(
        authenticated.with_body(b"{}").map(|_| ()),
        Err(Unauthenticated::WrongCredentials("unauthorized"))
    );
    let none = HeaderList(&[]);
    assert_eq!(
        Artifactory
            .authenticate(RequestHead::new("POST", &none), &credentials)
            .map(|_| ()),
        Err(Unauthenticated::MissingCredentials("missing signature"))
    );
}

/// Authentication comes first: an unauthenticated sender learns nothing
/// about how its body would have been read.
#[test]
fn unsigned_bodies_are_never_judged() {
    for body in [
        &fixture!("not-json.txt")[..],
        br#"{"domain":5}"#,
        fixture!("artifact-deployed.json"),
        br#"{"domain":"docker","event_type":"pushed","data":{"path":"x"},"jpd_origin":""}"#,
    ] {
        assert_eq!(with_signature(b"00", body), Err(UNAUTHORIZED));
        let headers = [("Content-Type", &b"application/json"[..])];
        assert_eq!(
            handle_with(&headers, body, &credentials(SECRET), &options(None)),
            Err(MISSING_SIGNATURE)
        );
    }
}

#[test]
fn credentials_without_the_key_authenticate_nothing() {
    let signature = sign(body());
    let headers = [("X-JFrog-Event-Auth", signature.as_bytes())];
    assert_eq!(
        handle_with(&headers, body(), &Credentials::default(), &options(None)),
        Err(UNAUTHORIZED)
    );
}

/// An empty token would let anyone sign: such a Secret makes no credentials
/// (the gateway reports the receiver not ready).
#[test]
fn an_empty_secret_token_makes_no_credentials() {
    let data = BTreeMap::from([(SECRET_TOKEN_KEY.to_owned(), Vec::new())]);
    let error = Credentials::from_secret_data(Artifactory.secret_keys(), &data)
        .expect_err("an empty token");
    assert!(
        matches!(
            error,
            SecretKeyError::Unusable {
                key: "secret-token",
                ..
            }
        ),
        "{error:?}"
    );
    // Any other value is a key, even with a trailing newline: it is never
    // sent, only used to compute the MAC.
    let data = BTreeMap::from([(SECRET_TOKEN_KEY.to_owned(), b"token\n".to_vec())]);
    assert!(Credentials::from_secret_data(Artifactory.secret_keys(), &data).is_ok());
}

#[test]
fn refusals_never_echo_the_presented_signature() {
    let presented = b"deadbeef-presented-value";
    let error = with_signature(presented, body()).expect_err("wrong");
    assert!(!format!("{error:?} {error}").contains("deadbeef"));
}
