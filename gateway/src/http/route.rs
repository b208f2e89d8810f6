//! Splits a request path into the provider and token segments of a
//! receiver URL. Only the exact spelling the gateway publishes matches:
//! no percent-decoding, no dot segments, no doubled or trailing slashes.

use std::sync::Arc;

use crate::receivers::{Receiver, ReceiverTable};

/// The live receiver at a request's path, if the path is exactly one
/// the gateway publishes. A query string, even an empty one, makes it
/// another URL.
pub fn lookup<'t>(
    table: &'t ReceiverTable,
    base_path: &str,
    path: &str,
    query: Option<&str>,
) -> Option<&'t Arc<Receiver>> {
    if query.is_some() {
        return None;
    }
    let (provider, token) = receiver_segments(base_path, path)?;
    table.lookup(provider, token)
}

/// The provider and token of `{base}/{provider}/{token}`, if `path` has
/// exactly that shape.
pub fn receiver_segments<'a>(base_path: &str, path: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = path.strip_prefix(base_path)?;
    let rest = rest.strip_prefix('/')?;
    let (provider, token) = rest.split_once('/')?;
    let plain = |segment: &str| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    };
    (plain(provider) && plain(token)).then_some((provider, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_published_spelling_matches() {
        let token = "0123456789abcdef";
        assert_eq!(
            receiver_segments("", &format!("/harbor/{token}")),
            Some(("harbor", token))
        );
        assert_eq!(
            receiver_segments("/hooks", &format!("/hooks/harbor/{token}")),
            Some(("harbor", token))
        );
        for path in [
            format!("/harbor/{token}/"),
            format!("//harbor/{token}"),
            format!("/harbor//{token}"),
            format!("/harbor/{}", token.to_uppercase()),
            format!("/harbor%2F{token}"),
            format!("/harbor/..%2F{token}"),
            format!("/x/../harbor/{token}"),
            format!("/harbor/./{token}"),
            format!("/harbor/{token}/extra"),
            "/harbor/".to_owned(),
            "/harbor".to_owned(),
            "/".to_owned(),
            String::new(),
        ] {
            assert_eq!(receiver_segments("", &path), None, "{path}");
        }
        assert_eq!(
            receiver_segments("/hooks", &format!("/harbor/{token}")),
            None
        );
        assert_eq!(
            receiver_segments("/hooks", &format!("/hooksx/harbor/{token}")),
            None
        );
    }
}
