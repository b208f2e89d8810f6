//! Authentication: `Authorization` must equal the Secret's `auth-header`
//! byte for byte, and is checked before the body is read.

use std::collections::BTreeMap;

use kargo_webhook_harbor::{AUTH_HEADER_KEY, Harbor};
use kargo_webhook_provider::{Credentials, Outcome, Provider, SecretKeyError, Unauthenticated};

use crate::support::*;

fn push() -> &'static [u8] {
    fixture!("push-simple.json")
}

fn with_authorization(
    value: &[u8],
    secret: &[u8],
) -> Result<Outcome, kargo_webhook_provider::Refusal> {
    let headers = [
        ("Authorization", value),
        ("Content-Type", &b"application/json"[..]),
    ];
    handle_with(&headers, push(), &credentials(secret))
}

#[test]
fn the_exact_value_authenticates() {
    assert!(matches!(
        with_authorization(SECRET, SECRET),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn the_header_name_is_case_insensitive() {
    let headers = [
        ("AUTHORIZATION", SECRET),
        ("content-type", &b"application/json"[..]),
    ];
    assert!(matches!(
        handle_with(&headers, push(), &credentials(SECRET)),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn a_missing_header_is_missing_authorization() {
    let headers = [("Content-Type", &b"application/json"[..])];
    let error = handle_with(&headers, push(), &credentials(SECRET)).expect_err("no header");
    assert_eq!(error, MISSING_AUTH);
    assert_eq!(error.kind(), "missing_credentials");
}

#[test]
fn an_empty_header_is_missing_authorization() {
    assert_eq!(with_authorization(b"", SECRET), Err(MISSING_AUTH));
}

#[test]
fn a_wrong_value_is_unauthorized() {
    let error = with_authorization(b"Basic d3Jvbmc6d3Jvbmc=", SECRET).expect_err("wrong");
    assert_eq!(error, WRONG_AUTH);
    assert_eq!(error.kind(), "wrong_credentials");
}

#[test]
fn any_difference_is_unauthorized() {
    let mut one_byte_off = SECRET.to_vec();
    let last = one_byte_off.len() - 1;
    one_byte_off[last] ^= 1;
    let variants: [&[u8]; 7] = [
        &one_byte_off,
        b"basic cm9ib3QkY2k6czNjcmV0",
        b"Basic cm9ib3QkY2k6czNjcmV0 ",
        b" Basic cm9ib3QkY2k6czNjcmV0",
        b"Basic cm9ib3QkY2k6czNjcmV",
        b"Bearer Basic cm9ib3QkY2k6czNjcmV0",
        b"Basic cm9ib3QkY2k6czNjcmV0\0",
    ];
    for variant in variants {
        assert_eq!(
            with_authorization(variant, SECRET),
            Err(WRONG_AUTH),
            "{}",
            String::from_utf8_lossy(variant)
        );
    }
}

/// A Secret whose `auth-header` no sender can present makes no
/// credentials at all (the gateway reports the receiver not ready), so
/// nothing is ever set up to accept an empty header or to refuse everyone.
#[test]
fn secrets_no_sender_can_match_make_no_credentials() {
    for value in [
        &b""[..],
        b"Basic cm9ib3QkY2k6czNjcmV0\n",
        b" Basic cm9ib3QkY2k6czNjcmV0",
        b"Basic cm9ib3QkY2k6czNjcmV0 ",
    ] {
        let data = BTreeMap::from([(AUTH_HEADER_KEY.to_owned(), value.to_vec())]);
        let error = Credentials::from_secret_data(Harbor.secret_keys(), &data)
            .expect_err("an unusable auth-header");
        assert!(
            matches!(
                error,
                SecretKeyError::Unusable {
                    key: "auth-header",
                    ..
                }
            ),
            "{value:?}: {error:?}"
        );
    }
}

#[test]
fn credentials_without_the_key_authenticate_nothing() {
    let headers = [
        ("Authorization", SECRET),
        ("Content-Type", &b"application/json"[..]),
    ];
    assert_eq!(
        handle_with(&headers, push(), &Credentials::default()),
        Err(WRONG_AUTH)
    );
}

/// Harbor's authentication is decided by the head alone: the gateway reads
/// no body for a wrong or missing header, and the right one owes no body
/// check.
#[test]
fn the_head_alone_decides() {
    let json = ("Content-Type", &b"application/json"[..]);
    assert_eq!(
        authenticate_with(&[("Authorization", SECRET), json], &credentials(SECRET)),
        Ok(false)
    );
    assert_eq!(
        authenticate_with(
            &[("Authorization", &b"nope"[..]), json],
            &credentials(SECRET)
        ),
        Err(Unauthenticated::WrongCredentials("unauthorized"))
    );
    assert_eq!(
        authenticate_with(&[json], &credentials(SECRET)),
        Err(Unauthenticated::MissingCredentials("missing authorization"))
    );
}

/// Authentication comes first: an unauthenticated sender learns nothing
/// about how its body would have been read.
#[test]
fn unauthenticated_bodies_are_never_judged() {
    let bodies: [(&str, &[u8]); 4] = [
        ("application/json", fixture!("not-json.txt")),
        ("application/json", br#"{"type":5}"#),
        ("application/xml", b"<event/>"),
        ("application/json", fixture!("push-empty-resources.json")),
    ];
    for (content_type, body) in bodies {
        let wrong = [
            ("Authorization", &b"nope"[..]),
            ("Content-Type", content_type.as_bytes()),
        ];
        assert_eq!(
            handle_with(&wrong, body, &credentials(SECRET)),
            Err(WRONG_AUTH)
        );
        let missing = [("Content-Type", content_type.as_bytes())];
        assert_eq!(
            handle_with(&missing, body, &credentials(SECRET)),
            Err(MISSING_AUTH)
        );
    }
}

#[test]
fn refusals_never_echo_the_presented_header() {
    let presented = b"Basic c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw==";
    let error = with_authorization(presented, SECRET).expect_err("wrong");
    assert!(!error.reason().contains("c2VjcmV0"));
    assert!(!format!("{error:?} {error}").contains("c2VjcmV0"));
}
