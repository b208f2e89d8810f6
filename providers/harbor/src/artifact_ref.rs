//! Telling a tag from a digest, by the OCI distribution grammar.

use kargo_webhook_provider::{is_oci_digest, is_oci_tag};

/// What a `tag` or `digest` field of a Harbor resource really holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ArtifactRef<'a> {
    /// A tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
    Tag(&'a str),
    /// A digest: `algorithm:encoded`, e.g. `sha256:<64 hex>`.
    Digest(&'a str),
    /// Neither (empty, or not in either grammar): not reported, so that the
    /// gateway's tag rules never see text no registry could have stored.
    Invalid,
}

impl<'a> ArtifactRef<'a> {
    /// Classifies one field value. A tag can never contain `:`, so a value
    /// that does is a digest or nothing.
    pub(crate) fn of(value: &'a str) -> Self {
        if is_oci_tag(value) {
            Self::Tag(value)
        } else if is_oci_digest(value) {
            Self::Digest(value)
        } else {
            Self::Invalid
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:77e977e977e977e977e977e977e977e977e977e977e977e977e977e977e977e9";

    #[test]
    fn tags_are_tags() {
        for tag in ["v2.4.0", "1.27.1", "latest", "_x", "0.9.0-rc.1", "A_b-C"] {
            assert_eq!(ArtifactRef::of(tag), ArtifactRef::Tag(tag), "{tag}");
        }
        let longest = "a".repeat(128);
        assert_eq!(ArtifactRef::of(&longest), ArtifactRef::Tag(&longest));
    }

    #[test]
    fn digests_are_digests() {
        assert_eq!(ArtifactRef::of(DIGEST), ArtifactRef::Digest(DIGEST));
        assert_eq!(
            ArtifactRef::of("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
            ArtifactRef::Digest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")
        );
    }

    #[test]
    fn anything_else_is_invalid() {
        let too_long = "a".repeat(129);
        for value in [
            "",
            ".v1",
            "-v1",
            "v 1",
            "v1:",
            ":abc",
            "SHA256:abc",
            "sha256::abc",
            "sha256:ab/c",
            "sha256-:abc",
            "tag\u{e9}",
            too_long.as_str(),
        ] {
            assert_eq!(ArtifactRef::of(value), ArtifactRef::Invalid, "{value:?}");
        }
    }
}
