//! The provider SDK of the Kargo webhook gateway.
//!
//! A provider turns one webhook delivery and the credentials of the
//! receiver it was sent to into a verdict: refresh these repositories,
//! ignore this event, or refuse the request. It does so in two steps that
//! the types keep apart: authentication, from the request's head alone
//! (plus the body for senders that sign it), yields an [`Authenticated`]
//! proof that only this crate can make; parsing takes only the
//! [`AuthenticatedDelivery`] that the proof and the body make together.
//! Providers know nothing of Kubernetes or of the HTTP server; the gateway
//! does the rest.
//!
//! See `docs/providers.md` for how to write one.

pub mod authentication;
pub mod delivery;
pub mod json;
pub mod options;
pub mod outcome;
pub mod provider;
pub mod reference;
pub mod registry;
pub mod secret;
pub mod signature;

pub use authentication::{
    Authenticated, HeaderScheme, SignatureScheme, Unauthenticated, VerifyBody,
};
pub use delivery::{AuthenticatedDelivery, HeaderSource, RequestHead};
pub use options::{OptionError, OptionSpec, ReceiverOptions};
pub use outcome::{
    ChangedPaths, Outcome, ProviderError, PushedContent, PushedRepository, RefreshBuilder, Refusal,
    RepositoryEntry,
};
pub use provider::{Provider, deliver};
pub use reference::{ReferenceError, RepoKey, RepoKind, is_oci_digest, is_oci_tag};
pub use registry::{DuplicateProvider, Registration, Registry};
pub use secret::{
    Credentials, HeaderSecret, SecretKeyError, SecretKeySpec, SecretUsage, SecretValue,
    UnusableValue,
};

#[doc(hidden)]
pub use inventory;
