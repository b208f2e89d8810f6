//! The authentication step: from a request head to an [`Authenticated`]
//! proof, or to a refusal that costs the gateway nothing more.
//!
//! An [`Authenticated`] can only be made here, by one of the three schemes
//! webhook senders use:
//!
//! - [`HeaderScheme`]: the sender presents the Secret's value verbatim in a
//!   header (Harbor's `Authorization`, GitLab's `X-Gitlab-Token`). Decided
//!   from the head alone, so a wrong sender is refused before one byte of
//!   its body is read.
//! - [`SignatureScheme`]: the sender signs the body with the Secret's value
//!   (GitHub, Gitea, Bitbucket, Artifactory). The head must carry a
//!   signature; the body is then read within the body limit and checked by
//!   [`Authenticated::with_body`] before anything parses it.
//! - [`Authenticated::by_receiver_url`]: knowing the URL is the credential
//!   (Docker Hub, Quay, Azure, generic). The receiver's URL is derived from
//!   its Secret, and the gateway hands a provider only requests that reached
//!   that URL.
//!
//! [`Authenticated::with_body`] is in turn the only way to make the
//! [`AuthenticatedDelivery`] that a provider's parse step takes, so no code
//! path can parse a body whose sender was not authenticated.

use std::fmt;

use crate::delivery::{AuthenticatedDelivery, RequestHead};
use crate::secret::{Credentials, SecretValue};

/// Why the authentication step refused a request, with fixed text that
/// never echoes what was presented. The gateway answers 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unauthenticated {
    /// The request carries no credentials at all (or an empty header).
    #[error("{0}")]
    MissingCredentials(&'static str),
    /// The request's credentials do not match the receiver's Secret.
    #[error("{0}")]
    WrongCredentials(&'static str),
}

impl Unauthenticated {
    /// The one-line reason sent to the caller.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingCredentials(reason) | Self::WrongCredentials(reason) => reason,
        }
    }

    /// A short, stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingCredentials(_) => "missing_credentials",
            Self::WrongCredentials(_) => "wrong_credentials",
        }
    }
}

/// Checks a body against the signature its head presented:
/// `verify(key, body, presented)`. Must compare in constant time (e.g. with
/// `constant_time_eq` on the decoded MAC) and must not panic.
pub type VerifyBody = fn(key: &[u8], body: &[u8], presented: &[u8]) -> bool;

/// The check a body-signing scheme still owes once the head passed.
#[derive(Clone, Copy)]
struct BodyCheck<'a> {
    key: &'a SecretValue,
    presented: &'a [u8],
    verify: VerifyBody,
    wrong: &'static str,
}

/// Proof that a request passed its provider's authentication as far as
/// its head allows. Made only by the schemes of this module.
#[must_use = "an authenticated head is only useful joined to its body"]
pub struct Authenticated<'a> {
    head: RequestHead<'a>,
    body_check: Option<BodyCheck<'a>>,
}

impl<'a> Authenticated<'a> {
    /// For providers whose senders present no credentials: the receiver's
    /// URL, derived from its Secret, is the credential, and the gateway only
    /// hands a provider requests that reached that URL.
    pub fn by_receiver_url(head: RequestHead<'a>) -> Self {
        Self {
            head,
            body_check: None,
        }
    }

    /// The head that was authenticated.
    pub fn head(&self) -> RequestHead<'a> {
        self.head
    }

    /// True when the sender is only proven once the body has been checked
    /// (a body-signing scheme); false when the head alone proved it.
    pub fn checks_body(&self) -> bool {
        self.body_check.is_some()
    }

    /// Joins the body, read within the body limit, to the authenticated
    /// head. A body-signing scheme checks the signature here and refuses a
    /// body that does not match it.
    pub fn with_body(self, body: &'a [u8]) -> Result<AuthenticatedDelivery<'a>, Unauthenticated> {
        if let Some(check) = self.body_check
            && !(check.verify)(check.key.expose(), body, check.presented)
        {
            return Err(Unauthenticated::WrongCredentials(check.wrong));
        }
        Ok(AuthenticatedDelivery::new(self.head, body))
    }
}

