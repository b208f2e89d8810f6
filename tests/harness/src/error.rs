//! The one error type of the harness: every way starting or driving the
//! control plane can fail, each with enough context to act on.

use std::path::PathBuf;

/// Why the control plane could not be built, started or driven.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `tests/controlplane/build.sh` could not be run or did not succeed.
    #[error("building etcd and kube-apiserver failed: {0}")]
    Build(String),

    /// A directory named by `KARGO_WEBHOOK_CONTROLPLANE_BIN` (or printed by
    /// the build script) lacks one of the binaries.
    #[error("{binary} not found or not executable in {dir}")]
    MissingBinary {
        /// `etcd` or `kube-apiserver`.
        binary: &'static str,
        /// The directory that was searched.
        dir: PathBuf,
    },

    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying failure.
        source: std::io::Error,
    },

    /// The guardian process that owns the servers misbehaved or went away.
    #[error("the control plane's guardian process failed: {0}")]
    Guardian(String),

    /// A server did not become ready in time.
    #[error(
        "{server} did not become ready within {waited_secs} s: {reason}\n--- last lines of {log} ---\n{log_tail}"
    )]
    NotReady {
        /// `etcd` or `kube-apiserver`.
        server: &'static str,
        /// How long the harness waited.
        waited_secs: u64,
        /// The last problem seen while polling.
        reason: String,
        /// The server's log file.
        log: PathBuf,
        /// The end of that log.
        log_tail: String,
    },

    /// Generating the service-account signing key failed.
    #[error("generating the service-account signing key failed: {0}")]
    KeyGeneration(#[from] rcgen::Error),

    /// A kubeconfig written by the harness could not be loaded.
    #[error("loading kubeconfig {path}: {source}")]
    Kubeconfig {
        /// The kubeconfig file.
        path: PathBuf,
        /// The underlying failure.
        source: kube::config::KubeconfigError,
    },

    /// A manifest (CRD or sample) could not be read or parsed.
    #[error("manifest {path}: {reason}")]
    Manifest {
        /// The YAML file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A call to the API server failed.
    #[error("{context}: {source}")]
    Kube {
        /// What was being done.
        context: String,
        /// The underlying failure.
        source: kube::Error,
    },

    /// A wait on the API server (e.g. for a CRD to be Established) timed out
    /// or its watch failed.
    #[error("{0}")]
    Wait(String),

    /// Helm could not be found, built or run, or the chart did not render
    /// what the harness needs.
    #[error("helm: {0}")]
    Helm(String),
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// Wraps an API error with what was being done.
    pub(crate) fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            context: context.into(),
            source,
        }
    }
}

/// The harness's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
