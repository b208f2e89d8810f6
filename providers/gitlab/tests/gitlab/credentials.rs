//! Authentication: `X-Gitlab-Token` must equal the Secret's `secret-token`
//! byte for byte, and is checked from the head alone, before the event type
//! or the body is looked at.

use std::collections::BTreeMap;

use kargo_webhook_gitlab::{GitLab, SECRET_TOKEN_KEY};
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, Refusal, SecretKeyError, Unauthenticated,
};

use crate::support::*;

fn with_token(value: &[u8], secret: &[u8]) -> Result<Outcome, Refusal> {
    let headers = [
        ("X-Gitlab-Token", value),
        ("X-Gitlab-Event", PUSH.as_bytes()),
        ("Content-Type", &b"application/json"[..]),
    ];
    handle_with(&headers, fixture!("push.json"), &credentials(secret))
}

#[test]
fn the_exact_token_authenticates() {
    assert!(matches!(with_token(TOKEN, TOKEN), Ok(Outcome::Refresh(_))));
}

#[test]
fn the_header_name_is_case_insensitive() {
    let headers = [
        ("x-gitlab-token", TOKEN),
        ("x-gitlab-event", PUSH.as_bytes()),
    ];
    assert!(matches!(
        handle_with(&headers, fixture!("push.json"), &credentials(TOKEN)),
        Ok(Outcome::Refresh(_))
    ));
}

#[test]
fn a_missing_or_empty_token_is_missing() {
    let headers = [("X-Gitlab-Event", PUSH.as_bytes())];
    let error =
        handle_with(&headers, fixture!("push.json"), &credentials(TOKEN)).expect_err("no token");
    assert_eq!(error, MISSING_TOKEN);
    assert_eq!(error.kind(), "missing_credentials");
    assert_eq!(with_token(b"", TOKEN), Err(MISSING_TOKEN));
}

#[test]
fn a_wrong_token_is_unauthorized() {
    let error = with_token(b"glwh-someone-else", TOKEN).expect_err("wrong");
    assert_eq!(error, WRONG_TOKEN);
    assert_eq!(error.kind(), "wrong_credentials");
}

#[test]
fn any_difference_is_unauthorized() {
    let mut one_byte_off = TOKEN.to_vec();
    let last = one_byte_off.len() - 1;
    one_byte_off[last] ^= 1;
    let upper = TOKEN.to_ascii_uppercase();
    let variants: [&[u8]; 7] = [
        &one_byte_off,
        &upper,
        b"glwh-5Qx9TzR2mV7cK4pA8sD1 ",
        b" glwh-5Qx9TzR2mV7cK4pA8sD1",
        b"glwh-5Qx9TzR2mV7cK4pA8sD",
        b"glwh-5Qx9TzR2mV7cK4pA8sD11",
        b"glwh-5Qx9TzR2mV7cK4pA8sD1\0",
    ];
    for variant in variants {
        assert_eq!(
            with_token(variant, TOKEN),
            Err(WRONG_TOKEN),
            "{}",
            String::from_utf8_lossy(variant)
        );
    }
}

/// A Secret whose `secret-token` no sender can present makes no credentials
/// (the gateway reports the receiver not ready): an empty token never
/// authenticates an empty or absent header, unlike Kargo's own receiver.
#[test]
fn tokens_no_sender_can_present_make_no_credentials() {
    for value in [
        &b""[..],
        b"glwh-5Qx9TzR2mV7cK4pA8sD1\n",
        b" glwh-5Qx9TzR2mV7cK4pA8sD1",
        b"glwh-5Qx9TzR2mV7cK4pA8sD1 ",
    ] {
        let data = BTreeMap::from([(SECRET_TOKEN_KEY.to_owned(), value.to_vec())]);
        let error = Credentials::from_secret_data(GitLab.secret_keys(), &data)
            .expect_err("an unusable secret-token");
        assert!(
            matches!(
                error,
                SecretKeyError::Unusable {
                    key: "secret-token",
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
        ("X-Gitlab-Token", TOKEN),
        ("X-Gitlab-Event", PUSH.as_bytes()),
    ];
    assert_eq!(
        handle_with(&headers, fixture!("push.json"), &Credentials::default()),
        Err(WRONG_TOKEN)
    );
}

/// GitLab signs nothing: the head alone decides, so the gateway reads no
/// body for a wrong or missing token, and the right one owes no body check.
#[test]
fn the_head_alone_decides() {
    let event = ("X-Gitlab-Event", PUSH.as_bytes());
    assert_eq!(
        authenticate_with(&[("X-Gitlab-Token", TOKEN), event], &credentials(TOKEN)),
        Ok(false)
    );
    assert_eq!(
        authenticate_with(
            &[("X-Gitlab-Token", &b"nope"[..]), event],
            &credentials(TOKEN)
        ),
        Err(Unauthenticated::WrongCredentials("unauthorized"))
    );
    assert_eq!(
        authenticate_with(&[event], &credentials(TOKEN)),
        Err(Unauthenticated::MissingCredentials("missing token"))
    );
}

/// Authentication comes first: whatever the event header and the body, an
/// unauthenticated sender gets the same refusal and learns nothing about
/// which events are acted on or how a body is read.
#[test]
fn the_token_is_checked_before_the_event_type_and_the_body() {
    let events: [Option<&[u8]>; 6] = [
        Some(b"Push Hook"),
        Some(b"Merge Request Hook"),
        Some(b"System Hook"),
        Some(b"Unheard Of Hook"),
        Some(b"\xff"),
        None,
    ];
    let bodies: [&[u8]; 4] = [
        fixture!("push.json"),
        fixture!("not-json.txt"),
        br#"{"ref":5}"#,
        b"",
    ];
    for event in events {
        for body in bodies {
            let mut wrong: Vec<(&str, &[u8])> = vec![("X-Gitlab-Token", b"nope")];
            let mut missing: Vec<(&str, &[u8])> = vec![];
            if let Some(event) = event {
                wrong.push(("X-Gitlab-Event", event));
                missing.push(("X-Gitlab-Event", event));
            }
            assert_eq!(
                handle_with(&wrong, body, &credentials(TOKEN)),
                Err(WRONG_TOKEN)
            );
            assert_eq!(
                handle_with(&missing, body, &credentials(TOKEN)),
                Err(MISSING_TOKEN)
            );
        }
    }
}

#[test]
fn refusals_never_echo_the_presented_token() {
    let presented = b"glwh-token-that-must-not-leak";
    let error = with_token(presented, TOKEN).expect_err("wrong");
    assert!(!error.reason().contains("must-not-leak"));
    assert!(!format!("{error:?} {error}").contains("must-not-leak"));
}
