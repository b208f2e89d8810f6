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
    /// The value only goes into the receiver's URL (senders that cannot
    /// sign, such as Docker Hub): it must not be empty, since the URL would
    /// then be guessable from the project and receiver names alone, and
    /// nothing of it is kept.
    UrlOnly,
}

/// One key a provider needs from its receiver's Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretKeySpec {
    /// The key in the Secret's `data`, e.g. `auth-header`.
    pub key: &'static str,
    /// What the provider does with the value.
    pub usage: SecretUsage,
}

/// Why a Secret value can never authenticate a sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnusableValue {
    /// The value is empty: it would authenticate nobody (or, in a careless
    /// compare, an empty header).
    Empty,
    /// A header value starts or ends with whitespace (a space, a tab, or
    /// the newline `kubectl create secret --from-file` keeps). HTTP strips
    /// whitespace around header values, so no sender can present it.
    SurroundingWhitespace,
    /// A header value holds a control character (a line break inside, a
    /// NUL, ...), which no HTTP client sends in a header.
    ControlCharacter,
}

impl UnusableValue {
    /// Checks a value a sender must present verbatim in a header.
    pub fn of_header_value(value: &[u8]) -> Option<Self> {
        let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        match (value.first(), value.last()) {
            (None, _) | (_, None) => Some(Self::Empty),
            (Some(first), Some(last)) if is_space(first) || is_space(last) => {
                Some(Self::SurroundingWhitespace)
            }
            _ if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) => {
                Some(Self::ControlCharacter)
            }
            _ => None,
        }
    }

    /// Checks a value as `usage` needs it.
    pub fn of(usage: SecretUsage, value: &[u8]) -> Option<Self> {
        if value.is_empty() {
            return Some(Self::Empty);
        }
        match usage {
            SecretUsage::HeaderMatch => Self::of_header_value(value),
            // Any non-empty byte string is a usable key or URL secret.
            SecretUsage::SigningKey | SecretUsage::UrlOnly => None,
        }
    }
}

impl fmt::Display for UnusableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "is empty",
            Self::SurroundingWhitespace => {
                "starts or ends with whitespace (often a trailing newline from \
                 `kubectl create secret --from-file`), which HTTP strips from a header"
            }
            Self::ControlCharacter => "holds a control character no header can carry",
        })
    }
}

/// A Secret key the provider needs is missing, or its value cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretKeyError {
    /// The Secret does not have the key.
    #[error("Secret has no key {key:?}")]
    Missing {
        /// The missing key.
        key: &'static str,
    },
    /// The key's value can never authenticate a sender.
    #[error("the value of Secret key {key:?} {problem}")]
    Unusable {
        /// The key.
        key: &'static str,
        /// What is wrong with its value (never the value itself).
        problem: UnusableValue,
    },
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
    /// provider does not declare are not kept. A value that cannot work (see
    /// [`UnusableValue`]) is refused, so that a receiver is never set up to
    /// refuse every sender, or to accept an empty header.
    pub fn from_secret_data(
        specs: &[SecretKeySpec],
        data: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Self, SecretKeyError> {
        Self::from_lookup(specs, |key| data.get(key).map(Vec::as_slice))
    }

    /// Like [`Credentials::from_secret_data`], reading each value through
    /// `lookup`, so that callers can keep their secret data in any form.
    pub fn from_lookup<'a>(
        specs: &[SecretKeySpec],
        lookup: impl Fn(&str) -> Option<&'a [u8]>,
    ) -> Result<Self, SecretKeyError> {
        let mut entries = BTreeMap::new();
        for spec in specs {
            let value = lookup(spec.key).ok_or(SecretKeyError::Missing { key: spec.key })?;
            if let Some(problem) = UnusableValue::of(spec.usage, value) {
                return Err(SecretKeyError::Unusable {
                    key: spec.key,
                    problem,
                });
            }
            let credential = match spec.usage {
                SecretUsage::HeaderMatch => Credential::Header(HeaderSecret::from_value(value)),
                SecretUsage::SigningKey => Credential::Key(SecretValue::new(value.to_vec())),
                SecretUsage::UrlOnly => continue,
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
        assert_eq!(err, SecretKeyError::Missing { key: "auth-header" });
        assert_eq!(err.to_string(), "Secret has no key \"auth-header\"");
    }

    #[test]
    fn header_values_no_sender_can_present_are_refused() {
        for (value, problem) in [
            (&b""[..], UnusableValue::Empty),
            (b"Bearer s3cret\n", UnusableValue::SurroundingWhitespace),
            (b"Bearer s3cret\r\n", UnusableValue::SurroundingWhitespace),
            (b" Bearer s3cret", UnusableValue::SurroundingWhitespace),
            (b"\tBearer s3cret", UnusableValue::SurroundingWhitespace),
            (b"Bearer s3cret ", UnusableValue::SurroundingWhitespace),
            (b"\n", UnusableValue::SurroundingWhitespace),
            (b"Bearer\ns3cret", UnusableValue::ControlCharacter),
            (b"Bearer s3cret\0x", UnusableValue::ControlCharacter),
            (b"Bearer s3cret\x7fx", UnusableValue::ControlCharacter),
        ] {
            let err = Credentials::from_secret_data(&[AUTH], &data(&[("auth-header", value)]))
                .expect_err("unusable");
            assert_eq!(
                err,
                SecretKeyError::Unusable {
                    key: "auth-header",
                    problem
                },
                "{value:?}"
            );
            assert!(err.to_string().contains("\"auth-header\""), "{err}");
        }
        // Inner spaces and tabs, and bytes beyond ASCII, are header text.
        for value in [&b"Bearer s3cret"[..], b"a\tb", b"Basic \xc3\xa9t\xc3\xa9"] {
            assert!(
                Credentials::from_secret_data(&[AUTH], &data(&[("auth-header", value)])).is_ok(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn signing_keys_only_need_to_be_non_empty() {
        let signing = SecretKeySpec {
            key: "secret",
            usage: SecretUsage::SigningKey,
        };
        assert!(Credentials::from_secret_data(&[signing], &data(&[("secret", b" k\n")])).is_ok());
        assert_eq!(
            Credentials::from_secret_data(&[signing], &data(&[("secret", b"")])).err(),
            Some(SecretKeyError::Unusable {
                key: "secret",
                problem: UnusableValue::Empty
            })
        );
    }

    #[test]
    fn url_only_values_must_be_non_empty_and_are_not_kept() {
        let url_only = SecretKeySpec {
            key: "secret",
            usage: SecretUsage::UrlOnly,
        };
        let creds = Credentials::from_secret_data(&[url_only], &data(&[("secret", b"s3cret")]))
            .expect("usable");
        assert!(creds.signing_key("secret").is_none());
        assert!(creds.header("secret").is_none());
        assert!(!format!("{creds:?}").contains("secret"));
        assert_eq!(
            Credentials::from_secret_data(&[url_only], &data(&[("secret", b"")])).err(),
            Some(SecretKeyError::Unusable {
                key: "secret",
                problem: UnusableValue::Empty
            })
        );
    }

    #[test]
    fn problems_never_print_the_value() {
        let err =
            Credentials::from_secret_data(&[AUTH], &data(&[("auth-header", b"Bearer hunter2\n")]))
                .expect_err("unusable");
        assert!(!err.to_string().contains("hunter2"));
        assert!(!format!("{err:?}").contains("hunter2"));
    }
}
