//! The provider's view of one webhook request, in the two stages the
//! contract has: the head alone ([`RequestHead`], all that the
//! authentication step sees), then the head and the body of a request whose
//! sender was authenticated ([`AuthenticatedDelivery`], all that the parse
//! step sees).

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

/// A request as it stands before its body is read: the method and the
/// headers. The authentication step sees this and nothing more.
#[derive(Clone, Copy)]
pub struct RequestHead<'a> {
    method: &'a str,
    headers: &'a dyn HeaderSource,
}

impl<'a> RequestHead<'a> {
    /// A view over the gateway's request parts.
    pub fn new(method: &'a str, headers: &'a dyn HeaderSource) -> Self {
        Self { method, headers }
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
}

/// Deliberately shows no header: headers carry credentials.
impl fmt::Debug for RequestHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHead")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// One delivery whose sender was authenticated, with its whole body held
/// within the body limit: what the parse step sees.
///
/// Only [`Authenticated::with_body`](crate::Authenticated::with_body) makes
/// one, so a parser can never be handed a request that did not pass its
/// provider's authentication.
#[derive(Clone, Copy)]
pub struct AuthenticatedDelivery<'a> {
    head: RequestHead<'a>,
    body: &'a [u8],
}

impl<'a> AuthenticatedDelivery<'a> {
    /// Joins an authenticated head and its body; the SDK's authentication
    /// path is the only caller.
    pub(crate) fn new(head: RequestHead<'a>, body: &'a [u8]) -> Self {
        Self { head, body }
    }

    /// The request's head.
    pub fn head(&self) -> RequestHead<'a> {
        self.head
    }

    /// The HTTP method, e.g. `POST`.
    pub fn method(&self) -> &'a str {
        self.head.method()
    }

    /// The value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.head.header(name)
    }

    /// See [`RequestHead::media_type`].
    pub fn media_type(&self) -> Option<Cow<'a, str>> {
        self.head.media_type()
    }

    /// The body bytes.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

/// Deliberately shows neither headers nor body: both may carry secrets.
impl fmt::Debug for AuthenticatedDelivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticatedDelivery")
            .field("method", &self.head.method)
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
        let head = RequestHead::new("POST", &headers);
        assert_eq!(head.header("content-type"), Some(&b"application/json"[..]));
        assert_eq!(head.header("authorization"), None);
        assert_eq!(head.method(), "POST");
    }

    #[test]
    fn media_type_drops_parameters_and_case() {
        let headers = [(
            "content-type",
            &b" Application/CloudEvents+JSON ; charset=utf-8"[..],
        )];
        let head = RequestHead::new("POST", &headers);
        assert_eq!(
            head.media_type().as_deref(),
            Some("application/cloudevents+json")
        );
        let empty = [("content-type", &b" ; x=y"[..])];
        assert_eq!(RequestHead::new("POST", &empty).media_type(), None);
    }

    #[test]
    fn debug_shows_no_header_or_body() {
        let headers = [("authorization", &b"top-secret"[..])];
        let head = RequestHead::new("POST", &headers);
        assert!(!format!("{head:?}").contains("top-secret"));
        let delivery = AuthenticatedDelivery::new(head, b"body-secret");
        let printed = format!("{delivery:?}");
        assert!(!printed.contains("top-secret"));
        assert!(!printed.contains("body-secret"));
        assert!(printed.contains("body_len: 11"));
    }
}
