//! The provider a receiver URL names: Kargo's receiver paths end in
//! `/<provider>/<64 hex digits>`, under whatever base path the gateway
//! serves. The token itself is never kept or printed.

/// Why a URL names no provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// No path segment is a receiver token.
    #[error(
        "--url has no receiver token (64 hexadecimal digits) in its path; give the URL from the ProjectConfig's status.webhookReceivers, or --provider"
    )]
    NoToken,
    /// The token is the first segment: nothing names the provider.
    #[error("--url has no provider segment before its receiver token")]
    NoProvider,
}

/// The provider segment of a receiver URL or path: the segment right
/// before the last one that is a 64-digit hexadecimal token.
pub fn provider_of(url: &str) -> Result<&str, UrlError> {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = if url.contains("://") {
        without_scheme.split_once('/').map_or("", |(_, path)| path)
    } else {
        without_scheme
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let token = segments
        .iter()
        .rposition(|segment| is_token(segment))
        .ok_or(UrlError::NoToken)?;
    token
        .checked_sub(1)
        .and_then(|at| segments.get(at).copied())
        .ok_or(UrlError::NoProvider)
}

fn is_token(segment: &str) -> bool {
    segment.len() == 64 && segment.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "4f0ac6a2f3c9e4d1b0a8e7c6d5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b88527";

    #[test]
    fn the_segment_before_the_token_is_the_provider_under_any_base_path() {
        let bases = [
            "https://hooks.example.org/",
            "https://hooks.example.org/webhooks/kargo/",
            "http://localhost:8080/",
            "/",
            "",
        ];
        for base in bases {
            let url = format!("{base}harbor/{TOKEN}");
            assert_eq!(provider_of(&url), Ok("harbor"), "{url}");
            let with_extras = format!("{url}/?x=1#y");
            assert_eq!(provider_of(&with_extras), Ok("harbor"), "{with_extras}");
        }
        assert_eq!(
            provider_of(&format!("https://h/github/{}", TOKEN.to_uppercase())),
            Ok("github")
        );
    }

    #[test]
    fn a_url_without_token_or_provider_is_refused() {
        assert_eq!(
            provider_of("https://hooks.example.org/harbor/abc"),
            Err(UrlError::NoToken)
        );
        assert_eq!(
            provider_of(&format!("https://h/{TOKEN}")),
            Err(UrlError::NoProvider)
        );
        assert_eq!(
            provider_of(&format!("https://{TOKEN}/x")),
            Err(UrlError::NoToken),
            "the host is not the path"
        );
        assert!(!UrlError::NoToken.to_string().contains(TOKEN));
    }
}
