//! Authentication: `X-Hub-Signature-256` must hold the HMAC of the exact
//! body with the receiver's secret; it is checked before anything else.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use kargo_webhook_github::{GitHub, SECRET_KEY};
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, Refusal, SecretKeyError, Unauthenticated,
};

use crate::support::*;

fn push() -> &'static [u8] {
    fixture!("push-branch.json")
}

fn with_signature(signature: &[u8], body: &[u8]) -> Result<Outcome, Refusal> {
    let headers = [
        ("X-GitHub-Event", &b"push"[..]),
        ("X-Hub-Signature-256", signature),
        ("Content-Type", b"application/json"),
    ];
    handle_with(&headers, body, &credentials(SECRET))
}

fn hex_mac<M: Mac + hmac::digest::KeyInit>(body: &[u8]) -> String {
    let mut mac = <M as Mac>::new_from_slice(SECRET).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn the_right_signature_authenticates() {
    let signature = sign(push());
    assert!(matches!(
        with_signature(signature.as_bytes(), push()),
        Ok(Outcome::Refresh(_))
    ));
}

/// go-github's check, which Kargo's receiver uses, takes these forms in
/// the same header; so does this one.
#[test]
fn sha1_and_sha512_forms_authenticate_too() {
    let sha1 = format!("sha1={}", hex_mac::<Hmac<sha1::Sha1>>(push()));
    let sha512 = format!("sha512={}", hex_mac::<Hmac<sha2::Sha512>>(push()));
    let upper = format!(
        "sha256={}",
        hex_mac::<Hmac<sha2::Sha256>>(push()).to_uppercase()
    );
    for signature in [sha1, sha512, upper] {
        assert!(
            matches!(
                with_signature(signature.as_bytes(), push()),
                Ok(Outcome::Refresh(_))
            ),
            "{signature}"
        );
    }
}

#[test]
fn the_header_name_is_case_insensitive() {
    let signature = sign(push());
    let headers = [
        ("x-github-event", &b"push"[..]),
        ("X-HUB-SIGNATURE-256", signature.as_bytes()),
    ];
    assert!(matches!(
        handle_with(&headers, push(), &credentials(SECRET)),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn a_missing_or_empty_signature_is_missing() {
    let headers = [("X-GitHub-Event", &b"push"[..])];
    let error = handle_with(&headers, push(), &credentials(SECRET)).expect_err("unsigned");
    assert_eq!(error, MISSING_SIGNATURE);
    assert_eq!(error.kind(), "missing_credentials");
    assert_eq!(with_signature(b"", push()), Err(MISSING_SIGNATURE));
}

/// GitHub's older `X-Hub-Signature` (SHA-1) alone does not do: the receiver
/// reads the SHA-256 header, as Kargo's does.
#[test]
fn the_legacy_header_alone_is_missing() {
    let sha1 = format!("sha1={}", hex_mac::<Hmac<sha1::Sha1>>(push()));
    let headers = [
        ("X-GitHub-Event", &b"push"[..]),
        ("X-Hub-Signature", sha1.as_bytes()),
    ];
    assert_eq!(
        handle_with(&headers, push(), &credentials(SECRET)),
        Err(MISSING_SIGNATURE)
    );
}

#[test]
fn any_other_signature_is_unauthorized() {
    let right = sign(push());
    let hex = right.trim_start_matches("sha256=");
    let mut one_bit_off = right.clone().into_bytes();
    let last = one_bit_off.len() - 1;
    one_bit_off[last] = if one_bit_off[last] == b'0' {
        b'1'
    } else {
        b'0'
    };
    let variants: Vec<Vec<u8>> = vec![
        one_bit_off,
        sign_with(b"another secret", push()).into_bytes(),
        sign(b"{}").into_bytes(),
        hex.as_bytes().to_vec(),
        format!("sha256={}", &hex[..hex.len() - 2]).into_bytes(),
        format!("sha256={hex}00").into_bytes(),
        format!("SHA256={hex}").into_bytes(),
        format!("md5={hex}").into_bytes(),
        format!("sha1={hex}").into_bytes(),
        format!(" sha256={hex}").into_bytes(),
        format!("sha256= {hex}").into_bytes(),
        b"sha256=".to_vec(),
        b"sha256=zz".to_vec(),
        b"=".to_vec(),
    ];
    for variant in variants {
        let error = with_signature(&variant, push()).expect_err("wrong");
        assert_eq!(error, UNAUTHORIZED, "{}", String::from_utf8_lossy(&variant));
        assert_eq!(error.kind(), "wrong_credentials");
    }
}

/// The signature covers the body byte for byte: any change to the body,
/// even one that leaves the JSON meaning the same, is a refusal.
#[test]
fn the_signature_covers_the_exact_body() {
    let signature = sign(push());
    let mut reformatted = push().to_vec();
    reformatted.push(b'\n');
    let truncated = &push()[..push().len() - 1];
    for body in [&reformatted[..], truncated, b""] {
        assert_eq!(
            with_signature(signature.as_bytes(), body),
            Err(UNAUTHORIZED)
        );
    }
}

/// The head only shows that a signature is there; the body check is still
/// owed, and the gateway reads the body (bounded) before it is done.
#[test]
fn the_head_alone_cannot_authenticate() {
    let signature = sign(push());
    assert_eq!(
        authenticate_with(
            &[("X-Hub-Signature-256", signature.as_bytes())],
            &credentials(SECRET)
        ),
        Ok(true)
    );
    assert_eq!(
        authenticate_with(&[("X-GitHub-Event", b"push")], &credentials(SECRET)),
        Err(Unauthenticated::MissingCredentials("missing signature"))
    );
}

/// Unlike Kargo's receiver, which checks the event type first, the event
/// type and the body are only looked at once the sender is proven: an
/// unsigned or wrongly signed request learns nothing about either.
#[test]
fn unauthenticated_requests_learn_nothing_about_events_or_bodies() {
    let bodies: [(&str, &[u8]); 5] = [
        ("push", fixture!("not-json.txt")),
        ("push", br#"{"ref":5}"#),
        ("issues", b"{}"),
        ("no-such-event", b"<xml/>"),
        ("ping", fixture!("ping.json")),
    ];
    for (event, body) in bodies {
        let wrong = sign_with(b"nope", body);
        let signed_wrong = [
            ("X-GitHub-Event", event.as_bytes()),
            ("X-Hub-Signature-256", wrong.as_bytes()),
        ];
        assert_eq!(
            handle_with(&signed_wrong, body, &credentials(SECRET)),
            Err(UNAUTHORIZED),
            "{event}"
        );
        let unsigned = [("X-GitHub-Event", event.as_bytes())];
        assert_eq!(
            handle_with(&unsigned, body, &credentials(SECRET)),
            Err(MISSING_SIGNATURE),
            "{event}"
        );
    }
}

#[test]
fn credentials_without_the_key_authenticate_nothing() {
    let signature = sign(push());
    let headers = [
        ("X-GitHub-Event", &b"push"[..]),
        ("X-Hub-Signature-256", signature.as_bytes()),
    ];
    assert_eq!(
        handle_with(&headers, push(), &Credentials::default()),
        Err(UNAUTHORIZED)
    );
}

/// An empty key would let anyone sign: such a Secret makes no credentials
/// (the gateway reports the receiver not ready). A key with surrounding
/// whitespace is a key like any other, since GitHub signs with it as typed.
#[test]
fn an_empty_secret_makes_no_credentials() {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), Vec::new())]);
    let error =
        Credentials::from_secret_data(GitHub.secret_keys(), &data).expect_err("an empty secret");
    assert!(
        matches!(error, SecretKeyError::Unusable { key: "secret", .. }),
        "{error:?}"
    );
    let spaced = b" spaced secret\n";
    let signature = sign_with(spaced, push());
    let headers = [
        ("X-GitHub-Event", &b"push"[..]),
        ("X-Hub-Signature-256", signature.as_bytes()),
    ];
    assert!(matches!(
        handle_with(&headers, push(), &credentials(spaced)),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn refusals_never_echo_the_presented_signature() {
    let presented = b"sha256=5ecre75ecre75ecre7";
    let error = with_signature(presented, push()).expect_err("wrong");
    assert!(!error.reason().contains("5ecre7"));
    assert!(!format!("{error:?} {error}").contains("5ecre7"));
}
