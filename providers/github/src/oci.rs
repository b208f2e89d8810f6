//! The OCI distribution grammar of tags and digests, so that only text a
//! registry could have stored is reported as one.

/// A tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
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

/// A digest: `algorithm ":" encoded`, the algorithm lowercase alphanumeric
/// components joined by one of `+._-`, the encoded part `[A-Za-z0-9=_-]+`.
pub(crate) fn is_digest(value: &str) -> bool {
    let Some((algorithm, encoded)) = value.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['+', '.', '_', '-']).all(|component| {
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
        for tag in ["v1.4.0", "latest", "_x", "sha-6c62fb4", "A_b-C"] {
            assert!(is_tag(tag), "{tag}");
        }
        assert!(is_tag(&"a".repeat(128)));
        for not_tag in ["", ".v1", "-v1", "v 1", "v1:", "sha256:ab", "t\u{e9}"] {
            assert!(!is_tag(not_tag), "{not_tag:?}");
        }
        assert!(!is_tag(&"a".repeat(129)));
    }

    #[test]
    fn digests() {
        assert!(is_digest(
            "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b6c62fb45fe66bfb1ea9a66ab"
        ));
        for not_digest in [
            "",
            "v1",
            ":abc",
            "SHA256:abc",
            "sha256:",
            "sha256:a/b",
            "sha256-:a",
        ] {
            assert!(!is_digest(not_digest), "{not_digest:?}");
        }
    }
}
