//! The registry host of a push: the host of the event's `jpd_origin`, the
//! platform's base URL (Artifactory's "Custom Base URL" on a self-hosted
//! instance), e.g. `https://example.jfrog.io`.

/// The host (with its port, if any) of an absolute URL
/// `scheme://[user@]host[:port][/path][?query][#fragment]`; `None` for text
/// without a scheme or without a host, and for hosts holding whitespace or
/// control characters.
pub(crate) fn host(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let clean = !host.chars().any(|c| c.is_whitespace() || c.is_control());
    (!host.is_empty() && clean).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_an_absolute_url() {
        for (url, expected) in [
            ("https://example.jfrog.io", "example.jfrog.io"),
            ("https://example.jfrog.io/", "example.jfrog.io"),
            (
                "https://artifactory.example.com/artifactory",
                "artifactory.example.com",
            ),
            (
                "http://artifactory.example.com:8082/ui?x=1",
                "artifactory.example.com:8082",
            ),
            (
                "https://user:pw@artifactory.example.com#top",
                "artifactory.example.com",
            ),
            ("https://[::1]:8443/x", "[::1]:8443"),
        ] {
            assert_eq!(host(url), Some(expected), "{url}");
        }
    }

    #[test]
    fn no_scheme_or_no_host_is_none() {
        for url in [
            "",
            "https://",
            "https:///artifactory",
            "https://user@",
            "example.jfrog.io",
            "//example.jfrog.io",
            "://example.jfrog.io",
            "1http://example.jfrog.io",
            "https://exa mple.jfrog.io",
        ] {
            assert_eq!(host(url), None, "{url:?}");
        }
    }
}
