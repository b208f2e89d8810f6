//! Nothing outlives the process that started the control plane: not when it
//! is killed with SIGKILL (no destructor runs), and not when `testenv up` is
//! asked to stop with SIGTERM.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kargo_webhook_testenv::process::is_running;

/// A running `testenv up` and what it printed about itself.
struct Up {
    child: Child,
    data_dir: PathBuf,
    pids: Vec<u32>,
}

fn testenv_up() -> Up {
    let mut child = Command::new(env!("CARGO_BIN_EXE_testenv"))
        .arg("up")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting testenv up");
    let stdout = child.stdout.take().expect("stdout pipe");
    let mut report = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("reading testenv's output");
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        if key == "ready" {
            let pid = |key: &str| -> u32 {
                report
                    .get(key)
                    .and_then(|pid: &String| pid.parse().ok())
                    .unwrap_or_else(|| panic!("testenv printed no {key}: {report:?}"))
            };
            let pids = vec![pid("guardian-pid"), pid("etcd-pid"), pid("apiserver-pid")];
            let data_dir = PathBuf::from(&report["data-dir"]);
            return Up {
                child,
                data_dir,
                pids,
            };
        }
        report.insert(key.to_owned(), value.to_owned());
    }
    let status = child.wait().expect("waiting for testenv");
    panic!("testenv up ended before it was ready ({status}); its stderr is above");
}

/// Waits until every pid has exited and the directory is gone; returns how
/// long that took.
fn wait_until_cleaned_up(pids: &[u32], data_dir: &Path) -> Duration {
    let started = Instant::now();
    let limit = Duration::from_secs(20);
    loop {
        let running: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|&pid| is_running(pid))
            .collect();
        if running.is_empty() && !data_dir.exists() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "after {limit:?}: still running {running:?}, data dir present: {}",
            data_dir.exists()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_of_the_owner_stops_the_servers_and_removes_the_data() {
    let mut up = testenv_up();
    for &pid in &up.pids {
        assert!(is_running(pid), "pid {pid} should run");
    }
    assert!(up.data_dir.join("etcd").is_dir());

    up.child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL.
    up.child.wait().expect("reaping testenv");

    let took = wait_until_cleaned_up(&up.pids, &up.data_dir);
    eprintln!("cleaned up {took:?} after SIGKILL");
}

#[test]
fn sigterm_of_testenv_up_cleans_up_before_it_exits() {
    let mut up = testenv_up();
    let pid =
        rustix::process::Pid::from_raw(i32::try_from(up.child.id()).expect("pid")).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let status = up.child.wait().expect("waiting for testenv");
    assert!(status.success(), "testenv up exited with {status}");
    // `up` stops synchronously: everything is gone when it has exited.
    for &pid in &up.pids {
        assert!(!is_running(pid), "pid {pid} outlived testenv up");
    }
    assert!(!up.data_dir.exists());
}
