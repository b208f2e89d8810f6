//! The key pair the API server signs and verifies ServiceAccount tokens with.
//! It is required by the API server even though the tests authenticate with
//! static tokens.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Paths of the generated key pair.
#[derive(Debug, Clone)]
pub(crate) struct ServiceAccountKey {
    /// PKCS#8 PEM private key (`--service-account-signing-key-file`).
    pub(crate) private_key: PathBuf,
    /// SPKI PEM public key (`--service-account-key-file`).
    pub(crate) public_key: PathBuf,
}

impl ServiceAccountKey {
    /// Generates an ECDSA P-256 key pair into `dir`.
    pub(crate) fn generate_into(dir: &Path) -> Result<Self> {
        let key_pair = rcgen::KeyPair::generate()?;
        let keys = Self {
            private_key: dir.join("service-account.key"),
            public_key: dir.join("service-account.pub"),
        };
        std::fs::write(&keys.private_key, key_pair.serialize_pem())
            .map_err(|e| Error::io("writing the service-account private key", e))?;
        std::fs::write(&keys.public_key, key_pair.public_key_pem())
            .map_err(|e| Error::io("writing the service-account public key", e))?;
        Ok(keys)
    }
}
