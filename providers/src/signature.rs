//! Body signatures as webhook senders compute them: an HMAC of the raw body
//! keyed with the receiver's secret, sent as hex. Each function here fits
//! [`VerifyBody`](crate::VerifyBody), compares in constant time (the MAC
//! check of the `hmac` crate) and never panics.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

/// `<algorithm>=<hex>`, the form of GitHub's `X-Hub-Signature-256`, Gitea's
/// and Bitbucket's `X-Hub-Signature`: `sha256=`, and also `sha1=` and
/// `sha512=`, which the same senders use or used.
pub fn verify_prefixed_hmac(key: &[u8], body: &[u8], presented: &[u8]) -> bool {
    let Some(separator) = presented.iter().position(|&b| b == b'=') else {
        return false;
    };
    let (algorithm, hex) = (&presented[..separator], &presented[separator + 1..]);
    match algorithm {
        b"sha256" => verify::<Hmac<Sha256>>(key, body, hex),
        b"sha1" => verify::<Hmac<Sha1>>(key, body, hex),
        b"sha512" => verify::<Hmac<Sha512>>(key, body, hex),
        _ => false,
    }
}

/// A bare hex HMAC-SHA256, the form of JFrog Artifactory's
/// `X-Jfrog-Event-Auth` and Gitea's `X-Gitea-Signature`.
pub fn verify_hex_hmac_sha256(key: &[u8], body: &[u8], presented: &[u8]) -> bool {
    verify::<Hmac<Sha256>>(key, body, presented)
}

/// The hex HMAC-SHA256 of `body` keyed with `key`, lowercase: what a sender
/// computes. For tests and tools that sign a delivery.
pub fn hex_hmac_sha256(key: &[u8], body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn verify<M: Mac + hmac::digest::KeyInit>(key: &[u8], body: &[u8], hex_text: &[u8]) -> bool {
    let Ok(presented) = hex::decode(hex_text) else {
        return false;
    };
    let Ok(mut mac) = <M as Mac>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    // Constant time, and false for a MAC of the wrong length.
    mac.verify_slice(&presented).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    const KEY: &[u8] = b"Jefe";
    const BODY: &[u8] = b"what do ya want for nothing?";
    const SHA256: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const SHA512: &str = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";
    // RFC 2202 test case 2 (HMAC-SHA1), same key and data.
    const SHA1: &str = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";

    #[test]
    fn prefixed_signatures_of_each_algorithm_verify() {
        for signature in [
            format!("sha256={SHA256}"),
            format!("sha1={SHA1}"),
            format!("sha512={SHA512}"),
            format!("sha256={}", SHA256.to_uppercase()),
        ] {
            assert!(
                verify_prefixed_hmac(KEY, BODY, signature.as_bytes()),
                "{signature}"
            );
        }
        for wrong in [
            format!("sha256={SHA1}"),
            format!("md5={SHA256}"),
            SHA256.to_owned(),
            format!("sha256={}", &SHA256[..62]),
            format!("sha256={SHA256}00"),
            "sha256=".to_owned(),
            "sha256=zz".to_owned(),
            String::new(),
        ] {
            assert!(
                !verify_prefixed_hmac(KEY, BODY, wrong.as_bytes()),
                "{wrong}"
            );
        }
        assert!(!verify_prefixed_hmac(
            b"other",
            BODY,
            format!("sha256={SHA256}").as_bytes()
        ));
        assert!(!verify_prefixed_hmac(
            KEY,
            b"what do ya want for nothing!",
            format!("sha256={SHA256}").as_bytes()
        ));
    }

    #[test]
    fn bare_hex_signatures_verify() {
        assert_eq!(hex_hmac_sha256(KEY, BODY), SHA256);
        assert!(verify_hex_hmac_sha256(KEY, BODY, SHA256.as_bytes()));
        assert!(!verify_hex_hmac_sha256(
            KEY,
            BODY,
            format!("sha256={SHA256}").as_bytes()
        ));
        assert!(!verify_hex_hmac_sha256(KEY, b"", SHA256.as_bytes()));
    }
}
