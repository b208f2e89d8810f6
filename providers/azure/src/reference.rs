//! Telling a tag from a digest, by the OCI distribution grammar, so that the
//! gateway's tag rules only ever see text a registry could have stored.

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

/// True for a digest: `algorithm:encoded`, the algorithm lowercase
/// alphanumeric components joined by one of `+._-`, the encoded part
/// `[A-Za-z0-9=_-]+`.
pub(crate) fn is_digest(value: &str) -> bool {
    let Some((algorithm, encoded)) = value.split_once(':') else {
        return false;
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '_', '-']).all(|component| {
            !component.is_empty()
                && component
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    let encoded_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    algorithm_ok && encoded_ok
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

    #[test]
    fn digests() {
        assert!(is_digest(
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        ));
        assert!(is_digest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3Td"));
        for not_digest in ["", "v1", ":abc", "SHA256:abc", "sha256::abc", "sha256:a/b"] {
            assert!(!is_digest(not_digest), "{not_digest}");
        }
    }
}
