//! Reading a delivery's body: one JSON object, as Gitea sends it with the
//! webhook's content type set to `application/json`.

use kargo_webhook_provider::ProviderError;
use serde::Deserialize;

/// The reason of every refused body: fixed text, never the body itself.
pub(crate) const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

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
        assert!(parse_body::<IgnoredAny>(b"\r\n {}").is_ok());
        for body in [
            &b"[]"[..],
            b"\"push\"",
            b"",
            b"{}{}",
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
