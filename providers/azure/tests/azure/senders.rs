//! Authentication is the receiver URL alone; the `User-Agent` then says
//! which service's format the body is in.

use std::collections::BTreeMap;

use kargo_webhook_azure::{Azure, SECRET_KEY};
use kargo_webhook_provider::{
    Credentials, Outcome, Provider, RequestHead, SecretKeyError, UnusableValue,
};

use kargo_webhook_provider_testkit::delivery::HeaderList;

use crate::support::*;

/// Neither service can sign or present a secret: any request that reached
/// the receiver's URL passes the first step, and owes no body check.
#[test]
fn the_url_alone_authenticates() {
    let credentials = credentials();
    let heads: [&[(&str, &[u8])]; 4] = [
        &[],
        &[("user-agent", b"curl/8.5.0")],
        &[("authorization", b"Basic d3Jvbmc6d3Jvbmc=")],
        &[("User-Agent", b"VSServices/16.255.35115.1")],
    ];
    for headers in heads {
        let headers = HeaderList(headers);
        let authenticated = Azure
            .authenticate(RequestHead::new("POST", &headers), &credentials)
            .expect("the URL is the credential");
        assert!(!authenticated.checks_body());
    }
}

/// The Secret's value only goes into the URL: it must not be empty (the URL
/// would then be guessable from the project and receiver names), and no
/// other rule applies, since no sender ever presents it.
#[test]
fn the_secret_must_not_be_empty() {
    let data = BTreeMap::from([(SECRET_KEY.to_owned(), Vec::new())]);
    let error =
        Credentials::from_secret_data(Azure.secret_keys(), &data).expect_err("an empty secret");
    assert!(
        matches!(
            error,
            SecretKeyError::Unusable {
                key: "secret",
                problem: UnusableValue::Empty
            }
        ),
        "{error:?}"
    );
    for value in [&b"secret\n"[..], b" with spaces ", b"\x00\x01"] {
        let data = BTreeMap::from([(SECRET_KEY.to_owned(), value.to_vec())]);
        assert!(
            Credentials::from_secret_data(Azure.secret_keys(), &data).is_ok(),
            "{value:?}"
        );
    }
    let missing = Credentials::from_secret_data(Azure.secret_keys(), &BTreeMap::new());
    assert!(matches!(
        missing,
        Err(SecretKeyError::Missing { key: "secret" })
    ));
}

/// A request from neither service is refused with a fixed reason before its
/// body is read as either format, and the reason never echoes the header.
#[test]
fn other_senders_are_refused() {
    let body = fixture!("acr-push.json");
    for user_agent in [
        None,
        Some("curl/8.5.0"),
        Some("vsservices/16.0"),
        Some("azurecontainerregistry/1.0"),
        Some(" AzureContainerRegistry/1.0"),
        Some("Mozilla/5.0 (compatible; VSServices)"),
        Some(""),
    ] {
        let error = deliver(user_agent, body).expect_err("not an Azure service");
        assert_eq!(error, UNKNOWN_SENDER, "{user_agent:?}");
        assert_eq!(error.kind(), "malformed_body");
    }
    let headers = [("User-Agent", &b"\xff\xfeVSServices"[..])];
    assert_eq!(
        handle_with(&headers, body, &credentials()),
        Err(UNKNOWN_SENDER)
    );
    let error = deliver(Some("evil-marker-5c1e"), body).expect_err("refused");
    assert!(!format!("{error:?} {error}").contains("evil-marker"));
}

/// The header's name is case-insensitive and its version does not matter.
#[test]
fn any_version_of_each_service_is_recognized() {
    for user_agent in ["VSServices/16.255.35115.1", "VSServices/19.0", "VSServices"] {
        let headers = [("USER-AGENT", user_agent.as_bytes())];
        assert!(
            matches!(
                handle_with(&headers, fixture!("devops-git-push.json"), &credentials()),
                Ok(Outcome::Refresh(_))
            ),
            "{user_agent}"
        );
    }
    for user_agent in ["AzureContainerRegistry/1.0", "AzureContainerRegistry"] {
        assert_eq!(
            deliver(Some(user_agent), fixture!("acr-ping.json")),
            Ok(Outcome::Ping),
            "{user_agent}"
        );
    }
}

/// Credentials built without the key (which the gateway never hands over)
/// change nothing: the URL was the check.
#[test]
fn credentials_play_no_part_in_parsing() {
    let headers = [("User-Agent", &b"AzureContainerRegistry/1.0"[..])];
    assert_eq!(
        handle_with(&headers, fixture!("acr-ping.json"), &Credentials::default()),
        Ok(Outcome::Ping)
    );
}
