//! Authentication: the HMAC-SHA256 of the exact body with the receiver's
//! secret, in `X-Hub-Signature-256` (`sha256=<hex>`) or, when that header
//! is absent, `X-Gitea-Signature` (`<hex>`); checked before anything else.

use std::collections::BTreeMap;

use kargo_webhook_gitea::{Gitea, SECRET_KEY};
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, Refusal, SecretKeyError, Unauthenticated,
};

use crate::support::*;

fn push() -> &'static [u8] {
    fixture!("push-branch.json")
}

/// A push with exactly these signature headers (`None` leaves one out).
fn signed(hub: Option<&str>, gitea: Option<&str>, body: &[u8]) -> Result<Outcome, Refusal> {
    let mut headers: Vec<(&str, &[u8])> = vec![("X-Gitea-Event", b"push")];
    if let Some(hub) = hub {
        headers.push(("X-Hub-Signature-256", hub.as_bytes()));
    }
    if let Some(gitea) = gitea {
        headers.push(("X-Gitea-Signature", gitea.as_bytes()));
    }
    handle_with(&headers, body, &credentials(SECRET))
}

fn right_hub() -> String {
    hub_signature(SECRET, push())
}

fn right_gitea() -> String {
    gitea_signature(SECRET, push())
}

fn wrong_hub() -> String {
    hub_signature(b"nope", push())
}

fn wrong_gitea() -> String {
    gitea_signature(b"nope", push())
}

fn is_refresh(result: Result<Outcome, Refusal>) -> bool {
    matches!(result, Ok(Outcome::Refresh(_)))
}

#[test]
fn either_header_authenticates_alone() {
    assert!(is_refresh(signed(Some(&right_hub()), None, push())));
    assert!(is_refresh(signed(None, Some(&right_gitea()), push())));
    assert!(is_refresh(signed(
        Some(&right_hub()),
        Some(&right_gitea()),
        push()
    )));
}

/// `X-Hub-Signature-256` decides when it is there: a wrong one is not
/// rescued by a right `X-Gitea-Signature`, and a wrong `X-Gitea-Signature`
/// next to a right one is not looked at.
#[test]
fn the_hub_signature_decides_when_present() {
    assert_eq!(
        signed(Some(&wrong_hub()), Some(&right_gitea()), push()),
        Err(UNAUTHORIZED)
    );
    assert!(is_refresh(signed(
        Some(&right_hub()),
        Some(&wrong_gitea()),
        push()
    )));
    // An empty header counts as absent.
    assert!(is_refresh(signed(Some(""), Some(&right_gitea()), push())));
}

#[test]
fn without_either_signature_it_is_missing() {
    for (hub, gitea) in [
        (None, None),
        (Some(""), None),
        (None, Some("")),
        (Some(""), Some("")),
    ] {
        let error = signed(hub, gitea, push()).expect_err("unsigned");
        assert_eq!(error, MISSING_SIGNATURE, "{hub:?} {gitea:?}");
        assert_eq!(error.kind(), "missing_credentials");
    }
}

#[test]
fn each_header_takes_only_its_own_form() {
    let hex = right_gitea();
    // The bare hex in the GitHub-style header, the prefixed form in Gitea's.
    assert_eq!(signed(Some(&hex), None, push()), Err(UNAUTHORIZED));
    assert_eq!(signed(None, Some(&right_hub()), push()), Err(UNAUTHORIZED));
    // Case of the hex digits does not matter; truncation and padding do.
    assert!(is_refresh(signed(None, Some(&hex.to_uppercase()), push())));
    for wrong in [
        hex[..hex.len() - 2].to_owned(),
        format!("{hex}00"),
        format!(" {hex}"),
        "zz".to_owned(),
        wrong_gitea(),
    ] {
        assert_eq!(
            signed(None, Some(&wrong), push()),
            Err(UNAUTHORIZED),
            "{wrong}"
        );
    }
}

