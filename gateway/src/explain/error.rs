//! Why a dry run could not explain a delivery: bad input (exit 2) or a
//! cluster it could not read (exit 1). Every message is one line.

use kargo_webhook_provider::OptionError;

use super::manifests::ManifestError;
use super::receiver_url::UrlError;

/// Input the dry run cannot work with.
#[derive(Debug, thiserror::Error)]
pub enum BadInput {
    /// No provider of that name is linked into this binary.
    #[error("unknown provider {name:?}; this gateway serves: {known}")]
    UnknownProvider {
        /// The name given.
        name: String,
        /// The names it serves, comma-separated.
        known: String,
    },
    /// `--url` names no provider.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// `--option` names a field the provider does not read.
    #[error("the {provider} provider has no option {field:?} ({declared})")]
    UnknownOption {
        /// The provider.
        provider: &'static str,
        /// The field given.
        field: String,
        /// What it does read.
        declared: String,
    },
    /// `--option` gives a value the provider refuses.
    #[error("--option: {0}")]
    Option(#[from] OptionError),
    /// The payload cannot be read.
    #[error("cannot read the payload from {from}: {source}")]
    Payload {
        /// The file, or standard input.
        from: String,
        /// Why.
        source: std::io::Error,
    },
    /// The provider refuses the payload: the server would answer 4xx.
    #[error("the {provider} provider refuses the payload ({kind}): {reason}")]
    Refused {
        /// The provider.
        provider: &'static str,
        /// A stable label, e.g. `malformed_body`.
        kind: &'static str,
        /// The provider's fixed reason.
        reason: &'static str,
    },
    /// The provider ignores the event: the server would answer 200
    /// "ignored" and refresh nothing.
    #[error("the {provider} provider ignores this event: {reason}")]
    Ignored {
        /// The provider.
        provider: &'static str,
        /// The provider's fixed reason.
        reason: &'static str,
    },
    /// `--warehouses` cannot be read.
    #[error(transparent)]
    Manifests(#[from] ManifestError),
}

/// Why a dry run ended without an explanation.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input: exit code 2.
    #[error(transparent)]
    BadInput(#[from] BadInput),
    /// The cluster could not be read: exit code 1.
    #[error("{0}")]
    Cluster(String),
}

impl Failure {
    /// The process exit code: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadInput(_) => 2,
            Self::Cluster(_) => 1,
        }
    }
}
