//! Receiver tokens: the hard-to-guess last segment of a receiver's URL.
//!
//! The token is `blake3::derive_key` over an unambiguous encoding of
//! everything that identifies the receiver, including its secret values, so
//! that rotating the Secret changes the URL and the old URL stops working.

use std::fmt;

use kargo_webhook_provider::SecretValue;

/// Versioned so that a future change of the encoding changes every URL on
/// purpose rather than by accident.
const TOKEN_CONTEXT: &str = "kargo-webhook-gateway 2026-11-29 receiver token v1";

/// Where a receiver is declared, which decides the Warehouses it refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A ProjectConfig's receiver: Warehouses of its own namespace only.
    Project,
    /// A ClusterConfig's receiver: Warehouses in every namespace.
    Cluster,
}

impl Scope {
    /// A stable label, also used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Cluster => "cluster",
        }
    }
}

/// What a token is derived from.
#[derive(Debug)]
pub struct TokenInputs<'a> {
    /// Project or cluster receiver.
    pub scope: Scope,
    /// The ProjectConfig's namespace; for a cluster receiver, the namespace
    /// its Secrets are read from.
    pub namespace: &'a str,
    /// The receiver's name.
    pub receiver: &'a str,
    /// The provider's name.
    pub provider: &'a str,
    /// The secret values the provider declares, as (key, value) in the
    /// provider's declared order.
    pub secrets: &'a [(&'a str, &'a SecretValue)],
}

/// A receiver token. Its `Debug` form hides the value: tokens are secrets.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    /// Derives the token from its inputs.
    pub fn derive(inputs: &TokenInputs<'_>) -> Self {
        let mut hasher = blake3::Hasher::new_derive_key(TOKEN_CONTEXT);
        let mut field = |bytes: &[u8]| {
            // Length-prefixing every field keeps the encoding unambiguous:
            // ("ab", "c") and ("a", "bc") never hash alike.
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(inputs.scope.as_str().as_bytes());
        field(inputs.namespace.as_bytes());
        field(inputs.receiver.as_bytes());
        field(inputs.provider.as_bytes());
        field(&(inputs.secrets.len() as u64).to_le_bytes());
        for (key, value) in inputs.secrets {
            field(key.as_bytes());
            field(value.expose());
        }
        Self(hasher.finalize().to_hex().to_string())
    }

    /// The lowercase hex text, as it appears in the URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(scope: Scope, ns: &str, receiver: &str, provider: &str, secret: &[u8]) -> Token {
        let value = SecretValue::new(secret.to_vec());
        Token::derive(&TokenInputs {
            scope,
            namespace: ns,
            receiver,
            provider,
            secrets: &[("auth-header", &value)],
        })
    }

    /// The token of the inputs below under derivation v1.
    const PINNED: &str = "4a604b69f9167e1763f5ca34ef32f0beee5353d6c51c1b5182611264a511a132";

    #[test]
    fn token_is_stable() {
        let a = token(Scope::Project, "team-a", "harbor", "harbor", b"s3cret");
        let b = token(Scope::Project, "team-a", "harbor", "harbor", b"s3cret");
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 64);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        // Pinned: a change of the derivation changes every published URL,
        // which must be a deliberate, versioned decision.
        assert_eq!(a.as_str(), PINNED);
    }

    #[test]
    fn every_input_changes_the_token() {
        let base = token(Scope::Project, "team-a", "harbor", "harbor", b"s3cret");
        let variants = [
            token(Scope::Cluster, "team-a", "harbor", "harbor", b"s3cret"),
            token(Scope::Project, "team-b", "harbor", "harbor", b"s3cret"),
            token(Scope::Project, "team-a", "harbor2", "harbor", b"s3cret"),
            token(Scope::Project, "team-a", "harbor", "quay", b"s3cret"),
            token(Scope::Project, "team-a", "harbor", "harbor", b"s3cret2"),
        ];
        for variant in &variants {
            assert_ne!(&base, variant);
        }
        let value = SecretValue::new(b"s3cret".to_vec());
        let other_key = Token::derive(&TokenInputs {
            scope: Scope::Project,
            namespace: "team-a",
            receiver: "harbor",
            provider: "harbor",
            secrets: &[("secret", &value)],
        });
        assert_ne!(base, other_key);
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let a = token(Scope::Project, "ab", "c", "harbor", b"x");
        let b = token(Scope::Project, "a", "bc", "harbor", b"x");
        assert_ne!(a, b);
    }

    #[test]
    fn debug_hides_the_token() {
        let t = token(Scope::Project, "team-a", "harbor", "harbor", b"s3cret");
        assert!(!format!("{t:?}").contains(t.as_str()));
    }
}
