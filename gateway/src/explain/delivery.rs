//! The payload through the provider's parse step, authentication skipped:
//! a dry run reads no Secret, so it cannot check credentials; it stands in
//! the receiver-URL proof for whatever the provider checks, and says so.

use kargo_webhook_provider::{Authenticated, HeaderSource, Outcome, RequestHead};

use super::args::Request;
use super::error::BadInput;

/// The given headers, for the provider.
struct Headers<'a>(&'a [(String, Vec<u8>)]);

impl HeaderSource for Headers<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_slice())
    }
}

/// What the provider makes of `payload`: the outcome, or why it refuses
/// the payload.
pub fn parse(request: &Request, payload: &[u8]) -> Result<Outcome, BadInput> {
    let provider = request.provider;
    let headers = Headers(&request.headers);
    let head = RequestHead::new("POST", &headers);
    let refused = |kind, reason| BadInput::Refused {
        provider: provider.name(),
        kind,
        reason,
    };
    let delivery = Authenticated::by_receiver_url(head)
        .with_body(payload)
        .map_err(|refusal| refused(refusal.kind(), refusal.reason()))?;
    provider
        .parse(&delivery, &request.options)
        .map_err(|error| refused(error.kind(), error.reason()))
}
