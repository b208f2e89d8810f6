//! The two identities the API server knows: an administrator and the
//! gateway's ServiceAccount. Both authenticate with a static bearer token
//! generated at start (the API server's `--token-auth-file`).

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

/// Namespace of the gateway's ServiceAccount (as the Helm chart installs it).
pub const GATEWAY_NAMESPACE: &str = "kargo-webhook-gateway";
/// Name of the gateway's ServiceAccount.
pub const GATEWAY_SERVICE_ACCOUNT: &str = "kargo-webhook-gateway";

/// Who a client or kubeconfig acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A cluster administrator (group `system:masters`): sets up test data.
    Admin,
    /// The gateway's ServiceAccount. It has exactly the rights that RBAC
    /// objects bound to `kargo-webhook-gateway/kargo-webhook-gateway` give it,
    /// so the Helm chart's RBAC is what a test exercises.
    Gateway,
}

impl Identity {
    /// Both identities.
    pub const ALL: [Identity; 2] = [Identity::Admin, Identity::Gateway];

    /// The user name the API server sees.
    pub fn user_name(self) -> &'static str {
        match self {
            Identity::Admin => "kargo-testenv-admin",
            // The name the API server gives a ServiceAccount's token.
            Identity::Gateway => {
                "system:serviceaccount:kargo-webhook-gateway:kargo-webhook-gateway"
            }
        }
    }

    /// The groups the API server sees; for the ServiceAccount the same ones a
    /// real ServiceAccount token carries.
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            Identity::Admin => &["system:masters"],
            Identity::Gateway => &[
                "system:serviceaccounts",
                "system:serviceaccounts:kargo-webhook-gateway",
                "system:authenticated",
            ],
        }
    }

    /// A short name for files and command lines: `admin` or `gateway`.
    pub fn short_name(self) -> &'static str {
        match self {
            Identity::Admin => "admin",
            Identity::Gateway => "gateway",
        }
    }
}

/// The bearer tokens of one control plane, random per start.
#[derive(Clone)]
pub(crate) struct Tokens {
    admin: String,
    gateway: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(<redacted>)")
    }
}

impl Tokens {
    /// Two fresh random tokens.
    pub(crate) fn generate() -> Self {
        let random = || uuid::Uuid::new_v4().simple().to_string();
        Self {
            admin: format!("{}{}", random(), random()),
            gateway: format!("{}{}", random(), random()),
        }
    }

    /// The token of `identity`.
    pub(crate) fn of(&self, identity: Identity) -> &str {
        match identity {
            Identity::Admin => &self.admin,
            Identity::Gateway => &self.gateway,
        }
    }

    /// Writes the API server's static token file:
    /// `token,user,uid,"group1,group2"` per line.
    pub(crate) fn write_token_file(&self, path: &Path) -> Result<()> {
        let mut csv = String::new();
        for identity in Identity::ALL {
            let _ = writeln!(
                csv,
                "{},{},{},\"{}\"",
                self.of(identity),
                identity.user_name(),
                format_args!("kargo-testenv-{}", identity.short_name()),
                identity.groups().join(",")
            );
        }
        std::fs::write(path, csv).map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}
