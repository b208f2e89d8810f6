//! Reading a delivery's body: one JSON object, as Gitea sends it with the
//! webhook's content type set to `application/json`.

use kargo_webhook_provider::ProviderError;
use serde::Deserialize;

/// The reason of every refused body: fixed text, never the body itself.
pub(crate) const INVALID_BODY: ProviderError = ProviderError::MalformedBody("invalid request body");

/// Parses a body, or a part of one, that must be a single JSON object.
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, ProviderError> {
    // serde would also build a struct from a JSON array (fields by
    // position), which no Gitea event is.
    let first = json
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return Err(INVALID_BODY);
    }
    serde_json::from_slice(json).map_err(|_| INVALID_BODY)
}

#[cfg(test)]
mod tests {
    use serde::de::IgnoredAny;

    use super::*;

    #[test]
    fn only_an_object_parses() {
        assert!(parse_object::<IgnoredAny>(b"\r\n {}").is_ok());
        for body in [&b"[]"[..], b"\"push\"", b"", b"{}{}", b"{", b"null"] {
            assert_eq!(
                parse_object::<IgnoredAny>(body).map(|_| ()),
                Err(INVALID_BODY),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
