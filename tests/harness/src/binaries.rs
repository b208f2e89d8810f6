//! Finds the etcd and kube-apiserver binaries: a directory named by
//! `KARGO_WEBHOOK_CONTROLPLANE_BIN`, or else whatever `build.sh` builds (or
//! finds in its cache).

use std::path::{Path, PathBuf};

use crate::build_script;
use crate::error::{Error, Result};
use crate::paths;

/// Environment variable naming a directory that holds `etcd` and
/// `kube-apiserver`; when set, nothing is built.
pub const BIN_DIR_ENV: &str = "KARGO_WEBHOOK_CONTROLPLANE_BIN";

/// The two server binaries of the control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The etcd server.
    pub etcd: PathBuf,
    /// The Kubernetes API server.
    pub kube_apiserver: PathBuf,
}

impl Binaries {
    /// Uses `$KARGO_WEBHOOK_CONTROLPLANE_BIN` if set, else runs `build.sh`
    /// (a no-op when its cache is complete).
    pub fn locate_or_build() -> Result<Self> {
        let dir =
            build_script::binary_dir(BIN_DIR_ENV, &paths::build_script()).map_err(Error::Build)?;
        Self::in_dir(&dir)
    }

    /// Runs `build.sh`, its progress shown on this process's stderr, and
    /// takes the binaries from the directory it prints last.
    pub fn build() -> Result<Self> {
        let dir = build_script::run(&paths::build_script()).map_err(Error::Build)?;
        Self::in_dir(&dir)
    }

    /// Takes the binaries from `dir`, checking that both are there.
    pub fn in_dir(dir: &Path) -> Result<Self> {
        Ok(Self {
            etcd: executable(dir, "etcd")?,
            kube_apiserver: executable(dir, "kube-apiserver")?,
        })
    }
}

fn executable(dir: &Path, binary: &'static str) -> Result<PathBuf> {
    let path = dir.join(binary);
    if build_script::is_executable(&path) {
        Ok(path)
    } else {
        Err(Error::MissingBinary {
            binary,
            dir: dir.to_path_buf(),
        })
    }
}
