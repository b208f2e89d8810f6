//! Feeds arbitrary bytes through both steps of the Gitea provider
//! (authenticate, then parse), signed as Gitea signs them.
//!
//! Input layout: the first byte picks the `X-Gitea-Event` (see [`EVENTS`]);
//! for picks past the list, the body's first line is sent as the event type
//! itself. The second byte picks the signature headers (see [`Signing`]).
//! The rest is the body.
//!
//! Besides "no panic", each verdict is checked: a right signature in the
//! header that decides always passes and a wrong one never does; the
//! parser refreshes, names a closed pull request, ignores with a fixed
//! reason, or refuses the body (400) with fixed text.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kargo_webhook_gitea::{Gitea, SECRET_KEY};
use kargo_webhook_provider::signature::hex_hmac_sha256;
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, ProviderError, ReceiverOptions, RequestHead, Unauthenticated,
};
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"fuzz-webhook-secret";

static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), KEY.to_vec())]);
    Credentials::from_secret_data(Gitea.secret_keys(), &data)
        .expect("the fuzzer's Secret has the key")
});

/// Event types acted on, and a few that are not.
const EVENTS: [&[u8]; 5] = [b"push", b"pull_request", b"create", b"release", b""];

/// Which signature headers a delivery carries.
#[derive(Debug, Clone, Copy)]
enum Signing {
    /// Both, right (what Gitea sends).
    Both,
    /// `X-Gitea-Signature` alone, right (older Gitea).
    GiteaOnly,
    /// `X-Hub-Signature-256` wrong, `X-Gitea-Signature` right: the first
    /// decides, so this is refused.
    WrongHub,
    /// Both made with another key.
    OtherKey,
}

impl Signing {
    fn of(mode: u8) -> Self {
        match mode % 4 {
            0 => Self::Both,
            1 => Self::GiteaOnly,
            2 => Self::WrongHub,
            _ => Self::OtherKey,
        }
    }

    fn passes(self) -> bool {
        matches!(self, Self::Both | Self::GiteaOnly)
    }
}

/// Splits an input into `(event, signing, body)`.
fn split(data: &[u8]) -> (&[u8], Signing, &[u8]) {
    let [event_pick, mode, rest @ ..] = data else {
        return (b"push", Signing::Both, data);
    };
    let (event, body) = match EVENTS.get(usize::from(*event_pick)) {
        Some(event) => (*event, rest),
        None => match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &[][..]),
        },
    };
    (event, Signing::of(*mode), body)
}

fuzz_target!(|data: &[u8]| {
    let (event, signing, body) = split(data);
    let right = hex_hmac_sha256(KEY, body);
    let other = hex_hmac_sha256(b"another key", body);
    let (hub, gitea) = match signing {
        Signing::Both => (Some(format!("sha256={right}")), right),
        Signing::GiteaOnly => (None, right),
        Signing::WrongHub => (Some(format!("sha256={other}")), right),
        Signing::OtherKey => (Some(format!("sha256={other}")), other),
    };
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("x-gitea-event", event),
        ("x-gitea-signature", gitea.as_bytes()),
    ];
    if let Some(hub) = &hub {
        headers.push(("x-hub-signature-256", hub.as_bytes()));
    }
    let headers = Headers(&headers);
    let authenticated = Gitea
        .authenticate(RequestHead::new("POST", &headers), &CREDENTIALS)
        .expect("a signature is present");
    assert!(authenticated.checks_body(), "Gitea owes a body check");
    let delivery = match authenticated.with_body(body) {
        Ok(delivery) => {
            assert!(signing.passes(), "{signing:?} passed");
            delivery
        }
        Err(refusal) => {
            assert!(!signing.passes(), "{signing:?} was refused");
            assert_eq!(refusal, Unauthenticated::WrongCredentials("unauthorized"));
            return;
        }
    };
    match Gitea.parse(&delivery, &ReceiverOptions::default()) {
        Ok(Outcome::Refresh(pushes)) => {
            assert!(!pushes.is_empty());
            for push in pushes {
                assert!(!push.repository.as_str().is_empty());
                assert!(push.tags.is_empty() && push.digests.is_empty());
                assert!(push.refs.iter().all(|r| !r.is_empty()));
            }
        }
        Ok(Outcome::PullRequestClosed { url }) => assert!(!url.is_empty()),
        Ok(Outcome::Ping) => panic!("Gitea sends no ping"),
        Ok(Outcome::Ignored(reason)) => {
            assert!(reason.starts_with("event type ") || reason.starts_with("only a closed"))
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
