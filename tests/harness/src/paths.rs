//! Where the harness finds the repository's files: the build script, the
//! CRDs and the samples, so that tests of any crate in the workspace find
//! them wherever cargo runs.

use std::path::PathBuf;

/// The repository root: the nearest directory with a `Cargo.lock` above the
/// package cargo is running (`CARGO_MANIFEST_DIR` at run time), or above
/// where it was compiled. Run time comes first because build caches are
/// shared between checkouts (CI builds a clean checkout into the same
/// target directory) and cargo reuses a test binary compiled in another
/// one: its compile-time path may name files that are gone, or another
/// checkout's. One rule for the whole workspace: the provider testkit's.
pub fn repository_root() -> PathBuf {
    kargo_webhook_provider_testkit::fixtures::workspace_root()
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
