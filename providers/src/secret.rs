//! Secret material: values that never print, header secrets kept only as
//! digests, and the per-receiver [`Credentials`] a provider checks against.

use std::collections::BTreeMap;
use std::fmt;

use zeroize::Zeroizing;

/// A secret value read from a Kubernetes Secret.
///
/// `Debug` and `Display` print a fixed placeholder, never the bytes, and the
/// memory is wiped when the value is dropped.
#[derive(Clone)]
pub struct SecretValue(Zeroizing<Vec<u8>>);

impl SecretValue {
    /// Wraps raw bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The raw bytes, for a provider that needs them (e.g. as a signing key).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// True when the value has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A secret that a request must present verbatim in a header.
///
/// Only the blake3 digest of the value is kept. Comparing digests in constant
/// time leaks neither the length nor any prefix of the secret through timing:
/// the presented value is hashed whatever its length, and the two 32-byte
/// digests are compared without an early exit.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderSecret {
    digest: [u8; 32],
    /// An empty secret must authenticate nothing, not an empty header.
    empty: bool,
}

impl HeaderSecret {
    /// Keeps the digest of `value`; the value itself is not stored.
    pub fn from_value(value: &[u8]) -> Self {
        Self {
            digest: *blake3::hash(value).as_bytes(),
            empty: value.is_empty(),
        }
    }

    /// True when `presented` equals the secret byte for byte.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let presented = blake3::hash(presented);
        let equal = constant_time_eq::constant_time_eq_32(presented.as_bytes(), &self.digest);
        equal && !self.empty
    }
}

impl fmt::Debug for HeaderSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HeaderSecret(<redacted>)")
    }
}

/// How a provider uses one key of its receiver's Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUsage {
    /// The request presents the value verbatim (e.g. Harbor's `Authorization`):
    /// only a digest is kept in memory.
    HeaderMatch,
    /// The value is a key the provider computes with (e.g. an HMAC key): the
    /// value itself is kept, wiped on drop.
    SigningKey,
}

/// One key a provider needs from its receiver's Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretKeySpec {
    /// The key in the Secret's `data`, e.g. `auth-header`.
    pub key: &'static str,
    /// What the provider does with the value.
    pub usage: SecretUsage,
}

/// A Secret key the provider needs but the Secret does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Secret has no key {key:?}")]
pub struct MissingSecretKey {
    /// The missing key.
    pub key: &'static str,
}

#[derive(Clone)]
enum Credential {
    Header(HeaderSecret),
    Key(SecretValue),
}

/// The credentials of one receiver, prepared from its Secret once per Secret
/// version and handed to the provider with every delivery.
#[derive(Clone, Default)]
pub struct Credentials {
    entries: BTreeMap<&'static str, Credential>,
}

impl Credentials {
    /// Prepares the keys a provider declares from a Secret's data. Keys the
    /// provider does not declare are not kept.
    pub fn from_secret_data(
        specs: &[SecretKeySpec],
        data: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Self, MissingSecretKey> {
        Self::from_lookup(specs, |key| data.get(key).map(Vec::as_slice))
    }

    /// Like [`Credentials::from_secret_data`], reading each value through
    /// `lookup`, so that callers can keep their secret data in any form.
    pub fn from_lookup<'a>(
        specs: &[SecretKeySpec],
        lookup: impl Fn(&str) -> Option<&'a [u8]>,
    ) -> Result<Self, MissingSecretKey> {
        let mut entries = BTreeMap::new();
        for spec in specs {
            let value = lookup(spec.key).ok_or(MissingSecretKey { key: spec.key })?;
            let credential = match spec.usage {
                SecretUsage::HeaderMatch => Credential::Header(HeaderSecret::from_value(value)),
                SecretUsage::SigningKey => Credential::Key(SecretValue::new(value.to_vec())),
            };
            entries.insert(spec.key, credential);
        }
        Ok(Self { entries })
    }

    /// The header secret stored under `key`, if the provider declared it as
    /// [`SecretUsage::HeaderMatch`].
    pub fn header(&self, key: &str) -> Option<&HeaderSecret> {
        match self.entries.get(key)? {
            Credential::Header(secret) => Some(secret),
            Credential::Key(_) => None,
        }
    }

    /// The signing key stored under `key`, if the provider declared it as
    /// [`SecretUsage::SigningKey`].
    pub fn signing_key(&self, key: &str) -> Option<&SecretValue> {
        match self.entries.get(key)? {
            Credential::Key(secret) => Some(secret),
            Credential::Header(_) => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("keys", &self.entries.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH: SecretKeySpec = SecretKeySpec {
        key: "auth-header",
        usage: SecretUsage::HeaderMatch,
    };

    fn data(pairs: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
            .collect()
    }

    #[test]
    fn header_secret_matches_only_the_exact_bytes() {
        let secret = HeaderSecret::from_value(b"Bearer s3cret");
        assert!(secret.matches(b"Bearer s3cret"));
        assert!(!secret.matches(b"Bearer s3cre"));
        assert!(!secret.matches(b"Bearer s3cret "));
        assert!(!secret.matches(b"bearer s3cret"));
        assert!(!secret.matches(b""));
    }

    #[test]
    fn empty_header_secret_authenticates_nothing() {
        let secret = HeaderSecret::from_value(b"");
        assert!(!secret.matches(b""));
        assert!(!secret.matches(b"anything"));
    }

    #[test]
    fn secrets_never_print_their_value() {
        let value = SecretValue::new(b"hunter2".to_vec());
        assert!(!format!("{value:?}").contains("hunter2"));
        assert!(!format!("{value}").contains("hunter2"));
        let header = HeaderSecret::from_value(b"hunter2");
        assert!(!format!("{header:?}").contains("hunter2"));
        let creds = Credentials::from_secret_data(&[AUTH], &data(&[("auth-header", b"hunter2")]))
            .expect("key present");
        let printed = format!("{creds:?}");
        assert!(printed.contains("auth-header"));
        assert!(!printed.contains("hunter2"));
    }

    #[test]
    fn credentials_keep_only_declared_keys_in_their_declared_form() {
        let signing = SecretKeySpec {
            key: "secret",
            usage: SecretUsage::SigningKey,
        };
        let creds = Credentials::from_secret_data(
            &[AUTH, signing],
            &data(&[("auth-header", b"a"), ("secret", b"k"), ("other", b"x")]),
        )
        .expect("keys present");
        assert!(creds.header("auth-header").is_some_and(|h| h.matches(b"a")));
        assert!(creds.signing_key("auth-header").is_none());
        assert_eq!(
            creds.signing_key("secret").map(SecretValue::expose),
            Some(&b"k"[..])
        );
        assert!(creds.header("secret").is_none());
        assert!(creds.header("other").is_none());
    }

    #[test]
    fn missing_key_is_named() {
        let err = Credentials::from_secret_data(&[AUTH], &data(&[("token", b"a")]))
            .expect_err("key missing");
        assert_eq!(err, MissingSecretKey { key: "auth-header" });
        assert_eq!(err.to_string(), "Secret has no key \"auth-header\"");
    }
}
