//! Body signatures as senders compute them, with the SDK's own HMAC.

pub use kargo_webhook_provider::signature::hex_hmac_sha256;

/// `sha256=<hex HMAC-SHA256>`, the form of `X-Hub-Signature-256` (GitHub,
/// Gitea) and `X-Hub-Signature` (Bitbucket).
pub fn prefixed_hmac_sha256(key: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex_hmac_sha256(key, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn signatures_are_the_standard_hmac() {
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(
            hex_hmac_sha256(b"Jefe", b"what do ya want for nothing?"),
            expected
        );
        assert_eq!(
            prefixed_hmac_sha256(b"Jefe", b"what do ya want for nothing?"),
            format!("sha256={expected}")
        );
    }
}
