//! Looking at and signalling the servers' processes by pid.

use rustix::process::{Pid, Signal, kill_process};

use crate::error::{Error, Result};

/// Whether process `pid` exists and has not exited. A zombie (exited, not
/// yet reaped by its parent) counts as exited. Reads `/proc`, so Linux only.
pub fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command name.
        Ok(stat) => match stat.rsplit_once(')') {
            Some((_, rest)) => !matches!(rest.trim_start().chars().next(), Some('Z' | 'X')),
            None => false,
        },
        Err(_) => false,
    }
}

/// Sends `signal` to `pid`.
pub(crate) fn signal(pid: u32, signal: Signal) -> Result<()> {
    let target = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| Error::Guardian(format!("invalid pid {pid}")))?;
    kill_process(target, signal)
        .map_err(|e| Error::io(format!("sending {signal:?} to pid {pid}"), e.into()))
}

/// The last `lines` lines of a log file, or a note that it cannot be read.
pub(crate) fn log_tail(path: &std::path::Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read the log: {e})"),
    }
}
