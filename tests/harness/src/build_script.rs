//! Runs the repository's Go build scripts (`tests/controlplane/build.sh`,
//! `tests/helm/build.sh`), or skips them when an environment variable names
//! a directory of ready binaries.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The directory `env` names if it is set and not empty, else the one
/// `script` prints last after building (or finding its cache entry); the
/// script's progress goes to this process's stderr. The error is one line
/// for the caller's own error type.
pub(crate) fn binary_dir(env: &str, script: &Path) -> Result<PathBuf, String> {
    match std::env::var_os(env) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => run(script),
    }
}

/// Runs `script` and returns the directory it prints last.
pub(crate) fn run(script: &Path) -> Result<PathBuf, String> {
    let output = Command::new("bash")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} exited with {} (its output is above)",
            script.display(),
            output.status
        ));
    }
    last_line(&output.stdout)
        .map(PathBuf::from)
        .ok_or_else(|| format!("{} printed no directory", script.display()))
}

fn last_line(stdout: &[u8]) -> Option<OsString> {
    String::from_utf8_lossy(stdout)
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(OsString::from)
}

/// True for a regular file someone may execute.
pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_non_empty_line_is_the_directory() {
        assert_eq!(
            last_line(b"noise\n/cache/dir\n\n"),
            Some(OsString::from("/cache/dir"))
        );
        assert_eq!(last_line(b"  \n"), None);
    }

    #[test]
    fn a_failing_script_is_reported_with_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let script = dir.path().join("build.sh");
        std::fs::write(&script, "echo progress >&2; exit 3\n").expect("write");
        let error = run(&script).expect_err("fails");
        assert!(error.contains("build.sh exited with"), "{error}");
        std::fs::write(&script, "echo; echo /some/dir\n").expect("write");
        assert_eq!(run(&script), Ok(PathBuf::from("/some/dir")));
    }

    #[test]
    fn only_executable_files_are_executable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("tool");
        std::fs::write(&file, "").expect("write");
        assert!(!is_executable(&file));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(is_executable(&file));
        assert!(!is_executable(dir.path()));
    }
}
