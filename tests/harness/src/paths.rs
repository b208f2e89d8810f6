//! Where the harness finds the repository's files: the build script, the
//! CRDs and the samples. Resolved from this crate's location at compile time,
//! so tests of any crate in the workspace find them wherever cargo runs.

use std::path::{Path, PathBuf};

/// The repository root (two levels above this crate).
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `tests/controlplane/build.sh`, which builds etcd and kube-apiserver.
pub fn build_script() -> PathBuf {
    repository_root().join("tests/controlplane/build.sh")
}

/// `config/crd/`: the Kargo CRDs the tests run against.
pub fn crd_dir() -> PathBuf {
    repository_root().join("config/crd")
}

/// `config/samples/`: the Harbor guide's resources.
pub fn samples_dir() -> PathBuf {
    repository_root().join("config/samples")
}
