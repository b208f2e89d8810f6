//! Deliveries as the gateway makes them: credentials prepared from a
//! Secret's data, a head with exactly the given headers, both steps of the
//! provider.

use std::collections::BTreeMap;

use kargo_webhook_provider::{
    Credentials, HeaderSource, Outcome, Provider, ReceiverOptions, Refusal, RequestHead,
    Unauthenticated, deliver as deliver_to,
};

/// A header list of any length, as the gateway's header map would be.
#[derive(Debug, Clone, Copy)]
pub struct HeaderList<'a>(pub &'a [(&'a str, &'a [u8])]);

impl HeaderSource for HeaderList<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.header(name)
    }
}

/// Credentials as the gateway prepares them from a Secret with this data;
/// fails when the provider refuses it.
pub fn credentials(provider: &dyn Provider, data: &[(&str, &[u8])]) -> Credentials {
    let data: BTreeMap<String, Vec<u8>> = data
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.to_vec()))
        .collect();
    Credentials::from_secret_data(provider.secret_keys(), &data).expect("the Secret has the keys")
}

/// Hands one `POST` with exactly these headers to the provider, through both
/// steps as the gateway runs them.
pub fn deliver(
    provider: &dyn Provider,
    headers: &[(&str, &[u8])],
    body: &[u8],
    credentials: &Credentials,
    options: &ReceiverOptions,
) -> Result<Outcome, Refusal> {
    let headers = HeaderList(headers);
    deliver_to(
        provider,
        RequestHead::new("POST", &headers),
        credentials,
        options,
        body,
    )
}

/// The authentication step alone, on a `POST` head with exactly these
/// headers: `Ok(checks_body)` or the refusal.
pub fn authenticate(
    provider: &dyn Provider,
    headers: &[(&str, &[u8])],
    credentials: &Credentials,
) -> Result<bool, Unauthenticated> {
    let headers = HeaderList(headers);
    provider
        .authenticate(RequestHead::new("POST", &headers), credentials)
        .map(|authenticated| authenticated.checks_body())
}