#[test]
fn the_signature_covers_the_exact_body() {
    let mut reformatted = push().to_vec();
    reformatted.push(b'\n');
    for body in [&reformatted[..], &push()[1..], b""] {
        assert_eq!(
            signed(Some(&right_hub()), Some(&right_gitea()), body),
            Err(UNAUTHORIZED)
        );
    }
}

/// With the content type "application/x-www-form-urlencoded", Gitea signs
/// the JSON payload but sends it form-encoded: the body never matches the
/// signature. The docs tell operators to choose `application/json`.
#[test]
fn a_form_encoded_delivery_does_not_match_its_signature() {
    let json = br#"{"ref":"refs/heads/main"}"#;
    let form = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D";
    let hub = hub_signature(SECRET, json);
    let gitea = gitea_signature(SECRET, json);
    assert_eq!(signed(Some(&hub), Some(&gitea), form), Err(UNAUTHORIZED));
}

#[test]
fn the_head_alone_cannot_authenticate() {
    let hub = right_hub();
    let gitea = right_gitea();
    for headers in [
        vec![("X-Hub-Signature-256", hub.as_bytes())],
        vec![("X-Gitea-Signature", gitea.as_bytes())],
    ] {
        assert_eq!(authenticate_with(&headers, &credentials(SECRET)), Ok(true));
    }
    assert_eq!(
        authenticate_with(&[("X-Gitea-Event", b"push")], &credentials(SECRET)),
        Err(Unauthenticated::MissingCredentials("missing signature"))
    );
}

/// Unlike Kargo's receiver (which answers 501 for an unknown event type
/// before it checks the signature), nothing about events or bodies is
/// revealed to an unauthenticated sender.
#[test]
fn unauthenticated_requests_learn_nothing_about_events_or_bodies() {
    let bodies: [(&str, &[u8]); 4] = [
        ("push", fixture!("not-json.txt")),
        ("push", br#"{"ref":5}"#),
        ("issues", b"{}"),
        ("no-such-event", b"<xml/>"),
    ];
    for (event, body) in bodies {
        let wrong = hub_signature(b"nope", body);
        let signed_wrong = [
            ("X-Gitea-Event", event.as_bytes()),
            ("X-Hub-Signature-256", wrong.as_bytes()),
        ];
        assert_eq!(
            handle_with(&signed_wrong, body, &credentials(SECRET)),
            Err(UNAUTHORIZED),
            "{event}"
        );
        let unsigned = [("X-Gitea-Event", event.as_bytes())];
        assert_eq!(
            handle_with(&unsigned, body, &credentials(SECRET)),
            Err(MISSING_SIGNATURE),
            "{event}"
        );
    }
}

#[test]
fn credentials_without_the_key_authenticate_nothing() {
    let hub = right_hub();
    let gitea = right_gitea();
    for headers in [
        [
            ("X-Gitea-Event", &b"push"[..]),
            ("X-Hub-Signature-256", hub.as_bytes()),
        ],
        [
            ("X-Gitea-Event", &b"push"[..]),
            ("X-Gitea-Signature", gitea.as_bytes()),
        ],
    ] {
        assert_eq!(
            handle_with(&headers, push(), &Credentials::default()),
            Err(UNAUTHORIZED)
        );
    }
}

/// An empty key would let anyone sign (and Gitea sends no signature for a
/// webhook without a secret): such a Secret makes no credentials.
#[test]
fn an_empty_secret_makes_no_credentials() {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), Vec::new())]);
    let error =
        Credentials::from_secret_data(Gitea.secret_keys(), &data).expect_err("an empty secret");
    assert!(
        matches!(error, SecretKeyError::Unusable { key: "secret", .. }),
        "{error:?}"
    );
}

#[test]
fn refusals_never_echo_the_presented_signature() {
    let error = signed(None, Some("5ecre75ecre75ecre7"), push()).expect_err("wrong");
    assert!(!error.reason().contains("5ecre7"));
    assert!(!format!("{error:?} {error}").contains("5ecre7"));
}