/// Shows neither the head's headers nor the key or the signature.
impl fmt::Debug for Authenticated<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("head", &self.head)
            .field("checks_body", &self.checks_body())
            .finish()
    }
}

/// The presented value of `header`, treating an empty one as absent (as
/// Kargo's own receivers do): an empty credential never authenticates.
fn presented<'a>(head: &RequestHead<'a>, header: &str) -> Option<&'a [u8]> {
    head.header(header).filter(|value| !value.is_empty())
}

/// The sender presents the Secret's value verbatim in one header.
#[derive(Debug, Clone, Copy)]
pub struct HeaderScheme {
    /// The header, e.g. `authorization`.
    pub header: &'static str,
    /// The Secret key holding the expected value, declared by the provider
    /// as [`SecretUsage::HeaderMatch`](crate::SecretUsage::HeaderMatch).
    pub key: &'static str,
    /// The reason when the header is absent or empty.
    pub missing: &'static str,
    /// The reason when it does not match.
    pub wrong: &'static str,
}

impl HeaderScheme {
    /// Compares the header's value with the Secret's, as blake3 digests in
    /// constant time. Credentials without the key authenticate nobody.
    pub fn authenticate<'a>(
        &self,
        head: RequestHead<'a>,
        credentials: &Credentials,
    ) -> Result<Authenticated<'a>, Unauthenticated> {
        let presented = presented(&head, self.header)
            .ok_or(Unauthenticated::MissingCredentials(self.missing))?;
        let expected = credentials
            .header(self.key)
            .ok_or(Unauthenticated::WrongCredentials(self.wrong))?;
        if expected.matches(presented) {
            Ok(Authenticated {
                head,
                body_check: None,
            })
        } else {
            Err(Unauthenticated::WrongCredentials(self.wrong))
        }
    }
}

/// The sender signs the body with the Secret's value and sends the
/// signature in one header.
#[derive(Debug, Clone, Copy)]
pub struct SignatureScheme {
    /// The header carrying the signature, e.g. `x-hub-signature-256`.
    pub header: &'static str,
    /// The Secret key holding the signing key, declared by the provider as
    /// [`SecretUsage::SigningKey`](crate::SecretUsage::SigningKey).
    pub key: &'static str,
    /// The reason when the signature header is absent or empty.
    pub missing: &'static str,
    /// The reason when the signature does not match the body.
    pub wrong: &'static str,
    /// Checks the body against the presented signature.
    pub verify: VerifyBody,
}

