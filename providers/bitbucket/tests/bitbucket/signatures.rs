//! Authentication: `X-Hub-Signature` must be the HMAC of the very body,
//! keyed with the Secret's `secret`; it is checked before the event key is
//! read and before anything parses the body.

use std::collections::BTreeMap;

use kargo_webhook_bitbucket::{Bitbucket, SECRET_KEY};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, Refusal, SecretKeyError, Unauthenticated,
};

use crate::support::*;

fn push() -> &'static [u8] {
    fixture!("cloud-repo-push-branch.json")
}

fn with_signature(presented: &[u8], body: &[u8], secret: &[u8]) -> Result<Outcome, Refusal> {
    let headers = [
        ("X-Hub-Signature", presented),
        ("X-Event-Key", &b"repo:push"[..]),
        ("Content-Type", &b"application/json"[..]),
    ];
    handle_with(&headers, body, &credentials(secret))
}

#[test]
fn the_signature_of_the_body_authenticates() {
    let signature = signature(SECRET, push());
    assert!(matches!(
        with_signature(signature.as_bytes(), push(), SECRET),
        Ok(Outcome::Refresh(_))
    ));
}

/// Hex is hex in either case (the SDK's own tests cover `sha1=` and
/// `sha512=`, which the same header may carry).
#[test]
fn upper_case_hex_verifies_too() {
    let hex = hex_hmac_sha256(SECRET, push());
    let upper = format!("sha256={}", hex.to_uppercase());
    assert!(matches!(
        with_signature(upper.as_bytes(), push(), SECRET),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn the_header_name_is_case_insensitive() {
    let signature = signature(SECRET, push());
    let headers = [
        ("x-hub-signature", signature.as_bytes()),
        ("x-event-key", &b"repo:push"[..]),
    ];
    assert!(matches!(
        handle_with(&headers, push(), &credentials(SECRET)),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn a_missing_or_empty_signature_is_missing() {
    let headers = [("X-Event-Key", &b"repo:push"[..])];
    let error = handle_with(&headers, push(), &credentials(SECRET)).expect_err("unsigned");
    assert_eq!(error, MISSING_SIGNATURE);
    assert_eq!(error.kind(), "missing_credentials");
    assert_eq!(with_signature(b"", push(), SECRET), Err(MISSING_SIGNATURE));
}

#[test]
fn a_signature_of_anything_else_is_unauthorized() {
    let body = push();
    let mut other_body = body.to_vec();
    other_body.push(b'\n');
    let right = signature(SECRET, body);
    let hex = hex_hmac_sha256(SECRET, body);
    let wrong: Vec<String> = vec![
        signature(b"another secret", body),
        signature(SECRET, &other_body),
        signature(SECRET, b""),
        right[..right.len() - 2].to_owned(),
        format!("{right}00"),
        format!("{right} "),
        format!(" {right}"),
        hex.clone(),
        format!("sha256:{hex}"),
        format!("SHA256={hex}"),
        format!("sha384={hex}"),
        format!("sha1={hex}"),
        "sha256=".to_owned(),
        "sha256=zz".to_owned(),
        "=".to_owned(),
    ];
    for presented in &wrong {
        let error = with_signature(presented.as_bytes(), body, SECRET).expect_err(presented);
        assert_eq!(error, WRONG_SIGNATURE, "{presented}");
        assert_eq!(error.kind(), "wrong_credentials");
    }
    // The right signature of a body other than the one delivered.
    assert_eq!(
        with_signature(right.as_bytes(), &other_body, SECRET),
        Err(WRONG_SIGNATURE)
    );
}

/// A Secret whose `secret` is empty makes no credentials: an empty HMAC key
/// would let anyone sign.
#[test]
fn an_empty_secret_makes_no_credentials() {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), Vec::new())]);
    let error = Credentials::from_secret_data(Bitbucket.secret_keys(), &data)
        .expect_err("an unusable secret");
    assert!(
        matches!(error, SecretKeyError::Unusable { key: "secret", .. }),
        "{error:?}"
    );
}

#[test]
fn credentials_without_the_key_authenticate_nothing() {
    let signature = signature(SECRET, push());
    let headers = [
        ("X-Hub-Signature", signature.as_bytes()),
        ("X-Event-Key", &b"repo:push"[..]),
    ];
    assert_eq!(
        handle_with(&headers, push(), &Credentials::default()),
        Err(WRONG_SIGNATURE)
    );
}

/// The head only says whether a signature is there; the body check is
/// still owed, and the gateway reads the body (bounded) to make it.
#[test]
fn the_head_asks_for_a_body_check() {
    let event = ("X-Event-Key", &b"repo:push"[..]);
    assert_eq!(
        authenticate_with(
            &[("X-Hub-Signature", &b"sha256=00"[..]), event],
            &credentials(SECRET)
        ),
        Ok(true)
    );
    assert_eq!(
        authenticate_with(&[event], &credentials(SECRET)),
        Err(Unauthenticated::MissingCredentials("missing signature"))
    );
}

/// Authentication comes first (unlike Kargo's own receiver, which checks the
/// event key before the signature): whatever the key and the body, an
/// unauthenticated sender gets the same refusal and learns nothing about
/// which events are acted on or how a body is read.
#[test]
fn the_signature_is_checked_before_the_event_key_and_the_body() {
    let keys: [Option<&[u8]>; 6] = [
        Some(b"repo:push"),
        Some(b"pr:merged"),
        Some(b"diagnostics:ping"),
        Some(b"repo:fork"),
        Some(b"never:heard-of"),
        None,
    ];
    let bodies: [&[u8]; 4] = [push(), fixture!("not-json.txt"), br#"{"push":5}"#, b""];
    for key in keys {
        for body in bodies {
            let wrong_signature = signature(b"not the secret", body);
            let mut wrong: Vec<(&str, &[u8])> =
                vec![("X-Hub-Signature", wrong_signature.as_bytes())];
            let mut missing: Vec<(&str, &[u8])> = vec![];
            if let Some(key) = key {
                wrong.push(("X-Event-Key", key));
                missing.push(("X-Event-Key", key));
            }
            assert_eq!(
                handle_with(&wrong, body, &credentials(SECRET)),
                Err(WRONG_SIGNATURE)
            );
            assert_eq!(
                handle_with(&missing, body, &credentials(SECRET)),
                Err(MISSING_SIGNATURE)
            );
        }
    }
}

/// "Test connection" is authenticated like any other delivery: a ping
/// without a valid signature is refused.
#[test]
fn an_unsigned_ping_is_refused() {
    let body = fixture!("server-diagnostics-ping.json");
    let headers = [("X-Event-Key", &b"diagnostics:ping"[..])];
    assert_eq!(
        handle_with(&headers, body, &credentials(SECRET)),
        Err(MISSING_SIGNATURE)
    );
    assert_eq!(deliver(Some("diagnostics:ping"), body), Ok(Outcome::Ping));
}

#[test]
fn refusals_never_echo_the_presented_signature() {
    let presented = b"sha256=5ec2e75ec2e75ec2e7";
    let error = with_signature(presented, push(), SECRET).expect_err("wrong");
    assert!(!error.reason().contains("5ec2e7"));
    assert!(!format!("{error:?} {error}").contains("5ec2e7"));
}
