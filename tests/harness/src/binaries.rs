//! Finds the etcd and kube-apiserver binaries: a directory named by
//! `KARGO_WEBHOOK_CONTROLPLANE_BIN`, or else whatever `build.sh` builds (or
//! finds in its cache).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
        match std::env::var_os(BIN_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Self::in_dir(Path::new(&dir)),
            _ => Self::build(),
        }
    }

    /// Runs `build.sh`, its progress shown on this process's stderr, and
    /// takes the binaries from the directory it prints last.
    pub fn build() -> Result<Self> {
        let script = paths::build_script();
        let output = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| Error::io(format!("running {}", script.display()), e))?;
        if !output.status.success() {
            return Err(Error::Build(format!(
                "{} exited with {} (its output is above)",
                script.display(),
                output.status
            )));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let dir = stdout
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .ok_or_else(|| Error::Build(format!("{} printed no directory", script.display())))?;
        Self::in_dir(Path::new(dir.trim()))
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
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(binary);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => Ok(path),
        _ => Err(Error::MissingBinary {
            binary,
            dir: dir.to_path_buf(),
        }),
    }
}
