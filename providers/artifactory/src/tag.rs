//! Telling a tag from other text, by the OCI distribution grammar, so that
//! the gateway's tag rules only ever see text a registry could have stored.

/// True for a tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub(crate) fn is_tag(value: &str) -> bool {
    let bytes = value.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= 128
                && (first.is_ascii_alphanumeric() || *first == b'_')
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        for tag in ["v1", "1.27.1", "latest", "_x", "0.9.0-rc.1", "A_b-C"] {
            assert!(is_tag(tag), "{tag}");
        }
        assert!(is_tag(&"a".repeat(128)));
        for not_tag in ["", ".v1", "-v1", "v 1", "v1:", "sha256:ab", "tag\u{e9}"] {
            assert!(!is_tag(not_tag), "{not_tag}");
        }
        assert!(!is_tag(&"a".repeat(129)));
    }
}