impl SignatureScheme {
    /// Requires a signature in the head and the key in the credentials; the
    /// signature itself is checked by [`Authenticated::with_body`].
    pub fn authenticate<'a>(
        &self,
        head: RequestHead<'a>,
        credentials: &'a Credentials,
    ) -> Result<Authenticated<'a>, Unauthenticated> {
        let presented = presented(&head, self.header)
            .ok_or(Unauthenticated::MissingCredentials(self.missing))?;
        let key = credentials
            .signing_key(self.key)
            .ok_or(Unauthenticated::WrongCredentials(self.wrong))?;
        Ok(Authenticated {
            head,
            body_check: Some(BodyCheck {
                key,
                presented,
                verify: self.verify,
                wrong: self.wrong,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::secret::{SecretKeySpec, SecretUsage};

    const HEADER: HeaderScheme = HeaderScheme {
        header: "x-token",
        key: "token",
        missing: "missing token",
        wrong: "unauthorized",
    };

    /// A toy signature: the key followed by the body's length in decimal.
    fn toy_verify(key: &[u8], body: &[u8], presented: &[u8]) -> bool {
        [key, body.len().to_string().as_bytes()].concat() == presented
    }

    const SIGNED: SignatureScheme = SignatureScheme {
        header: "x-signature",
        key: "secret",
        missing: "missing signature",
        wrong: "unauthorized",
        verify: toy_verify,
    };

    fn credentials() -> Credentials {
        let specs = [
            SecretKeySpec {
                key: "token",
                usage: SecretUsage::HeaderMatch,
            },
            SecretKeySpec {
                key: "secret",
                usage: SecretUsage::SigningKey,
            },
        ];
        let data = BTreeMap::from([
            ("token".to_owned(), b"t0ken".to_vec()),
            ("secret".to_owned(), b"k".to_vec()),
        ]);
        Credentials::from_secret_data(&specs, &data).expect("usable keys")
    }

    #[test]
    fn a_header_scheme_decides_from_the_head_alone() {
        let credentials = credentials();
        let right = [("X-Token", &b"t0ken"[..])];
        let authenticated = HEADER
            .authenticate(RequestHead::new("POST", &right), &credentials)
            .expect("the right token");
        assert!(!authenticated.checks_body());
        let delivery = authenticated.with_body(b"anything").expect("no body check");
        assert_eq!(delivery.body(), b"anything");

        let wrong = [("x-token", &b"t0ken "[..])];
        let refused = HEADER.authenticate(RequestHead::new("POST", &wrong), &credentials);
        assert_eq!(
            refused.map(|_| ()),
            Err(Unauthenticated::WrongCredentials("unauthorized"))
        );
        let none: [(&str, &[u8]); 0] = [];
        let empty = [("x-token", &b""[..])];
        for missing in [
            RequestHead::new("POST", &none),
            RequestHead::new("POST", &empty),
        ] {
            assert_eq!(
                HEADER.authenticate(missing, &credentials).map(|_| ()),
                Err(Unauthenticated::MissingCredentials("missing token"))
            );
        }
        let without_key =
            HEADER.authenticate(RequestHead::new("POST", &right), &Credentials::default());
        assert_eq!(
            without_key.map(|_| ()),
            Err(Unauthenticated::WrongCredentials("unauthorized"))
        );
    }

    #[test]
    fn a_signature_scheme_checks_the_body_before_it_is_handed_on() {
        let credentials = credentials();
        let signed = [("x-signature", &b"k4"[..])];
        let head = RequestHead::new("POST", &signed);
        let authenticated = SIGNED
            .authenticate(head, &credentials)
            .expect("a signature is present");
        assert!(authenticated.checks_body());
        assert_eq!(
            authenticated.with_body(b"abcde").map(|_| ()),
            Err(Unauthenticated::WrongCredentials("unauthorized"))
        );
        let authenticated = SIGNED.authenticate(head, &credentials).expect("present");
        assert_eq!(
            authenticated.with_body(b"abcd").map(|d| d.body()),
            Ok(&b"abcd"[..])
        );

        let none: [(&str, &[u8]); 0] = [];
        let unsigned = RequestHead::new("POST", &none);
        assert_eq!(
            SIGNED.authenticate(unsigned, &credentials).map(|_| ()),
            Err(Unauthenticated::MissingCredentials("missing signature"))
        );
        assert_eq!(
            SIGNED
                .authenticate(head, &Credentials::default())
                .map(|_| ()),
            Err(Unauthenticated::WrongCredentials("unauthorized"))
        );
    }

    #[test]
    fn the_url_alone_authenticates_url_only_providers() {
        let headers = [("content-type", &b"application/json"[..])];
        let authenticated = Authenticated::by_receiver_url(RequestHead::new("POST", &headers));
        assert!(!authenticated.checks_body());
        let delivery = authenticated.with_body(b"{}").expect("no body check");
        assert_eq!(delivery.media_type().as_deref(), Some("application/json"));
    }

    #[test]
    fn refusals_carry_fixed_text() {
        let missing = Unauthenticated::MissingCredentials("missing authorization");
        let wrong = Unauthenticated::WrongCredentials("unauthorized");
        assert_eq!(missing.kind(), "missing_credentials");
        assert_eq!(wrong.kind(), "wrong_credentials");
        assert_eq!(wrong.reason(), "unauthorized");
    }

    #[test]
    fn debug_shows_no_credential() {
        let credentials = credentials();
        let signed = [("x-signature", &b"k4-signature"[..])];
        let authenticated = SIGNED
            .authenticate(RequestHead::new("POST", &signed), &credentials)
            .expect("present");
        let printed = format!("{authenticated:?}");
        assert!(!printed.contains("k4-signature"), "{printed}");
        assert!(printed.contains("checks_body: true"), "{printed}");
    }
}
