//! What counts as a tag: the OCI distribution grammar. Quay checks tags
//! against `[\w][\w.-]{0,127}`, the same grammar (its `\w` would also admit
//! non-ASCII letters, which no registry client sends).

/// True for `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`. Anything else (an empty
/// string, a digest, text with spaces) is no tag Quay could have
/// stored, and is not handed to the gateway's tag rules.
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
    fn tags_are_tags() {
        for tag in [
            "latest",
            "v1.0.0",
            "1.27-alpine",
            "_x",
            "0.9.0-rc.1",
            "A_b-C",
        ] {
            assert!(is_tag(tag), "{tag}");
        }
        assert!(is_tag(&"a".repeat(128)));
    }

    #[test]
    fn anything_else_is_not() {
        let too_long = "a".repeat(129);
        for value in [
            "",
            ".v1",
            "-v1",
            "v 1",
            "v1:",
            "sha256:abc",
            "v1/x",
            "tag\u{e9}",
            too_long.as_str(),
        ] {
            assert!(!is_tag(value), "{value:?}");
        }
    }
}
