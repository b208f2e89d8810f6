//! The provider SDK of the Kargo webhook gateway.
//!
//! A provider turns one webhook delivery (method, headers, body) and the
//! credentials of the receiver it was sent to into a verdict: refresh these
//! repositories, ignore this event, or refuse the request. Providers know
//! nothing of Kubernetes or of the HTTP server; the gateway does the rest.
//!
//! See `docs/providers.md` for how to write one.

pub mod delivery;
pub mod outcome;
pub mod provider;
pub mod reference;
pub mod registry;
pub mod secret;

pub use delivery::{Delivery, HeaderSource};
pub use outcome::{Outcome, ProviderError, PushedRepository, RefreshBuilder};
pub use provider::Provider;
pub use reference::{ReferenceError, RepoKey, RepoKind};
pub use registry::{DuplicateProvider, Registration, Registry};
pub use secret::{
    Credentials, HeaderSecret, MissingSecretKey, SecretKeySpec, SecretUsage, SecretValue,
};

#[doc(hidden)]
pub use inventory;
