//! Reading a delivery's body: one JSON object, as GitHub sends it with the
//! webhook's content type set to `application/json`.

use kargo_webhook_provider::{AuthenticatedDelivery, ProviderError};
use serde::Deserialize;

/// The reason of every refused body: fixed text, never the body itself.
pub(crate) const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// A webhook whose content type is `application/x-www-form-urlencoded`
/// sends the event as a form field, which this receiver does not read: the
/// webhook must be set to `application/json`.
pub(crate) const FORM_ENCODED: ProviderError = ProviderError::UnsupportedContent(
    "unsupported content type: set the webhook to application/json",
);

/// Refuses a body GitHub labels as a form; any other label (or none) is
/// read as JSON.
pub(crate) fn check_content_type(
    delivery: &AuthenticatedDelivery<'_>,
) -> Result<(), ProviderError> {
    match delivery.media_type().as_deref() {
        Some("application/x-www-form-urlencoded") => Err(FORM_ENCODED),
        _ => Ok(()),
    }
}

/// Parses a body that must be a single JSON object, in UTF-8 as JSON
/// requires (serde_json would skip invalid UTF-8 inside a string it does not
/// read).
pub(crate) fn parse_body<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ProviderError> {
    parse_object(std::str::from_utf8(body).map_err(|_| INVALID_BODY)?)
}

/// Parses JSON text that must be a single object.
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(json: &'a str) -> Result<T, ProviderError> {
    kargo_webhook_provider::json::from_object(json.as_bytes()).ok_or(INVALID_BODY)
}

#[cfg(test)]
mod tests {
    use serde::de::IgnoredAny;

    use super::*;

    #[test]
    fn only_an_object_parses() {
        assert!(parse_body::<IgnoredAny>(b" \n{}").is_ok());
        for body in [
            &b"[]"[..],
            b"[{}]",
            b"\"push\"",
            b"",
            b"{} trailing",
            b"{",
            b"null",
            b"{\"a\":\"\xff\"}",
        ] {
            assert_eq!(
                parse_body::<IgnoredAny>(body).map(|_| ()),
                Err(INVALID_BODY),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
