//! The provider's view of one webhook request: what it may read, nothing more.

use std::borrow::Cow;
use std::fmt;

/// Read access to a request's headers, implemented by the gateway over its
/// HTTP server's header map so that providers need no HTTP server crate.
pub trait HeaderSource {
    /// The value of the first header called `name` (case-insensitive).
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl HeaderSource for [(&str, &[u8])] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }
}

impl<const N: usize> HeaderSource for [(&str, &[u8]); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

/// One webhook delivery as the gateway received it: the method, the headers
/// and the whole body, already held within the body limit.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    method: &'a str,
    headers: &'a dyn HeaderSource,
    body: &'a [u8],
}

impl<'a> Delivery<'a> {
    /// A delivery view over the gateway's request parts.
    pub fn new(method: &'a str, headers: &'a dyn HeaderSource, body: &'a [u8]) -> Self {
        Self {
            method,
            headers,
            body,
        }
    }

    /// The HTTP method, e.g. `POST`.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.header(name)
    }

    /// The media type of `Content-Type` without parameters, lowercased and
    /// trimmed, if the header is present and readable.
    pub fn media_type(&self) -> Option<Cow<'a, str>> {
        let raw = std::str::from_utf8(self.header("content-type")?).ok()?;
        let essence = raw.split(';').next().unwrap_or_default().trim();
        if essence.is_empty() {
            None
        } else if essence.bytes().any(|b| b.is_ascii_uppercase()) {
            Some(Cow::Owned(essence.to_ascii_lowercase()))
        } else {
            Some(Cow::Borrowed(essence))
        }
    }

    /// The body bytes.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

/// Deliberately shows neither headers nor body: both may carry secrets.
impl fmt::Debug for Delivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("method", &self.method)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive() {
        let headers = [("Content-Type", &b"application/json"[..])];
        let delivery = Delivery::new("POST", &headers, b"{}");
        assert_eq!(
            delivery.header("content-type"),
            Some(&b"application/json"[..])
        );
        assert_eq!(delivery.header("authorization"), None);
    }

    #[test]
    fn media_type_drops_parameters_and_case() {
        let headers = [(
            "content-type",
            &b" Application/CloudEvents+JSON ; charset=utf-8"[..],
        )];
        let delivery = Delivery::new("POST", &headers, b"");
        assert_eq!(
            delivery.media_type().as_deref(),
            Some("application/cloudevents+json")
        );
        let empty = [("content-type", &b" ; x=y"[..])];
        assert_eq!(Delivery::new("POST", &empty, b"").media_type(), None);
    }

    #[test]
    fn debug_shows_no_header_or_body() {
        let headers = [("authorization", &b"top-secret"[..])];
        let printed = format!("{:?}", Delivery::new("POST", &headers, b"body-secret"));
        assert!(!printed.contains("top-secret"));
        assert!(!printed.contains("body-secret"));
    }
}
